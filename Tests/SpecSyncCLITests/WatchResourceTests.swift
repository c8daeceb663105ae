import Foundation
import XCTest

/// `specsync watch` under ordinary resource limits and on large start-ups: the default soft limit of
/// open files is 1024 for login shells and systemd services alike, and start-up may have thousands
/// of files to normalize.
final class WatchResourceTests: XCTestCase {
    /// Runs the watcher with `ulimit -n 1024`, as a systemd user service or a login shell would.
    private let ordinaryLimits = ["/bin/sh", "-c", "ulimit -n 1024 && exec \"$0\" \"$@\""]

    private func writeMessy(_ p: Project, count: Int, directories: Int) throws -> [(path: String, canonical: String)] {
        let specs = resolvedPath(p.specs)
        var files: [(String, String)] = []
        for i in 0..<count {
            let path = specs + "/d\(i % directories)/f\(i).yaml"
            if i < directories {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
            }
            try Save.inPlace(path, messySpec("RES-\(i)", "many"))
            files.append((path, canonicalForm("RES-\(i)", "many")))
        }
        return files
    }

    /// Start-up `fix` of 3,000 messy files with 1024 descriptors: every one is normalized. (Each
    /// rewrite keeps its displaced previous version open for the grace period; they must not pile up
    /// until the descriptors run out.)
    func testStartupFixOfThousandsOfFilesWithTheDefaultOpenFileLimit() throws {
        let p = try Project()
        let files = try writeMessy(p, count: 3000, directories: 30)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "fix"], launcher: ordinaryLimits)
        try daemon.waitForLog("start-up fix: 3000 files", timeout: 120)
        let failed = files.filter { fileText($0.path) != $0.canonical }
        XCTAssertEqual(failed.count, 0, "not normalized: \(failed.count); log:\n\(logExcerpt(daemon.log))")
        XCTAssertFalse(daemon.log.contains("EMFILE"), logExcerpt(daemon.log))
        XCTAssertEqual(try daemon.stop(), 0)
        XCTAssertEqual(temporaries(under: p.root).count, 0)
    }

    /// The same at run time: 3,000 saves that settle together (the watcher was stopped while they
    /// landed, like a `git checkout` of a large branch on a busy machine) with 1024 descriptors.
    func testThousandsOfSavesSettlingTogetherWithTheDefaultOpenFileLimit() throws {
        let p = try Project()
        for d in 0..<30 { try FileManager.default.createDirectory(atPath: p.specs + "/d\(d)", withIntermediateDirectories: true) }
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], launcher: ordinaryLimits)
        daemon.signal(SIGSTOP)
        try waitUntil("the watcher to be stopped") { processState(daemon.pid) == "T" }
        let files = try writeMessy(p, count: 3000, directories: 30)
        daemon.signal(SIGCONT)
        func remaining() -> [(path: String, canonical: String)] { files.filter { fileText($0.path) != $0.canonical } }
        _ = try? waitUntil("all files canonical", timeout: 120) { remaining().isEmpty || daemon.log.contains("EMFILE") }
        try daemon.quiesce(timeout: 60)
        XCTAssertEqual(remaining().count, 0, "not normalized; log:\n\(logExcerpt(daemon.log))")
        XCTAssertFalse(daemon.log.contains("EMFILE"), logExcerpt(daemon.log))
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// SIGTERM while the start-up policy is still working through thousands of files: the watcher
    /// stops after the file in hand (promptly — systemd's stop timeout is 30 s, then SIGKILL), exits 0,
    /// and leaves every file either as it was or canonical, with no temporaries.
    func testStopDuringALongStartupFixIsPrompt() throws {
        let p = try Project()
        let files = try writeMessy(p, count: 3000, directories: 30)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "fix"])
        try waitUntil("some files normalized by the start-up pass", timeout: 60) {
            fileText(files[0].path) == files[0].canonical || files.prefix(100).contains { fileText($0.path) == $0.canonical }
        }
        let signalled = Date()
        daemon.signal(SIGTERM)
        XCTAssertEqual(try daemon.waitForExit(timeout: 120), 0)
        let took = Date().timeIntervalSince(signalled)
        let normalized = files.filter { fileText($0.path) == $0.canonical }.count
        XCTAssertLessThan(took, 3, "exit took \(String(format: "%.1f", took)) s after SIGTERM (\(normalized) of \(files.count) normalized by then)")
        for (i, file) in files.enumerated() {
            let text = fileText(file.path)
            XCTAssertTrue(text == file.canonical || text == messySpec("RES-\(i)", "many"), "\(file.path): \(text.debugDescription)")
        }
        XCTAssertEqual(temporaries(under: p.root).count, 0)
    }

    private func logExcerpt(_ log: String) -> String {
        let lines = log.split(separator: "\n")
        let errors = lines.filter { $0.contains(" error ") }
        return (["\(errors.count) error lines, first:"] + errors.prefix(3).map { String($0.prefix(400)) }
                + ["last lines:"] + lines.suffix(3).map { String($0.prefix(300)) }).joined(separator: "\n")
    }
}
