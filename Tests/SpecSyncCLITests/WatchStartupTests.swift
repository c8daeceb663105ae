import Foundation
import XCTest

/// `specsync watch` start-up: the ready line with counts, and the start-up policies (fix, check, off).
final class WatchStartupTests: XCTestCase {
    /// a.yaml and c/d/e.yaml valid but messy, b.yaml canonical, bad.yaml invalid, notes.txt not a spec.
    private func makeTree(_ p: Project) throws -> (messy: [String], canonical: String, invalid: String) {
        try p.write(".tandemonium/specs/a.yaml", messySpec("A-1", "Alpha"))
        try p.write(".tandemonium/specs/b.yaml", canonicalSpec)
        try p.write(".tandemonium/specs/c/d/e.yaml", messySpec("E-1", "Echo"))
        try p.write(".tandemonium/specs/bad.yaml", "id: BAD-1\ntitle: Bad\nstatus: wip\n")
        try p.write(".tandemonium/specs/notes.txt", "not a spec\n")
        let specs = resolvedPath(p.specs)
        return ([specs + "/a.yaml", specs + "/c/d/e.yaml"], specs + "/b.yaml", specs + "/bad.yaml")
    }

    func testReadyLineCountsDirectoriesAndSpecFiles() throws {
        let p = try Project()
        _ = try makeTree(p)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        XCTAssertTrue(daemon.log.contains("(3 directories, 4 spec files)"), daemon.log)
        XCTAssertTrue(daemon.log.contains("ready: watching \(daemon.root) "), daemon.log)
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testStartupFixNormalizesValidFilesAndLeavesTheOthers() throws {
        let p = try Project()
        let tree = try makeTree(p)
        let canonicalBefore = try Inode(tree.canonical)
        let invalidBefore = try Inode(tree.invalid)
        let invalidText = fileText(tree.invalid)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "fix"])
        try daemon.waitForLog("start-up fix: 4 files")
        XCTAssertTrue(daemon.log.contains("2 normalized, 1 invalid"), daemon.log)
        XCTAssertEqual(fileText(tree.messy[0]), canonicalForm("A-1", "Alpha"))
        XCTAssertEqual(fileText(tree.messy[1]), canonicalForm("E-1", "Echo"))
        XCTAssertEqual(try Inode(tree.canonical), canonicalBefore, "a canonical file must not be rewritten")
        XCTAssertEqual(try Inode(tree.invalid), invalidBefore, "an invalid file must not be rewritten")
        XCTAssertEqual(fileText(tree.invalid), invalidText)

        let events = try daemon.quiesce()
        XCTAssertEqual(events.map(\.description).sorted(),
                       ["a.yaml: normalized", "b.yaml: unchanged", "bad.yaml: invalid", "e.yaml: normalized"],
                       "one event per file, and no echo of the start-up rewrites")
        let bad = try XCTUnwrap(events.first { $0.name == "bad.yaml" })
        XCTAssertEqual(bad.diagnostics.first?["line"] as? Int, 3)
        XCTAssertEqual(bad.diagnostics.first?["column"] as? Int, 9)
        XCTAssertTrue(daemon.log.contains("bad.yaml:3:9: error:"), daemon.log)
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// A restart does not read again the files the last start found valid (canonical or not), as long as
    /// nothing wrote them since, and reports them as they were found; what did change — even a same-size save with its mtime put back — is read
    /// and judged again, invalid files are reported at every start, and a cache that does not parse is
    /// ignored.
    func testARestartReadsOnlyWhatChangedSinceTheLastStart() throws {
        let p = try Project()
        let specs = resolvedPath(p.specs)
        let names = ["a", "b", "c", "d"]
        for name in names { try p.write(".tandemonium/specs/\(name).yaml", canonicalForm("\(name.uppercased())-1", "Same \(name)")) }
        try p.write(".tandemonium/specs/bad.yaml", "id: BAD-1\ntitle: Bad\nstatus: wip\n")
        try p.write(".tandemonium/specs/messy.yaml", messySpec("M-1", "Messy"))
        // Only files changed more than three seconds before a start are recorded (same-tick writes).
        func settled() -> Bool {
            (names + ["bad", "messy"]).allSatisfy { name in
                var st = stat()
                guard stat(specs + "/\(name).yaml", &st) == 0 else { return false }
                return Date().timeIntervalSince1970 - (Double(st.st_ctim.tv_sec) + Double(st.st_ctim.tv_nsec) / 1e9) > 3.2
            }
        }
        try waitUntil("the specs' ctime to be older than three seconds", timeout: 10) { settled() }

        func start(_ label: String) throws -> (log: String, events: [String]) {
            let daemon = try WatchDaemon(p, arguments: ["--startup", "check", "--log-level", "debug"], label: label)
            try daemon.waitForLog("start-up check: ")
            try daemon.waitForLog("verdicts of")
            let events = try daemon.quiesce().map(\.description).sorted()
            XCTAssertEqual(try daemon.stop(), 0)
            // quiesce's cookie files are specs too: gone before the next start.
            for name in try FileManager.default.contentsOfDirectory(atPath: specs) where name.hasPrefix("zz-cookie-") {
                try FileManager.default.removeItem(atPath: specs + "/" + name)
            }
            return (daemon.log, events)
        }
        let expectedEvents = ["a.yaml: unchanged", "b.yaml: unchanged", "bad.yaml: invalid", "c.yaml: unchanged", "d.yaml: unchanged",
                              "messy.yaml: not-canonical"]
        let first = try start("first")
        XCTAssertFalse(first.log.contains("not read again"), first.log)
        XCTAssertTrue(first.log.contains("verdicts of 5 files kept in "), first.log)
        XCTAssertEqual(first.events, expectedEvents)

        // A file saved just before a start is read, and not recorded: it may change again unseen.
        try p.write(".tandemonium/specs/fresh.yaml", canonicalForm("F-1", "Fresh"))
        let second = try start("second")
        XCTAssertTrue(second.log.contains("(5 unchanged since the last start, not read again)"), second.log)
        XCTAssertTrue(second.log.contains("verdicts of 5 files kept in "), "fresh.yaml must not be recorded:\n" + second.log)
        try FileManager.default.removeItem(atPath: specs + "/fresh.yaml")
        XCTAssertTrue(second.log.contains("bad.yaml:3:9: error:"), "invalid files are read and reported at every start")
        XCTAssertEqual(second.events, (expectedEvents + ["fresh.yaml: unchanged"]).sorted(), "cached files are reported as they stand")

        // b.yaml saved in place, same size, mtime put back: only its ctime moved. It is now invalid.
        let b = specs + "/b.yaml"
        var before = stat()
        XCTAssertEqual(stat(b, &before), 0)
        let broken = canonicalForm("B-1", "Same b").replacingOccurrences(of: "title: Same b", with: "title: [Same]")
        XCTAssertEqual(broken.utf8.count, Int(before.st_size))
        try broken.write(toFile: b, atomically: false, encoding: .utf8)
        var times = [before.st_atim, before.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, b, &times, 0), 0)
        let third = try start("third")
        XCTAssertTrue(third.log.contains("(4 unchanged since the last start, not read again)"), third.log)
        XCTAssertTrue(third.log.contains("b.yaml:2:8: error:"), third.log)
        XCTAssertTrue(third.events.contains("b.yaml: invalid"), "\(third.events)")

        // A damaged cache is not used: here a hand edit that calls the non-canonical file canonical.
        let kept = try XCTUnwrap(third.log.components(separatedBy: "kept in ").last?.components(separatedBy: " for the next start").first)
        let cacheText = try String(contentsOfFile: kept, encoding: .utf8)
        XCTAssertTrue(cacheText.contains(" n " + specs + "/messy.yaml"), cacheText)
        try cacheText.replacingOccurrences(of: " n " + specs + "/messy.yaml", with: " c " + specs + "/messy.yaml")
            .write(toFile: kept, atomically: false, encoding: .utf8)
        let fourth = try start("fourth")
        XCTAssertFalse(fourth.log.contains("not read again"), fourth.log)
        XCTAssertTrue(fourth.events.contains("b.yaml: invalid"), "\(fourth.events)")
        XCTAssertTrue(fourth.events.contains("messy.yaml: not-canonical"), "\(fourth.events)")

        // Under `--startup fix` a file last found valid but not canonical is read and normalized.
        let fix = try WatchDaemon(p, arguments: ["--startup", "fix"], label: "fix")
        try fix.waitForLog("start-up fix: 6 files")
        try fix.waitForContent(specs + "/messy.yaml", canonicalForm("M-1", "Messy"))
        XCTAssertTrue(fix.log.contains("1 normalized"), fix.log)
        XCTAssertEqual(try fix.stop(), 0)
    }

    func testStartupCheckReportsButNeverWrites() throws {
        let p = try Project()
        let tree = try makeTree(p)
        let all = tree.messy + [tree.canonical, tree.invalid]
        let before = try all.map(Inode.init)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "check"])
        try daemon.waitForLog("start-up check: 4 files")
        XCTAssertTrue(daemon.log.contains("0 normalized, 1 invalid"), daemon.log)
        let events = try daemon.quiesce()
        XCTAssertEqual(try all.map(Inode.init), before, "check must not write")
        XCTAssertEqual(events.map(\.description).sorted(),
                       ["a.yaml: not-canonical", "b.yaml: unchanged", "bad.yaml: invalid", "e.yaml: not-canonical"])
        // After start-up, a save is handled as usual.
        try Save.inPlace(tree.messy[0], messySpec("A-1", "Alpha two"))
        try daemon.waitForContent(tree.messy[0], canonicalForm("A-1", "Alpha two"))
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testStartupOffTouchesNothingUntilAFileChanges() throws {
        let p = try Project()
        let tree = try makeTree(p)
        let all = tree.messy + [tree.canonical, tree.invalid]
        let before = try all.map(Inode.init)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let events = try daemon.quiesce()
        XCTAssertEqual(events.map(\.description), [], "startup off: existing files are not even reported")
        XCTAssertEqual(try all.map(Inode.init), before)
        XCTAssertFalse(daemon.log.contains("start-up"), daemon.log)
        try Save.inPlace(tree.messy[1], messySpec("E-1", "Echo two"))
        try daemon.waitForContent(tree.messy[1], canonicalForm("E-1", "Echo two"))
        XCTAssertEqual(try Inode(tree.messy[0]), before[0], "only the saved file is normalized")
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testStartupPolicyComesFromTheConfigurationFile() throws {
        let p = try Project()
        let tree = try makeTree(p)
        try p.write(".specsync.yaml", "startup: check\n")
        let before = try Inode(tree.messy[0])
        let daemon = try WatchDaemon(p)
        try daemon.waitForLog("start-up check: 4 files")
        XCTAssertEqual(try Inode(tree.messy[0]), before)
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testBadStartupValueIsAUsageError() throws {
        let p = try Project()
        let r = try CLI.run(["watch", "--startup", "sometimes"], cwd: p.root)
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("'fix', 'check' or 'off'"), r.stderr)
        let level = try CLI.run(["watch", "--log-level", "loud"], cwd: p.root)
        XCTAssertEqual(level.status, 2, level.stderr)
        XCTAssertTrue(level.stderr.contains("- debug"), level.stderr)
        let missing = try CLI.run(["watch", "no-such-dir"], cwd: p.root)
        XCTAssertEqual(missing.status, 2, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no-such-dir"), missing.stderr)
    }
}
