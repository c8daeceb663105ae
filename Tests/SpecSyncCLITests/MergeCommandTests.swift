import Foundation
import XCTest

/// `specsync merge` as git runs it (`%O %A %B %P`), its fallback to `git merge-file`, what `check` and
/// the watcher make of conflict markers, and its registration by `install-hook --merge-driver` and `init`.
final class MergeCommandTests: XCTestCase {
    private let base = """
        id: TAND-7
        title: Merge specs
        # lifecycle
        status: ready
        requirements:
          - One
        priority: 2

        """

    private func files(_ p: Project, base: String, ours: String, theirs: String) throws -> (String, String, String) {
        try p.write("m/base", base)
        try p.write("m/ours", ours)
        try p.write("m/theirs", theirs)
        return (p.root + "/m/base", p.root + "/m/ours", p.root + "/m/theirs")
    }

    func testCleanMergeKeepsBothSidesAndTheirCommentsInCanonicalForm() throws {
        let p = try Project()
        // Ours: a status, a comment, a requirement; theirs: reordered keys, quoted strings, a comment, a requirement.
        let ours = base.replacingOccurrences(of: "status: ready", with: "status: done  # shipped")
            .replacingOccurrences(of: "  - One\n", with: "  - One\n  - Two\n")
        let theirs = """
            priority: 2
            id: "TAND-7"
            # why it exists
            title: "Merge specs"
            # lifecycle
            status: "ready"
            requirements:
            - "One"
            - "Three"

            """
        let (b, o, t) = try files(p, base: base, ours: ours, theirs: theirs)
        let run = try CLI.run(["merge", b, o, t, ".tandemonium/specs/TAND-7.yaml"], cwd: p.root)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try p.read("m/ours"), """
            id: TAND-7
            # why it exists
            title: Merge specs
            # lifecycle
            status: done  # shipped
            requirements:
              - One
              - Two
              - Three
            priority: 2

            """)
        XCTAssertFalse(FileManager.default.fileExists(atPath: o + ".lock"), "no lock sidecar next to git's temporary file")
        XCTAssertEqual(try CLI.run(["check", o], cwd: p.root).status, 0)
    }

    func testConflictWritesMarkersAroundOnlyTheConflictingLinesAndCheckNamesThem() throws {
        let p = try Project()
        let ours = base.replacingOccurrences(of: "status: ready", with: "status: done")
            .replacingOccurrences(of: "priority: 2", with: "priority: 1")
        let theirs = base.replacingOccurrences(of: "status: ready", with: "status: blocked")
            .replacingOccurrences(of: "title: Merge specs", with: "title: Merge specs by structure")
        let (b, o, t) = try files(p, base: base, ours: ours, theirs: theirs)
        let run = try CLI.run(["merge", b, o, t, "TAND-7.yaml"], cwd: p.root)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("TAND-7.yaml: conflict at /status: changed differently on both sides"), run.stderr)
        let conflicted = """
            id: TAND-7
            title: Merge specs by structure
            # lifecycle
            <<<<<<< ours
            status: done
            ||||||| base
            status: ready
            =======
            status: blocked
            >>>>>>> theirs
            requirements:
              - One
            priority: 1

            """
        XCTAssertEqual(try p.read("m/ours"), conflicted)
        // Git's own tool reads the blocks: taking ours' side leaves a valid spec.
        let check = try CLI.run(["check", o], cwd: p.root)
        XCTAssertEqual(check.status, 1)
        for line in [4, 6, 8, 10] {
            XCTAssertTrue(check.stdout.contains("ours:\(line):1: error: unresolved merge conflict marker"), check.stdout)
        }
        XCTAssertTrue(check.stdout.contains("resolve the conflict and remove the markers"), check.stdout)
        let json = try CLI.run(["check", "--format", "json", o], cwd: p.root)
        XCTAssertTrue(json.stdout.contains("\"kind\":\"conflict-marker\""), json.stdout)
        // fmt leaves it alone too.
        XCTAssertEqual(try CLI.run(["fmt", o], cwd: p.root).status, 1)
        XCTAssertEqual(try p.read("m/ours"), conflicted)
    }

    func testDeletionAgainstEditIsAConflict() throws {
        let p = try Project()
        let ours = base.replacingOccurrences(of: "priority: 2\n", with: "")
        let theirs = base.replacingOccurrences(of: "priority: 2", with: "priority: 3")
        let (b, o, t) = try files(p, base: base, ours: ours, theirs: theirs)
        let run = try CLI.run(["merge", b, o, t], cwd: p.root)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("conflict at /priority: deleted in ours, changed in theirs"), run.stderr)
        let merged = try p.read("m/ours")
        XCTAssertTrue(merged.hasSuffix("  - One\n<<<<<<< ours\n||||||| base\npriority: 2\n=======\npriority: 3\n>>>>>>> theirs\n"), merged)
    }

    func testAMergeThatWouldBeInvalidIsAConflict() throws {
        let p = try Project()
        // Each side alone is valid, together they are not. The task schema has no such rule between
        // fields, so this schema makes `a` and `b` exclusive.
        try p.write("schema.json", """
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}},
             "not": {"required": ["a", "b"]}}
            """)
        let (b, o, t) = try files(p, base: "id: X\n", ours: "id: X\na: 1\n", theirs: "id: X\nb: 2\n")
        let run = try CLI.run(["merge", "--schema", p.root + "/schema.json", b, o, t, "x.yaml"], cwd: p.root)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("the merged spec would be invalid"), run.stderr)
        XCTAssertEqual(try p.read("m/ours"), "id: X\n<<<<<<< ours\na: 1\n||||||| base\n=======\nb: 2\n>>>>>>> theirs\n")
    }

    func testUnreadableInputsFallBackToGitMergeFile() throws {
        let p = try Project()
        // Already conflicted on one side: git's text merge, and never a clean exit with markers.
        let marked = base.replacingOccurrences(of: "status: ready\n", with: "<<<<<<< HEAD\nstatus: a\n=======\nstatus: b\n>>>>>>> x\n")
        var (b, o, t) = try files(p, base: base, ours: marked, theirs: base.replacingOccurrences(of: "priority: 2", with: "priority: 3"))
        var run = try CLI.run(["merge", b, o, t, "TAND-7.yaml"], cwd: p.root)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("ours is not a readable spec; merged as text by git merge-file"), run.stderr)
        XCTAssertTrue(try p.read("m/ours").contains("priority: 3\n"), "git's text merge applied theirs' change")
        XCTAssertTrue(try p.read("m/ours").contains("<<<<<<< HEAD\n"))

        // Not YAML at all, but git merges the text cleanly and the result is a valid spec.
        let broken = base.replacingOccurrences(of: "requirements:", with: "requirements: [")
        (b, o, t) = try files(p, base: broken, ours: broken.replacingOccurrences(of: "priority: 2", with: "priority: 1"),
                              theirs: broken.replacingOccurrences(of: "requirements: [", with: "requirements:"))
        run = try CLI.run(["merge", b, o, t], cwd: p.root)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try p.read("m/ours"), base.replacingOccurrences(of: "priority: 2", with: "priority: 1"))

        // Binary: git refuses, OURS stays as it was, and it is a conflict.
        let binary = "\u{0}\u{1}\u{2}binary\n"
        (b, o, t) = try files(p, base: base, ours: binary, theirs: base.replacingOccurrences(of: "priority: 2", with: "priority: 3"))
        run = try CLI.run(["merge", b, o, t], cwd: p.root)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(try p.read("m/ours"), binary)

        // Larger than limits.max_file_bytes: text merge, conflict markers where the texts collide.
        try p.write(".specsync.yaml", "limits:\n  max_file_bytes: 64\n")
        (b, o, t) = try files(p, base: base, ours: base.replacingOccurrences(of: "priority: 2", with: "priority: 1"),
                              theirs: base.replacingOccurrences(of: "priority: 2", with: "priority: 3"))
        run = try CLI.run(["merge", b, o, t], cwd: p.root)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("merged as text by git merge-file"), run.stderr)
        let large = try p.read("m/ours")
        XCTAssertTrue(large.contains("<<<<<<< ours\npriority: 1\n||||||| base\npriority: 2\n=======\npriority: 3\n>>>>>>> theirs\n"), large)
    }

    func testBadArgumentsChangeNothing() throws {
        let p = try Project()
        let (b, o, _) = try files(p, base: base, ours: base, theirs: base)
        let run = try CLI.run(["merge", b, o, p.root + "/m/missing"], cwd: p.root)
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("missing"), run.stderr)
        XCTAssertEqual(try p.read("m/ours"), base)
        XCTAssertEqual(try CLI.run(["merge", b], cwd: p.root).status, 2)
    }

    /// The watcher reports a spec with conflict markers and never rewrites it, even when the rest of the
    /// file is far from canonical.
    func testWatcherLeavesAConflictedSpecAlone() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let path = daemon.root + "/TAND-7.yaml"
        let conflicted = "title:   Merge specs\nid: TAND-7\n<<<<<<< ours\nstatus: done\n=======\nstatus: blocked\n>>>>>>> theirs\n"
        try Save.inPlace(path, conflicted)
        let saved = try Inode(path)
        let event = try daemon.waitForEvent(path, action: "invalid")
        XCTAssertEqual(event.diagnostics.first?["kind"] as? String, "conflict-marker", event.raw)
        XCTAssertEqual(event.diagnostics.first?["line"] as? Int, 3, event.raw)
        try daemon.waitForLog("TAND-7.yaml:3:1: error: unresolved merge conflict marker")
        try daemon.quiesce()
        XCTAssertEqual(try Inode(path), saved, "a file with conflict markers is never rewritten")
        XCTAssertEqual(fileText(path), conflicted)
        // Resolved: normalized as usual.
        try Save.inPlace(path, "title:   Merge specs\nid: TAND-7\nstatus: done\n")
        try daemon.waitForContent(path, "id: TAND-7\ntitle: Merge specs\nstatus: done\n")
        XCTAssertEqual(try daemon.stop(), 0)
    }

    // MARK: Registration

    private func git(_ args: [String], _ p: Project) throws -> CommandResult {
        try MergeCorpusTests.git(args, in: p.root)
    }

    func testInstallHookMergeDriverRegistersOnceAndInitDoesToo() throws {
        let p = try Project()
        try MergeCorpusTests.initRepository(p)
        try p.write(".gitattributes", "*.png binary")
        let env = MergeCorpusTests.gitEnvironment
        let first = try CLI.run(["install-hook", "--merge-driver"], cwd: p.root, environment: env)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Registered the merge driver"), first.stdout)
        let binary = resolvedPath(CLI.binary)
        XCTAssertEqual(try git(["config", "--get", "merge.specsync.driver"], p).stdout, "'\(binary)' merge %O %A %B %P\n")
        XCTAssertEqual(try git(["config", "--get", "merge.specsync.name"], p).stdout, "specsync: merge task specs by structure\n")
        let attributes = try p.read(".gitattributes")
        XCTAssertEqual(attributes, """
            *.png binary
            # specs merge by structure (specsync merge; see `git config merge.specsync.driver`)
            .tandemonium/specs/**/*.yaml merge=specsync
            .tandemonium/specs/**/*.yml merge=specsync

            """)
        XCTAssertEqual(try git(["check-attr", "merge", ".tandemonium/specs/sub/TAND-1.yaml"], p).stdout,
                       ".tandemonium/specs/sub/TAND-1.yaml: merge: specsync\n")

        let again = try CLI.run(["install-hook", "--merge-driver"], cwd: p.root, environment: env)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("Kept the merge driver: already registered"), again.stdout)
        XCTAssertEqual(try p.read(".gitattributes"), attributes)

        // On PATH, the configuration names the command the way the README shows it; init registers it.
        let binDir = (binary as NSString).deletingLastPathComponent
        var pathEnv = env
        pathEnv["PATH"] = binDir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let initRun = try CLI.run(["init"], cwd: p.root, environment: pathEnv)
        XCTAssertEqual(initRun.status, 0, initRun.stderr)
        XCTAssertTrue(initRun.stdout.contains("Registered the merge driver"), initRun.stdout)
        XCTAssertEqual(try git(["config", "--get", "merge.specsync.driver"], p).stdout, "specsync merge %O %A %B %P\n")
        XCTAssertEqual(try p.read(".gitattributes"), attributes)
        let initAgain = try CLI.run(["init"], cwd: p.root, environment: pathEnv)
        XCTAssertTrue(initAgain.stdout.contains("Kept the merge driver: already registered"), initAgain.stdout)
    }
}
