import Foundation
import XCTest

/// Names that differ only in Unicode normalization — "é" as one scalar (NFC) and as "e" + U+0301 (NFD) —
/// are two different files on Linux, while Swift's String compares them equal. Every path specsync
/// compares, keys or tests by prefix must go by bytes: a directory cache keyed by String let a symlink to
/// outside the tree pass for an in-tree directory of the other spelling.
final class NormalizationTwinTests: XCTestCase {
    private let nfc = "\u{E9}"
    private let nfd = "e\u{301}"

    /// Created with the bytes given (no Foundation path handling in between).
    private func writeExactly(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0, path)
        let bytes = Array(text.utf8)
        XCTAssertEqual(Glibc.write(fd, bytes, bytes.count), bytes.count)
        close(fd)
    }

    private func makeDirectory(_ path: String) { XCTAssertEqual(mkdir(path, 0o755), 0, path) }

    /// `fmt` of named files (a shell glob): specs/<one spelling>/a.yaml is in the tree, specs/<other
    /// spelling> is a symlink to a directory outside. The outside file is never written, in either
    /// order and with either spelling as the link.
    func testADirectoryAndALinkSpelledAlikeAreJudgedApart() throws {
        for (real, link) in [(nfd, nfc), (nfc, nfd)] {
            for reversed in [false, true] {
                let p = try Project()
                let specs = resolvedPath(p.specs)
                makeDirectory(p.root + "/victim")
                try writeExactly(p.root + "/victim/a.yaml", messySpec("OUT-1", "outside"))
                makeDirectory(specs + "/" + real)
                try writeExactly(specs + "/" + real + "/a.yaml", messySpec("IN-1", "inside"))
                XCTAssertEqual(symlink("../../victim", specs + "/" + link), 0)
                let before = try Inode(p.root + "/victim/a.yaml")
                var files = [".tandemonium/specs/\(real)/a.yaml", ".tandemonium/specs/\(link)/a.yaml"]
                if reversed { files.reverse() }
                let r = try CLI.run(["fmt"] + files, cwd: p.root)
                let context = "real \(real.unicodeScalars.count == 1 ? "NFC" : "NFD"), reversed \(reversed): \(r.stderr)"
                XCTAssertEqual(fileText(p.root + "/victim/a.yaml"), messySpec("OUT-1", "outside"), context)
                XCTAssertEqual(try Inode(p.root + "/victim/a.yaml"), before, context)
                XCTAssertFalse(FileManager.default.fileExists(atPath: p.root + "/victim/a.yaml.lock"), context)
                XCTAssertTrue(r.stderr.contains("is a symlink to a file outside"), context)
                XCTAssertEqual(fileText(specs + "/" + real + "/a.yaml"), canonicalForm("IN-1", "inside"), context)
            }
        }
    }

    /// The tree is "specs/é"; a link in it leads to the sibling "specs/e\u{301}" — outside the tree, though
    /// its path starts with the tree's as Strings compare.
    func testASiblingSpelledLikeTheTreeIsOutsideIt() throws {
        let p = try Project()
        let specs = resolvedPath(p.specs)
        makeDirectory(specs + "/" + nfc)
        makeDirectory(specs + "/" + nfd)
        try writeExactly(specs + "/" + nfd + "/v.yaml", messySpec("OUT-2", "sibling"))
        XCTAssertEqual(symlink("../\(nfd)/v.yaml", specs + "/" + nfc + "/a.yaml"), 0)
        let before = try Inode(specs + "/" + nfd + "/v.yaml")
        let r = try CLI.run(["fmt", ".tandemonium/specs/\(nfc)"], cwd: p.root)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("is a symlink to a file outside"), r.stderr)
        XCTAssertEqual(fileText(specs + "/" + nfd + "/v.yaml"), messySpec("OUT-2", "sibling"))
        XCTAssertEqual(try Inode(specs + "/" + nfd + "/v.yaml"), before)
    }

    /// Two spec files spelled alike in one folder are two files to `fmt` and to the watcher: both are
    /// normalized, at start-up and when saved.
    func testTwoFilesSpelledAlikeAreBothNormalized() throws {
        let p = try Project()
        let specs = resolvedPath(p.specs)
        try writeExactly(specs + "/\(nfc).yaml", messySpec("TW-1", "composed"))
        try writeExactly(specs + "/\(nfd).yaml", messySpec("TW-2", "decomposed"))
        let r = try CLI.run(["fmt", ".tandemonium/specs"], cwd: p.root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(fileText(specs + "/\(nfc).yaml"), canonicalForm("TW-1", "composed"))
        XCTAssertEqual(fileText(specs + "/\(nfd).yaml"), canonicalForm("TW-2", "decomposed"))

        try writeExactly(specs + "/\(nfc).yaml", messySpec("TW-1", "composed again"))
        try writeExactly(specs + "/\(nfd).yaml", messySpec("TW-2", "decomposed again"))
        let daemon = try WatchDaemon(p, arguments: ["--startup", "fix"])
        try daemon.waitForLog("start-up fix:")
        try daemon.waitForContent(specs + "/\(nfc).yaml", canonicalForm("TW-1", "composed again"))
        try daemon.waitForContent(specs + "/\(nfd).yaml", canonicalForm("TW-2", "decomposed again"))
        try writeExactly(specs + "/\(nfd).yaml", messySpec("TW-2", "saved"))
        try writeExactly(specs + "/\(nfc).yaml", messySpec("TW-1", "saved"))
        try daemon.waitForContent(specs + "/\(nfd).yaml", canonicalForm("TW-2", "saved"))
        try daemon.waitForContent(specs + "/\(nfc).yaml", canonicalForm("TW-1", "saved"))
        XCTAssertEqual(try daemon.stop(), 0)
    }

    private func git(_ arguments: [String], _ p: Project) throws {
        let r = try CLI.run(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"] + arguments,
                            cwd: p.root, executable: "/usr/bin/git")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// The pre-commit check: a staged regular file spelled like a staged symlink is checked as the spec
    /// it is (it was taken for the link, its content for a link target, and an invalid spec passed).
    func testAStagedFileSpelledLikeAStagedLinkIsCheckedAsAFile() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/git"), "git is not installed")
        let p = try Project()
        let specs = resolvedPath(p.specs)
        try git(["init", "-q"], p)
        try writeExactly(specs + "/other.yaml", "id: [unclosed\n")
        try writeExactly(specs + "/\(nfd).yaml", "other.yaml")
        XCTAssertEqual(symlink("ok.yaml", specs + "/\(nfc).yaml"), 0)
        try writeExactly(specs + "/ok.yaml", canonicalForm("OK-1", "fine"))
        try git(["add", "-A", ".tandemonium/specs/\(nfd).yaml", ".tandemonium/specs/\(nfc).yaml", ".tandemonium/specs/ok.yaml"], p)
        let r = try CLI.run(["check", "--staged"], cwd: p.root)
        XCTAssertEqual(r.status, 1, "the file holding 'other.yaml' is no spec: " + r.stdout + r.stderr)
    }

    /// Paths relative to the specs folder are cut by bytes: a name starting with a combining mark kept
    /// its mark, so `exclude` decides on the name as written (check --staged dropped the mark, and with
    /// it the file from the check).
    func testStagedFilesAreMatchedOnTheirWholeName() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/git"), "git is not installed")
        let p = try Project()
        try p.write(".specsync.yaml", "specs_dir: specs\nexclude: [\"drafts/**\"]\n")
        makeDirectory(p.root + "/specs")
        makeDirectory(p.root + "/specs/\u{301}drafts")
        try writeExactly(p.root + "/specs/\u{301}drafts/bad.yaml", "id: [\n")
        try git(["init", "-q"], p)
        try git(["add", "-A"], p)
        let all = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(all.status, 1, all.stdout + all.stderr)
        let staged = try CLI.run(["check", "--staged"], cwd: p.root)
        XCTAssertEqual(staged.status, 1, staged.stdout + staged.stderr)
    }

    /// An exclude pattern is split on the byte "/": a folder whose name starts with a combining mark
    /// is excluded as written, and `fmt` leaves it alone.
    func testAnExcludePatternWithAMarkAfterASlashIsHonoured() throws {
        let p = try Project()
        try writeExactly(p.root + "/.specsync.yaml", "specs_dir: specs\nexclude: [\"sub/\u{301}d/**\"]\n")
        makeDirectory(p.root + "/specs")
        makeDirectory(p.root + "/specs/sub")
        makeDirectory(p.root + "/specs/sub/\u{301}d")
        try writeExactly(p.root + "/specs/sub/\u{301}d/x.yaml", messySpec("EX-1", "excluded"))
        try writeExactly(p.root + "/specs/ok.yaml", canonicalForm("OK-1", "fine"))
        let r = try CLI.run(["fmt"], cwd: p.root)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(fileText(p.root + "/specs/sub/\u{301}d/x.yaml"), messySpec("EX-1", "excluded"), "an excluded file was rewritten")
    }
}
