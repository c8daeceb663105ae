import Foundation
import XCTest

/// `specsync watch` as a process: orderly shutdown on SIGTERM/SIGINT, one instance per tree, and a
/// clean exit when the watched directory goes away.
final class WatchLifecycleTests: XCTestCase {
    private func signalName(_ number: Int32) -> String { number == SIGINT ? "SIGINT" : "SIGTERM" }

    func testSignalsWhileIdleStopWithExitZero() throws {
        for number in [SIGTERM, SIGINT] {
            let p = try Project()
            try p.write(".tandemonium/specs/a.yaml", messySpec("SIG-1", "idle"))
            let daemon = try WatchDaemon(p)
            try daemon.waitForContent(daemon.root + "/a.yaml", canonicalForm("SIG-1", "idle"))
            try daemon.quiesce()
            XCTAssertEqual(try daemon.stop(number), 0, signalName(number))
            XCTAssertTrue(daemon.log.contains("stopping on \(signalName(number))"), daemon.log)
            XCTAssertEqual(temporaries(under: p.root), [])
        }
    }

    /// A burst of saves is being normalized when the signal arrives: the process finishes the file in
    /// hand, exits 0, and leaves no temporary files; every file holds either what was saved or its
    /// canonical form (never something torn or empty).
    func testSignalsDuringABurstOfSavesStopWithExitZeroAndNoTemporaries() throws {
        for number in [SIGTERM, SIGINT] {
            let p = try Project()
            let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
            let root = daemon.root
            let count = 400
            for d in 0..<4 { try FileManager.default.createDirectory(atPath: root + "/d\(d)", withIntermediateDirectories: true) }
            let paths = (0..<count).map { root + "/d\($0 % 4)/f\($0).yaml" }
            let writer = Thread {
                for (i, path) in paths.enumerated() { try? Save.inPlace(path, messySpec("B-\(i)", "burst \(i)")) }
            }
            writer.start()
            try waitUntil("20 files normalized during the burst") {
                daemon.events.filter { $0.action == "normalized" }.count >= 20
            }
            daemon.signal(number)
            XCTAssertEqual(try daemon.waitForExit(), 0, "\(signalName(number)): \(daemon.log)")
            try waitUntil("the writer thread to finish") { writer.isFinished }
            XCTAssertEqual(temporaries(under: root), [], signalName(number))
            var normalized = 0
            for (i, path) in paths.enumerated() {
                let text = fileText(path)
                XCTAssertTrue(text == messySpec("B-\(i)", "burst \(i)") || text == canonicalForm("B-\(i)", "burst \(i)"),
                              "\(path): \(text.debugDescription)")
                if text == canonicalForm("B-\(i)", "burst \(i)") { normalized += 1 }
            }
            XCTAssertGreaterThanOrEqual(normalized, 20)
        }
    }

    /// An editor that had the file open writes into it just after the watcher swapped in the canonical
    /// version (into the displaced inode), and the watcher is told to stop right then. Shutdown
    /// restores the late write (the newest edit) and normalizes it, and leaves no temporary file behind.
    func testStopRightAfterALateInPlaceWriteKeepsTheWriteAndLeavesNoTemporaries() throws {
        for number in [SIGTERM, SIGINT] {
            let p = try Project()
            let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
            let path = daemon.root + "/late.yaml"
            try Save.inPlace(path, messySpec("LATE-1", "first"))
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            try Save.check(Int(fd), "open")
            // The swap is complete (and the previous version kept) once the event is out.
            try daemon.waitForEvent(path, action: "normalized")
            XCTAssertEqual(ftruncate(fd, 0), 0)
            try Save.writeAll(fd, messySpec("LATE-1", "second"))
            close(fd)
            daemon.signal(number)
            XCTAssertEqual(try daemon.waitForExit(), 0, daemon.log)
            XCTAssertEqual(fileText(path), canonicalForm("LATE-1", "second"), "the late write was lost: \(daemon.log)")
            XCTAssertEqual(temporaries(under: p.root), [], "temporary files left after \(signalName(number)); log:\n\(daemon.log)")
        }
    }

    func testSecondInstanceOnTheSameTreeExitsTwoWhateverThePathSpelling() throws {
        let p = try Project()
        let first = try WatchDaemon(p)
        try FileManager.default.createDirectory(atPath: p.root + "/elsewhere", withIntermediateDirectories: true)
        XCTAssertEqual(symlink(p.specs, p.root + "/specs-link"), 0)
        let spellings = [
            p.specs, p.root + "/specs-link", p.root + "/.tandemonium/./specs/", p.root + "/elsewhere/../.tandemonium/specs",
            ".tandemonium/specs", "specs-link",
        ]
        for (i, spelling) in spellings.enumerated() {
            let second = try WatchDaemon(p, directory: spelling, waitForReady: false, label: "second-\(i)")
            XCTAssertEqual(try second.waitForExit(), 2, "\(spelling): \(second.log)")
            XCTAssertTrue(second.log.contains("another specsync watch is already running"), "\(spelling): \(second.log)")
        }
        // Default directory (from the configuration), started from another directory of the project.
        let fromSubdirectory = try CLIProcess.start(["watch"], cwd: p.root + "/elsewhere")
        XCTAssertEqual(try fromSubdirectory.waitForExit(), 2, fromSubdirectory.stderr)
        XCTAssertTrue(first.process.isRunning)
        // The lock dies with its holder, even on SIGKILL.
        first.signal(SIGKILL)
        first.process.waitUntilExit()
        let third = try WatchDaemon(p, directory: p.root + "/specs-link", label: "third")
        XCTAssertEqual(try third.stop(), 0)
    }

    func testWatchedDirectoryRemovedStopsCleanlyWithAMessage() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/sub/a.yaml", canonicalSpec)
        let daemon = try WatchDaemon(p)
        try FileManager.default.removeItem(atPath: p.specs)
        XCTAssertEqual(try daemon.waitForExit(), 0, daemon.log)
        XCTAssertTrue(daemon.log.contains("was deleted"), daemon.log)
    }

    func testWatchedDirectoryMovedAwayStopsCleanlyWithAMessage() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/a.yaml", canonicalSpec)
        let daemon = try WatchDaemon(p)
        XCTAssertEqual(rename(p.specs, p.root + "/specs-moved"), 0)
        XCTAssertEqual(try daemon.waitForExit(), 0, daemon.log)
        XCTAssertTrue(daemon.log.contains("moved away"), daemon.log)
    }

    /// The tree is moved while the previous version of a just-normalized file is still kept (the
    /// displaced-inode grace): the exit must not leave that temporary file in the moved tree.
    func testWatchedDirectoryMovedRightAfterARewriteLeavesNoTemporaries() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let path = daemon.root + "/fresh.yaml"
        try Save.inPlace(path, messySpec("MV-3", "fresh"))
        try daemon.waitForEvent(path, action: "normalized")
        let keptDuringGrace = temporaries(under: p.specs)
        XCTAssertEqual(rename(p.specs, p.root + "/specs-moved"), 0)
        XCTAssertEqual(try daemon.waitForExit(), 0, daemon.log)
        XCTAssertEqual(fileText(p.root + "/specs-moved/fresh.yaml"), canonicalForm("MV-3", "fresh"))
        XCTAssertEqual(temporaries(under: p.root), [],
                       "temporary left in the moved tree (kept during grace: \(keptDuringGrace)); log:\n\(daemon.log)")
    }
}

/// A child process whose stderr is collected, with a deadline on its exit (for commands that must not
/// keep running, like a refused second watcher).
final class CLIProcess {
    let process = Process()
    private let errorFile: String

    static func start(_ arguments: [String], cwd: String) throws -> CLIProcess { try CLIProcess(arguments, cwd: cwd) }

    private init(_ arguments: [String], cwd: String) throws {
        errorFile = cwd + "/.cli-process-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardError = FileHandle(forWritingAtPath: errorFile)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: errorFile)
    }

    var stderr: String { fileText(errorFile) ?? "" }

    func waitForExit(timeout: TimeInterval = 15) throws -> Int32 {
        try waitUntil("\(process.arguments ?? []) to exit; stderr: \(stderr)", timeout: timeout) { !process.isRunning }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
