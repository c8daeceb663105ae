import Foundation
import XCTest

/// A burst far larger than the kernel's inotify queue (fs.inotify.max_queued_events, 16,384 by
/// default) while the watcher cannot read: the queue overflows, the watcher rescans, and every file
/// still ends canonical.
final class WatchOverflowTests: XCTestCase {
    func testBurstBeyondTheKernelQueueWhileTheWatcherIsStoppedEndsAllCanonical() throws {
        let p = try Project()
        let directories = 200, perDirectory = 100
        let specs = resolvedPath(p.specs)
        for d in 0..<directories {
            try FileManager.default.createDirectory(atPath: specs + "/d\(d)", withIntermediateDirectories: true)
        }
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        // SIGSTOP: the watcher is as busy as can be — it reads nothing while the burst lands.
        daemon.signal(SIGSTOP)
        try waitUntil("the watcher to be stopped") { processState(daemon.pid) == "T" }
        var paths: [String] = []
        var expected: [String] = []
        for d in 0..<directories {
            for f in 0..<perDirectory {
                let id = "OV-\(d)-\(f)"
                let path = specs + "/d\(d)/f\(f).yaml"
                // Every tenth file arrives messy (rewritten); the others canonical (read, reported
                // `unchanged`, never rewritten) — a durable rewrite per file would make this test slow.
                try Save.inPlace(path, f % 10 == 3 ? messySpec(id, "burst") : canonicalForm(id, "burst"))
                paths.append(path)
                expected.append(canonicalForm(id, "burst"))
            }
        }
        // Plus directories created during the burst (their creation events are lost as well).
        for d in 0..<20 {
            let path = specs + "/new-\(d)/deeper/x.yaml"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try Save.inPlace(path, messySpec("NEW-\(d)", "late dir"))
            paths.append(path)
            expected.append(canonicalForm("NEW-\(d)", "late dir"))
        }
        let canonicalBefore = try Inode(paths[0])
        daemon.signal(SIGCONT)
        try daemon.waitForLog("rescanning the whole tree")
        func remaining() -> Int { zip(paths, expected).filter { fileText($0.0) != $0.1 }.count }
        do {
            try waitUntil("all \(paths.count) files canonical", timeout: 240) { remaining() == 0 }
        } catch {
            XCTFail("\(remaining()) of \(paths.count) files not canonical; log tail:\n\(daemon.log.suffix(2000))")
        }
        try daemon.quiesce(timeout: 60)
        XCTAssertEqual(remaining(), 0)
        // Every file was looked at after the overflow, canonical ones included.
        let reported = Set(daemon.events.map(\.path))
        let missed = paths.filter { !reported.contains($0) }
        XCTAssertEqual(missed.count, 0, "never processed: \(missed.prefix(10))")
        XCTAssertEqual(try Inode(paths[0]), canonicalBefore, "a canonical file was rewritten")
        XCTAssertFalse(daemon.log.contains(" error "), String(daemon.log.suffix(2000)))
        XCTAssertEqual(try daemon.stop(), 0)
    }
}

/// The state letter from /proc/PID/stat (R, S, T, …).
func processState(_ pid: Int32) -> String? {
    guard let stat = fileText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").first.map(String.init)
}
