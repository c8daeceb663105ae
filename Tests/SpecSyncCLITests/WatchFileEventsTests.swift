import Foundation
import XCTest

/// `specsync watch` on invalid saves, deletions and renames, `git checkout`, and symlinks.
final class WatchFileEventsTests: XCTestCase {
    /// One external save → exactly one rewrite, then quiet: no second read reported, no second write
    /// (the inode the watcher put in place stays), over repeated save cycles of the same file.
    func testEachSaveIsRewrittenOnceThenQuiet() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let path = daemon.root + "/once.yaml"
        let cycles = 5
        for cycle in 0..<cycles {
            try Save.inPlace(path, messySpec("ONCE-1", "cycle \(cycle)"))
            try daemon.waitForEvent(path, action: "normalized", skipping: cycle)
            try daemon.waitForContent(path, canonicalForm("ONCE-1", "cycle \(cycle)"))
            let rewritten = try Inode(path)
            try daemon.quiesce()
            XCTAssertEqual(try Inode(path), rewritten, "cycle \(cycle): written again after the rewrite")
            XCTAssertEqual(daemon.events(for: path).map(\.action), Array(repeating: "normalized", count: cycle + 1),
                           "cycle \(cycle): an echo of the watcher's own write was processed")
        }
        let normalizedLines = daemon.log.components(separatedBy: "once.yaml: normalized").count - 1
        XCTAssertEqual(normalizedLines, cycles, daemon.log)
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testInvalidSaveIsReportedAndUntouchedThenAFixIsNormalized() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let path = daemon.root + "/bad.yaml"

        // A schema error: diagnostics with line and column, file left exactly as saved.
        let invalid = "title: Bad\nid: BAD-1\nstatus: wip\n"
        try Save.inPlace(path, invalid)
        let saved = try Inode(path)
        let event = try daemon.waitForEvent(path, action: "invalid")
        let diagnostic = try XCTUnwrap(event.diagnostics.first, event.raw)
        XCTAssertEqual(diagnostic["line"] as? Int, 3, event.raw)
        XCTAssertEqual(diagnostic["column"] as? Int, 9, event.raw)
        XCTAssertEqual(diagnostic["pointer"] as? String, "/status", event.raw)
        XCTAssertTrue((diagnostic["message"] as? String ?? "").contains("wip"), event.raw)
        try daemon.waitForLog("bad.yaml:3:9: error:")
        XCTAssertEqual(try Inode(path), saved, "an invalid file is never rewritten")
        XCTAssertEqual(fileText(path), invalid)

        // A YAML syntax error, same file: reported again, still untouched.
        let broken = "title: [unclosed\nid: BAD-1\n"
        try Save.inPlace(path, broken)
        let brokenInode = try Inode(path)
        let second = try daemon.waitForEvent(path, action: "invalid", skipping: 1)
        XCTAssertNotNil(second.diagnostics.first?["line"] as? Int, second.raw)
        XCTAssertNotNil(second.diagnostics.first?["column"] as? Int, second.raw)
        XCTAssertEqual(try Inode(path), brokenInode)
        XCTAssertEqual(fileText(path), broken)

        // The fix: normalized, and the log says it is valid again.
        try Save.inPlace(path, messySpec("BAD-1", "Fixed"))
        try daemon.waitForContent(path, canonicalForm("BAD-1", "Fixed"))
        try daemon.quiesce()
        XCTAssertEqual(daemon.events(for: path).map(\.action), ["invalid", "invalid", "normalized"])
        XCTAssertTrue(daemon.log.contains("bad.yaml: normalized (now valid)"), daemon.log)
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testDeletedAndRenamedAwayFilesAreReportedAndNeverRecreated() throws {
        let p = try Project()
        for name in ["gone", "away", "moved", "fresh", "broken"] {
            try p.write(".tandemonium/specs/\(name).yaml", canonicalForm("DEL-\(name)", name))
        }
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let root = daemon.root
        // Deleted while its displaced previous version is still kept (right after a rewrite).
        try Save.inPlace(root + "/fresh.yaml", messySpec("DEL-fresh", "fresh two"))
        try daemon.waitForEvent(root + "/fresh.yaml", action: "normalized")
        // Deleted while invalid.
        try Save.inPlace(root + "/broken.yaml", "id: [\n")
        try daemon.waitForEvent(root + "/broken.yaml", action: "invalid")

        XCTAssertEqual(unlink(root + "/gone.yaml"), 0)
        XCTAssertEqual(rename(root + "/away.yaml", p.root + "/away.yaml"), 0, "renamed out of the tree")
        XCTAssertEqual(rename(root + "/moved.yaml", root + "/moved-here.yaml"), 0, "renamed within the tree")
        XCTAssertEqual(unlink(root + "/fresh.yaml"), 0)
        XCTAssertEqual(unlink(root + "/broken.yaml"), 0)

        for name in ["gone", "away", "moved", "fresh", "broken"] {
            try daemon.waitForEvent(root + "/\(name).yaml", action: "deleted")
        }
        try daemon.quiesce()
        for name in ["gone", "away", "moved", "fresh", "broken"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/\(name).yaml"), "\(name).yaml recreated")
            XCTAssertEqual(daemon.events(for: root + "/\(name).yaml").last?.action, "deleted")
        }
        XCTAssertEqual(daemon.events(for: root + "/moved-here.yaml").map(\.action), ["unchanged"])
        XCTAssertEqual(fileText(p.root + "/away.yaml"), canonicalForm("DEL-away", "away"))
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testGitCheckoutOfABranchChangingManySpecs() throws {
        guard let git = which("git") else { throw XCTSkip("git is not installed") }
        let p = try Project()
        func gitRun(_ arguments: [String]) throws {
            try runTool(git, ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
                        + arguments, cwd: p.root)
        }
        let ids = (0..<40).map { String(format: "g%02d", $0) }
        for id in ids { try p.write(".tandemonium/specs/\(id).yaml", canonicalForm(id, "main \(id)")) }
        try p.write(".gitignore", "*.lock\n*.log\n*.jsonl\n")
        try gitRun(["init", "-q", "-b", "main"])
        try gitRun(["add", "-A"])
        try gitRun(["commit", "-q", "-m", "main"])
        try gitRun(["checkout", "-q", "-b", "other"])
        let changed = Array(ids[0..<30]), deleted = Array(ids[30..<35]), untouched = Array(ids[35...])
        let added = (0..<10).map { String(format: "n%02d", $0) }
        for id in changed + added { try p.write(".tandemonium/specs/\(id).yaml", messySpec(id, "other \(id)")) }
        for id in deleted { try FileManager.default.removeItem(atPath: p.specs + "/\(id).yaml") }
        try gitRun(["add", "-A"])
        try gitRun(["commit", "-q", "-m", "other"])
        try gitRun(["checkout", "-q", "main"])

        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let root = daemon.root
        let untouchedBefore = try untouched.map { try Inode(root + "/\($0).yaml") }
        try gitRun(["checkout", "-q", "other"])
        for id in changed + added { try daemon.waitForContent(root + "/\(id).yaml", canonicalForm(id, "other \(id)")) }
        for id in deleted { try daemon.waitForEvent(root + "/\(id).yaml", action: "deleted") }
        let events = try daemon.quiesce()
        for id in changed + added {
            XCTAssertEqual(daemon.events(for: root + "/\(id).yaml").map(\.action), ["normalized"], id)
        }
        for id in deleted {
            XCTAssertEqual(daemon.events(for: root + "/\(id).yaml").map(\.action), ["deleted"], id)
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/\(id).yaml"))
        }
        XCTAssertEqual(try untouched.map { try Inode(root + "/\($0).yaml") }, untouchedBefore)
        // The checkout holds index.lock while it writes: rewrites wait for it (paused, then resumed). On a
        // loaded host the lock can come and go before the watcher looks at it (each marker event is
        // answered by a look at the file): then there is no pause, but never one left standing.
        if let last = events.last(where: { ["paused", "resumed"].contains($0.action) }) {
            XCTAssertEqual(last.action, "resumed", "\(events)")
        }
        let fileEvents = events.filter { !["paused", "resumed"].contains($0.action) }
        XCTAssertEqual(fileEvents.count, changed.count + added.count + deleted.count, "nothing else reported: \(events)")
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// A cloned repository must not be able to make the watcher write elsewhere: a spec symlink whose
    /// target resolves outside the watched tree is checked, never written — at start-up and on change;
    /// a symlinked directory is not followed. In-tree symlinks are normalized through (the link stays).
    func testSymlinksOutsideTheTreeAreNeverWrittenInTreeOnesAre() throws {
        let p = try Project()
        try p.write("outside/ext.yaml", messySpec("EXT-1", "outside"))
        try p.write("outside/ext2.yaml", messySpec("EXT-2", "outside two"))
        try p.write("outside/deep/ext3.yaml", messySpec("EXT-3", "outside three"))
        try p.write(".tandemonium/specs/real/target.yaml", messySpec("IN-1", "inside"))
        let outside = resolvedPath(p.root + "/outside")
        let outsideFiles = ["ext.yaml", "ext2.yaml", "deep/ext3.yaml"].map { outside + "/" + $0 }
        let before = try outsideFiles.map(Inode.init)
        let specs = resolvedPath(p.specs)
        XCTAssertEqual(symlink("../../outside/ext.yaml", specs + "/link-out.yaml"), 0)
        XCTAssertEqual(symlink("../../outside", specs + "/outdir"), 0, "a symlinked directory")
        XCTAssertEqual(symlink("outdir/deep/ext3.yaml", specs + "/via-dir.yaml"), 0, "in-tree link through an outside directory")
        XCTAssertEqual(symlink("real/target.yaml", specs + "/alias.yaml"), 0)

        let daemon = try WatchDaemon(p, arguments: ["--startup", "fix"])
        try daemon.waitForLog("start-up fix:")
        XCTAssertEqual(fileText(specs + "/real/target.yaml"), canonicalForm("IN-1", "inside"))
        // While running: a new link to an outside file, and a new in-tree link to a messy file.
        XCTAssertEqual(symlink(outside + "/ext2.yaml", specs + "/late-out.yaml"), 0)
        try p.write(".tandemonium/specs/real/second.yaml", canonicalForm("IN-2", "second"))
        try daemon.waitForEvent(specs + "/real/second.yaml")
        XCTAssertEqual(symlink("real/second.yaml", specs + "/late-alias.yaml"), 0)
        try Save.inPlace(specs + "/late-alias.yaml", messySpec("IN-2", "second saved via link"))
        try daemon.waitForContent(specs + "/real/second.yaml", canonicalForm("IN-2", "second saved via link"))
        try daemon.waitForEvent(specs + "/late-out.yaml")

        try daemon.quiesce()
        XCTAssertEqual(try outsideFiles.map(Inode.init), before, "files outside the tree were written")
        XCTAssertEqual(fileText(outsideFiles[0]), messySpec("EXT-1", "outside"))
        for link in ["link-out", "via-dir", "late-out"] {
            XCTAssertEqual(daemon.events(for: specs + "/\(link).yaml").map(\.action), ["not-canonical"], link)
        }
        XCTAssertTrue(daemon.log.contains("link-out.yaml is a symlink to a file outside"), daemon.log)
        XCTAssertEqual(daemon.events.filter { $0.path.hasPrefix(specs + "/outdir/") }.count, 0, "symlinked directory followed")
        for link in ["alias", "late-alias", "link-out", "outdir"] {
            var st = stat()
            XCTAssertEqual(lstat(specs + "/\(link)" + (link == "outdir" ? "" : ".yaml"), &st), 0)
            XCTAssertEqual(st.st_mode & S_IFMT, S_IFLNK, "\(link) must still be a symlink")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: outside + "/ext.yaml.lock"), "lock file created outside")
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// An invalid spec reached through an in-tree symlink is reported under the link's name: the check
    /// for a save still under way follows the link, as the read does.
    func testAnInvalidSpecBehindAnInTreeSymlinkIsReported() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/real/broken.yaml", "id: SL-1\ntitle: [unclosed\n")
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let specs = resolvedPath(p.specs)
        XCTAssertEqual(symlink("real/broken.yaml", specs + "/alias.yaml"), 0)
        XCTAssertEqual(try daemon.waitForEvent(specs + "/alias.yaml").action, "invalid")
        XCTAssertEqual(try daemon.stop(), 0)
    }
}
