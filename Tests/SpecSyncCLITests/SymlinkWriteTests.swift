import Foundation
import XCTest

/// fmt, check --fix and write follow the watcher's rule: a spec that resolves outside the tree being
/// processed is checked but never written (a cloned repository cannot make a pre-commit `fmt` rewrite a
/// file elsewhere); `--follow-symlinks-outside` allows it.
final class SymlinkWriteTests: XCTestCase {
    private struct Layout {
        let p: Project
        let outsideFile: String
        let link: String
        let inTreeTarget: String
    }

    /// specs/o.yaml -> ../../outside/v.yaml (messy), specs/alias.yaml -> real/in.yaml (messy, in the tree).
    private func layout() throws -> Layout {
        let p = try Project()
        try p.write("outside/v.yaml", messySpec("OUT-1", "outside"))
        try p.write(".tandemonium/specs/real/in.yaml", messySpec("IN-1", "inside"))
        XCTAssertEqual(symlink("../../outside/v.yaml", p.specs + "/o.yaml"), 0)
        XCTAssertEqual(symlink("real/in.yaml", p.specs + "/alias.yaml"), 0)
        return Layout(p: p, outsideFile: p.root + "/outside/v.yaml", link: p.specs + "/o.yaml",
                      inTreeTarget: p.specs + "/real/in.yaml")
    }

    private func assertOutsideUntouched(_ l: Layout, _ before: Inode, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(fileText(l.outsideFile), messySpec("OUT-1", "outside"), file: file, line: line)
        XCTAssertEqual(try Inode(l.outsideFile), before, "the file outside the tree was replaced", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: l.outsideFile + ".lock"), "lock created outside", file: file, line: line)
        var st = stat()
        XCTAssertEqual(lstat(l.link, &st), 0, file: file, line: line)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFLNK, "the link was replaced", file: file, line: line)
    }

    func testFmtOfTheTreeLeavesTheOutsideFileAndSaysSo() throws {
        let l = try layout()
        let before = try Inode(l.outsideFile)
        let r = try CLI.run(["fmt", ".tandemonium/specs"], cwd: l.p.root)
        XCTAssertEqual(r.status, 1, "a file left non-canonical is a finding: " + r.stderr)
        try assertOutsideUntouched(l, before)
        XCTAssertTrue(r.stderr.contains("o.yaml is a symlink to a file outside"), r.stderr)
        XCTAssertTrue(r.stderr.contains("checked, not rewritten (pass --follow-symlinks-outside"), r.stderr)
        XCTAssertEqual(fileText(l.inTreeTarget), canonicalForm("IN-1", "inside"), "in-tree links are followed")
    }

    func testCheckFixOfANamedLinkAndTheDefaultTreeLeaveTheOutsideFile() throws {
        let l = try layout()
        let before = try Inode(l.outsideFile)
        let named = try CLI.run(["check", "--fix", ".tandemonium/specs/o.yaml"], cwd: l.p.root)
        XCTAssertEqual(named.status, 1, named.stderr)
        XCTAssertTrue(named.stdout.contains("o.yaml: not in canonical form"), named.stdout)
        XCTAssertTrue(named.stderr.contains("is a symlink to a file outside"), named.stderr)
        let all = try CLI.run(["check", "--fix", "--format", "json"], cwd: l.p.root)
        XCTAssertEqual(all.status, 1, all.stderr)
        XCTAssertTrue(all.stdout.contains("\"action\":\"not-canonical\""), all.stdout)
        XCTAssertTrue(all.stdout.contains("\"not_written\":"), all.stdout)
        try assertOutsideUntouched(l, before)
        XCTAssertEqual(fileText(l.inTreeTarget), canonicalForm("IN-1", "inside"))
    }

    func testWriteThroughALinkOutsideIsRefusedUnlessAllowed() throws {
        let l = try layout()
        let before = try Inode(l.outsideFile)
        let refused = try CLI.run(["write", ".tandemonium/specs/o.yaml"], stdin: messySpec("OUT-1", "new"), cwd: l.p.root)
        XCTAssertEqual(refused.status, 2, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("is a symlink to a file outside"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("not written"), refused.stderr)
        try assertOutsideUntouched(l, before)

        // A dangling link could create a file anywhere: refused as well.
        XCTAssertEqual(symlink("../../outside/new.yaml", l.p.specs + "/dangling.yaml"), 0)
        let dangling = try CLI.run(["write", ".tandemonium/specs/dangling.yaml"], stdin: messySpec("N-1", "n"), cwd: l.p.root)
        XCTAssertEqual(dangling.status, 2, dangling.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: l.p.root + "/outside/new.yaml"))

        let allowed = try CLI.run(["write", "--follow-symlinks-outside", ".tandemonium/specs/o.yaml"],
                                  stdin: messySpec("OUT-1", "new"), cwd: l.p.root)
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertEqual(fileText(l.outsideFile), canonicalForm("OUT-1", "new"))
        var st = stat()
        XCTAssertEqual(lstat(l.link, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFLNK, "writing through a link keeps the link")
    }

    func testFmtWithTheFlagRewritesThroughTheLink() throws {
        let l = try layout()
        let r = try CLI.run(["fmt", "--follow-symlinks-outside"], cwd: l.p.root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(fileText(l.outsideFile), canonicalForm("OUT-1", "outside"))
    }

    /// `check --staged`: a staged symlink's blob is only the target's name. An in-tree target is
    /// checked by its staged content; one outside the git work tree (not part of the commit) as it is
    /// on disk, with a message — and nothing is written either way.
    func testStagedSymlinksAreCheckedThroughTheirTargets() throws {
        let l = try layout()
        let git = { (args: String) in try CLI.shell("git -c user.name=t -c user.email=t@example.com " + args, cwd: l.p.root) }
        XCTAssertEqual(try git("init -q .").status, 0)
        XCTAssertEqual(try git("add .tandemonium/specs/real .tandemonium/specs/alias.yaml").status, 0)
        let staged = try CLI.run(["check", "--staged"], cwd: l.p.root)
        XCTAssertEqual(staged.status, 1, staged.stdout + staged.stderr)
        // alias.yaml -> real/in.yaml: the staged messy content of the target, reported for the link.
        XCTAssertTrue(staged.stdout.contains("alias.yaml: not in canonical form"), staged.stdout)
        XCTAssertFalse(staged.stdout.contains("alias.yaml:1:1: error"), "the link text was parsed as a spec: \(staged.stdout)")

        // Point the link outside the work tree: checked on disk, said so, still never written.
        let outsideRepo = l.p.root + "/../" + (l.p.root as NSString).lastPathComponent + "-outside.yaml"
        try messySpec("OUT-2", "far").write(toFile: outsideRepo, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: outsideRepo) }
        XCTAssertEqual(unlink(l.p.specs + "/alias.yaml"), 0)
        XCTAssertEqual(symlink(outsideRepo, l.p.specs + "/alias.yaml"), 0)
        XCTAssertEqual(try git("add .tandemonium/specs/alias.yaml").status, 0)
        let far = try CLI.run(["check", "--staged"], cwd: l.p.root)
        XCTAssertEqual(far.status, 1, far.stdout + far.stderr)
        XCTAssertTrue(far.stderr.contains("alias.yaml is a symlink to a file outside"), far.stderr)
        XCTAssertTrue(far.stderr.contains("the commit stores only the link"), far.stderr)
        XCTAssertEqual(fileText(outsideRepo), messySpec("OUT-2", "far"))
    }
}
