import Foundation
import XCTest

/// The `--events` stream (to a file or stdout) and the inotify watch limit.
final class WatchOutputAndLimitsTests: XCTestCase {
    func testEventsOnStdoutCarryTimePathActionDiagnosticsAndLatency() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], eventsToStdout: true)
        let path = daemon.root + "/out.yaml"
        try Save.inPlace(path, messySpec("OUT-1", "stdout"))
        let event = try daemon.waitForEvent(path, action: "normalized")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(event.raw.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["time", "latency_ms", "path", "action", "valid", "canonical", "diagnostics"], event.raw)
        let time = try XCTUnwrap(object["time"] as? String)
        XCTAssertNotNil(ISO8601DateFormatter.withFractionalSeconds.date(from: time), time)
        // Latency runs from the (last) event to the file being final on disk: at least the settle window.
        let latency = try XCTUnwrap(event.latencyMs, event.raw)
        XCTAssertGreaterThanOrEqual(latency, 50, event.raw)
        XCTAssertLessThan(latency, 10_000, event.raw)
        XCTAssertEqual(object["valid"] as? Bool, true)
        XCTAssertEqual(object["canonical"] as? Bool, false, "canonical describes the bytes that were saved")
        XCTAssertEqual(try daemon.stop(), 0)
        XCTAssertFalse(daemon.log.contains("{\"time\""), "events must not go to stderr")
    }

    /// ENOSPC from inotify_add_watch: a clear message naming fs.inotify.max_user_watches, and the
    /// watcher keeps watching what it could. The limit is lowered inside a private user namespace
    /// (/proc/sys/user/max_inotify_watches is per namespace), so nothing else on the machine is affected.
    func testWatchLimitReachedIsReportedAndTheRestIsStillWatched() throws {
        guard let unshare = which("unshare"),
              (try? CLI.run(["-U", "-r", "sh", "-c", "echo 16 > /proc/sys/user/max_inotify_watches"], cwd: "/",
                            executable: unshare))?.status == 0
        else { throw XCTSkip("cannot lower the inotify watch limit in a user namespace (unshare -U -r)") }
        let p = try Project()
        for d in 0..<40 { try p.write(".tandemonium/specs/d\(d)/x.yaml", canonicalForm("LIM-\(d)", "limit")) }
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], launcher: [
            unshare, "-U", "-r", "sh", "-c", "echo 16 > /proc/sys/user/max_inotify_watches && exec \"$0\" \"$@\"",
        ])
        try daemon.waitForLog("fs.inotify.max_user_watches")
        XCTAssertTrue(daemon.log.contains("not watching"), daemon.log)
        XCTAssertTrue(daemon.log.contains("sysctl"), "the message says how to raise the limit: \(daemon.log)")
        // The root is watched: a save there is still normalized.
        let path = daemon.root + "/still-watched.yaml"
        try Save.inPlace(path, messySpec("LIM-X", "root still watched"))
        try daemon.waitForContent(path, canonicalForm("LIM-X", "root still watched"))
        XCTAssertTrue(daemon.process.isRunning)
        XCTAssertEqual(try daemon.stop(), 0)
    }
}

extension ISO8601DateFormatter {
    static var withFractionalSeconds: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
