import Foundation
import XCTest

/// Temporaries left by a writer that died (kill -9 mid-checkout left 64 whole old versions in the
/// tree, and in `git status`) are removed when the watcher starts, not 15 minutes later.
final class StaleTemporaryTests: XCTestCase {
    func testWatcherStartRemovesTemporariesOfDeadWriters() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/sub/a.yaml", canonicalForm("T-1", "a"))
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier
        let orphans = [p.specs + "/.specsync-tmp-x.yaml.\(dead).00c0ffee", p.specs + "/sub/.specsync-tmp-a.yaml.\(dead).00c0ffee"]
        let live = p.specs + "/sub/.specsync-tmp-b.yaml.\(getpid()).00c0ffee"
        for path in orphans + [live] { try p.write(String(path.dropFirst(p.root.count + 1)), "old version\n") }
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        for path in orphans { XCTAssertFalse(FileManager.default.fileExists(atPath: path), "\(path) left by a dead writer") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: live), "a live writer's temporary was removed")
        XCTAssertEqual(try daemon.stop(), 0)
    }
}
