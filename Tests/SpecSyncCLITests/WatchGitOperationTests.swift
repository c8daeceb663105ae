import Foundation
import XCTest

/// A scratch project that is its own git repository. Git (and specsync, which runs git) sees the
/// environment set in `setUp`: GIT_CEILING_DIRECTORIES stops at the scratch folder's parent and the
/// global configuration is an empty file, so nothing here can reach the repository around the checkout.
final class GitSandbox {
    let project: Project
    var root: String { project.root }

    init() throws {
        project = try Project()
        try project.write(".gitignore", "*.lock\n.specsync-tmp-*\nzz-cookie-*\n*-events.jsonl\n*-stderr.log\n")
        try git("init", "-q", "-b", "main")
        // Go on only inside our own repository: its top level must be this folder.
        let top = try git("rev-parse", "--show-toplevel").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard top == resolvedPath(root) else { throw WatchTimeout(description: "git init did not make \(root) a repository (top level \(top))") }
    }

    /// Runs git in `directory` (default: the root); throws unless it exits 0 (or `allowFailure`).
    @discardableResult
    func git(_ arguments: String..., in directory: String? = nil, allowFailure: Bool = false,
             environment: [String: String] = [:]) throws -> CommandResult {
        let result = try CLI.run(arguments, cwd: directory ?? root, environment: environment, executable: "/usr/bin/git")
        if !allowFailure, result.status != 0 {
            throw WatchTimeout(description: "git \(arguments.joined(separator: " ")) exited \(result.status): \(result.stdout)\(result.stderr)")
        }
        return result
    }

    func commit(_ message: String, _ files: [String: String], in directory: String? = nil) throws {
        let base = directory ?? root
        for (relative, text) in files {
            let path = base + "/" + relative
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        try git("add", "-A", ".", in: base)
        try git("commit", "-q", "-m", message, in: base)
    }
}

final class WatchGitOperationTests: XCTestCase {
    private var savedEnvironment: [String: String?] = [:]

    override func setUpWithError() throws {
        let scratch = FileManager.default.currentDirectoryPath + "/.build/test-scratch"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let emptyConfig = scratch + "/empty-gitconfig"
        if !FileManager.default.fileExists(atPath: emptyConfig) {
            XCTAssertTrue(FileManager.default.createFile(atPath: emptyConfig, contents: Data()))
        }
        let environment = [
            "GIT_CEILING_DIRECTORIES": resolvedPath(scratch), "GIT_CONFIG_GLOBAL": emptyConfig, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_EDITOR": "true", "GIT_MERGE_AUTOEDIT": "no",
        ]
        for (key, value) in environment {
            savedEnvironment[key] = ProcessInfo.processInfo.environment[key]
            setenv(key, value, 1)
        }
    }

    override func tearDown() {
        for (key, value) in savedEnvironment {
            if let value { setenv(key, value, 1) } else { unsetenv(key) }
        }
    }

    private let specs = ".tandemonium/specs"

    /// Waits for the debug line saying `path` settled while held: the save was seen and not rewritten.
    private func waitUntilHeld(_ daemon: WatchDaemon, _ path: String) throws {
        try daemon.waitForLog("\(path): changed during a git operation")
    }

    private func actions(_ daemon: WatchDaemon, _ action: String) -> [WatchEventLine] {
        daemon.events.filter { $0.action == action }
    }

    /// Every spec below `directory` reaches its canonical form (`canonicalForm(id, title)` by name).
    private func waitForCanonical(_ daemon: WatchDaemon, _ expected: [String: String]) throws {
        for (path, content) in expected { try daemon.waitForContent(path, content, timeout: 30) }
    }

    // MARK: rebase

    func testRebaseExecOverTenNonCanonicalCommitsCompletesAndEndsCanonical() throws {
        let repo = try GitSandbox()
        try repo.commit("base", ["\(specs)/base.yaml": canonicalForm("BASE", "base")])
        try repo.git("checkout", "-q", "-b", "topic")
        for n in 1...10 {
            // Each commit leaves a new spec and the shared one non-canonical.
            try repo.commit("step \(n)", ["\(specs)/t\(n).yaml": messySpec("T\(n)", "step \(n)"),
                                          "\(specs)/shared.yaml": messySpec("SHARED", "after \(n)")])
        }
        try repo.git("checkout", "-q", "main")
        try repo.commit("main moves on", ["notes.txt": "upstream\n"])
        try repo.git("checkout", "-q", "topic")
        // The topic's specs are non-canonical and committed so: start without touching them, or the
        // tree would be dirty before the rebase begins.
        let daemon = try WatchDaemon(repo.project, arguments: ["--startup", "off", "--log-level", "debug"])
        let rebase = try repo.git("rebase", "-x", "sleep 0.3", "main", allowFailure: true)
        XCTAssertEqual(rebase.status, 0, "the rebase must not stop: \(rebase.stderr)\nlog:\n\(daemon.log)")
        XCTAssertEqual(try repo.git("rev-list", "--count", "main..HEAD").stdout.trimmingCharacters(in: .whitespacesAndNewlines), "10")
        XCTAssertFalse(FileManager.default.fileExists(atPath: repo.root + "/.git/rebase-merge"))
        var expected = ["\(daemon.root)/shared.yaml": canonicalForm("SHARED", "after 10")]
        for n in 1...10 { expected["\(daemon.root)/t\(n).yaml"] = canonicalForm("T\(n)", "step \(n)") }
        try waitForCanonical(daemon, expected)
        // The event line follows the write: a file can read canonical a moment before its line is there.
        for path in expected.keys { try daemon.waitForEvent(path, action: "normalized", timeout: 30) }
        let lines = daemon.events
        let paused = try XCTUnwrap(lines.firstIndex { $0.action == "paused" && $0.raw.contains("a rebase") }, "\(lines)")
        let resumed = try XCTUnwrap(lines.lastIndex { $0.action == "resumed" && $0.raw.contains("a rebase") }, "\(lines)")
        XCTAssertFalse(lines[paused..<resumed].contains { $0.action == "normalized" }, "nothing is rewritten mid-rebase: \(lines)")
        // Once, in one pass: each spec is normalized exactly once.
        for path in expected.keys { XCTAssertEqual(daemon.events(for: path).filter { $0.action == "normalized" }.count, 1, path) }
        XCTAssertTrue(daemon.log.contains("holding rewrites until it ends"), daemon.log)
    }

    func testInteractiveRebaseStoppedAtEditIsNotRewrittenUntilContinue() throws {
        let repo = try GitSandbox()
        try repo.commit("base", ["\(specs)/a.yaml": canonicalForm("A", "a")])
        try repo.commit("one", ["\(specs)/b.yaml": canonicalForm("B", "b")])
        try repo.commit("two", ["\(specs)/c.yaml": messySpec("C", "c")])
        let daemon = try WatchDaemon(repo.project, arguments: ["--startup", "off", "--log-level", "debug"])
        let stop = try repo.git("rebase", "-i", "HEAD~2", allowFailure: true,
                                environment: ["GIT_SEQUENCE_EDITOR": "sed -i -e '1s/^pick/edit/'"])
        XCTAssertEqual(stop.status, 0, stop.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: repo.root + "/.git/rebase-merge"), "stopped at edit")
        // What the user saves while stopped is held, not rewritten.
        let edited = daemon.root + "/b.yaml", fresh = daemon.root + "/new.yaml"
        try Save.inPlace(edited, messySpec("B", "b edited"))
        try Save.inPlace(fresh, messySpec("NEW", "new"))
        try waitUntilHeld(daemon, edited)
        try waitUntilHeld(daemon, fresh)
        XCTAssertEqual(fileText(edited), messySpec("B", "b edited"))
        XCTAssertEqual(fileText(fresh), messySpec("NEW", "new"))
        XCTAssertTrue(actions(daemon, "normalized").isEmpty, "\(daemon.events)")
        try repo.git("commit", "-q", "-a", "--amend", "--no-edit")
        try repo.git("rebase", "--continue")
        try daemon.waitForContent(edited, canonicalForm("B", "b edited"))
        try daemon.waitForContent(fresh, canonicalForm("NEW", "new"))
        try daemon.waitForContent(daemon.root + "/c.yaml", canonicalForm("C", "c"))
        XCTAssertEqual(daemon.events.last { ["paused", "resumed"].contains($0.action) }?.action, "resumed")
    }

    // MARK: conflicts

    /// main and topic change `c.yaml` differently; returns the repository on main, watched.
    private func conflictingBranches() throws -> (GitSandbox, WatchDaemon) {
        let repo = try GitSandbox()
        try repo.commit("base", ["\(specs)/c.yaml": canonicalForm("C", "base")])
        try repo.git("checkout", "-q", "-b", "topic")
        try repo.commit("topic", ["\(specs)/c.yaml": canonicalForm("C", "topic"), "\(specs)/d.yaml": messySpec("D", "d")])
        try repo.git("checkout", "-q", "main")
        try repo.commit("main", ["\(specs)/c.yaml": canonicalForm("C", "main")])
        let daemon = try WatchDaemon(repo.project, arguments: ["--log-level", "debug"])
        return (repo, daemon)
    }

    private func assertConflictLeftAlone(_ repo: GitSandbox, _ daemon: WatchDaemon, command: String...) throws {
        let conflicted = daemon.root + "/c.yaml"
        let result = try CLI.run(command, cwd: repo.root, executable: "/usr/bin/git")
        XCTAssertNotEqual(result.status, 0, "\(command) must conflict: \(result.stdout)")
        let before = try XCTUnwrap(FileManager.default.contents(atPath: conflicted))
        XCTAssertTrue(String(decoding: before, as: UTF8.self).contains("<<<<<<<"))
        // Reported invalid (the markers are not YAML), with where.
        let report = try daemon.waitForEvent(conflicted, action: "invalid")
        XCTAssertFalse(report.diagnostics.isEmpty, report.raw)
        // d.yaml came in non-canonical and clean; it waits.
        try waitUntilHeld(daemon, daemon.root + "/d.yaml")
        XCTAssertEqual(FileManager.default.contents(atPath: conflicted), before)
        // fmt and check --fix refuse while the operation is under way; `fmt -` does not care.
        let fmt = try CLI.run(["fmt"], cwd: repo.root)
        XCTAssertEqual(fmt.status, 2, fmt.stderr)
        XCTAssertTrue(fmt.stderr.contains("is in progress") && fmt.stderr.contains("--abort") && fmt.stderr.contains("--during-git-operation"), fmt.stderr)
        XCTAssertEqual(try CLI.run(["check", "--fix"], cwd: repo.root).status, 2)
        XCTAssertEqual(try CLI.run(["fmt", "-"], stdin: messySpec("X", "x"), cwd: repo.root).stdout, canonicalForm("X", "x"))
        XCTAssertEqual(FileManager.default.contents(atPath: conflicted), before)
        XCTAssertTrue(actions(daemon, "normalized").isEmpty, "\(daemon.events)")
        // Unless told otherwise: then fmt writes the clean spec, and still never the conflicted one.
        let forced = try CLI.run(["fmt", "--during-git-operation"], cwd: repo.root)
        XCTAssertEqual(forced.status, 1, "the conflicted spec is invalid: \(forced.stdout)\(forced.stderr)")
        XCTAssertEqual(fileText(daemon.root + "/d.yaml"), canonicalForm("D", "d"))
        XCTAssertEqual(FileManager.default.contents(atPath: conflicted), before)
        // Resolved by hand (valid, not canonical) and committed: the operation ends, both are normalized.
        try Save.inPlace(conflicted, messySpec("C", "resolved"))
        try repo.git("add", specs)
        try repo.git("commit", "-q", "--no-edit")
        try daemon.waitForContent(conflicted, canonicalForm("C", "resolved"))
        try daemon.waitForContent(daemon.root + "/d.yaml", canonicalForm("D", "d"))
    }

    func testConflictedMergeLeavesTheConflictedSpecByteIdentical() throws {
        let (repo, daemon) = try conflictingBranches()
        try assertConflictLeftAlone(repo, daemon, command: "merge", "-q", "topic")
    }

    func testConflictedCherryPickLeavesTheConflictedSpecByteIdentical() throws {
        let (repo, daemon) = try conflictingBranches()
        try assertConflictLeftAlone(repo, daemon, command: "cherry-pick", "topic")
    }

    /// `git stash pop` leaves unmerged entries but no marker: the spec is never rewritten while they
    /// are there, even once its content is valid, and is normalized after `git add`.
    func testStashPopConflictIsLeftAloneUntilAdded() throws {
        let repo = try GitSandbox()
        try repo.commit("base", ["\(specs)/c.yaml": canonicalForm("C", "base")])
        let daemon = try WatchDaemon(repo.project, arguments: ["--log-level", "debug"])
        let spec = daemon.root + "/c.yaml"
        try Save.inPlace(spec, canonicalForm("C", "stashed"))
        try repo.git("stash", "-q")
        try repo.commit("moved on", ["\(specs)/c.yaml": canonicalForm("C", "committed")])
        let pop = try repo.git("stash", "pop", allowFailure: true)
        XCTAssertNotEqual(pop.status, 0, "the pop must conflict: \(pop.stdout)")
        try daemon.waitForLog("\(spec): unmerged index entries")
        // Resolved in the editor (valid, not canonical) but not added: still left alone.
        try Save.inPlace(spec, messySpec("C", "resolved"))
        try daemon.waitForLog("\(spec) has unmerged index entries")
        XCTAssertEqual(fileText(spec), messySpec("C", "resolved"))
        try repo.git("add", specs)
        try daemon.waitForContent(spec, canonicalForm("C", "resolved"))
    }

    // MARK: am, bisect, checkout

    func testAmOfASeriesCompletesAndEndsCanonical() throws {
        let repo = try GitSandbox()
        try repo.commit("base", ["\(specs)/a.yaml": canonicalForm("A", "a")])
        for n in 1...4 { try repo.commit("patch \(n)", ["\(specs)/a.yaml": messySpec("A", "patch \(n)")]) }
        let patches = repo.root + "/patches"
        try repo.git("format-patch", "-q", "-o", patches, "HEAD~4")
        try repo.git("reset", "-q", "--hard", "HEAD~4")
        // A pause after each patch (this scratch repository's own hook), so a watcher that rewrote
        // between patches would be caught: the next patch would not apply to a rewritten file.
        try repo.project.write(".git/hooks/post-applypatch", "#!/bin/sh\nsleep 0.3\n")
        XCTAssertEqual(chmod(repo.root + "/.git/hooks/post-applypatch", 0o755), 0)
        let daemon = try WatchDaemon(repo.project, arguments: ["--log-level", "debug"])
        let names = try FileManager.default.contentsOfDirectory(atPath: patches).sorted().map { patches + "/" + $0 }
        XCTAssertEqual(names.count, 4)
        let am = try CLI.run(["am", "-q"] + names, cwd: repo.root, executable: "/usr/bin/git")
        XCTAssertEqual(am.status, 0, "git am must apply every patch: \(am.stderr)\nlog:\n\(daemon.log)")
        try daemon.waitForContent(daemon.root + "/a.yaml", canonicalForm("A", "patch 4"))
        XCTAssertFalse(actions(daemon, "paused").isEmpty)
    }

    func testBisectRunAcrossSpecsIsNotDisturbed() throws {
        let repo = try GitSandbox()
        try repo.commit("good", ["\(specs)/a.yaml": canonicalForm("A", "good")])
        for n in 1...6 {
            let title = n >= 4 ? "bad \(n)" : "fine \(n)"
            try repo.commit("c\(n)", ["\(specs)/a.yaml": messySpec("A", title), "\(specs)/n\(n).yaml": messySpec("N\(n)", "spec \(n)")])
        }
        // Start from a clean, canonical checkout of the first commit: bisect needs a clean tree.
        try repo.git("checkout", "-q", "HEAD~6")
        let daemon = try WatchDaemon(repo.project, arguments: ["--log-level", "debug"])
        try repo.git("bisect", "start", "main", "HEAD")
        let run = try repo.git("bisect", "run", "sh", "-c", "sleep 0.3; ! grep -q bad \(specs)/a.yaml", allowFailure: true)
        XCTAssertEqual(run.status, 0, "bisect run: \(run.stdout)\(run.stderr)\nlog:\n\(daemon.log)")
        XCTAssertTrue(run.stdout.contains("c4"), "the first bad commit is c4: \(run.stdout)")
        XCTAssertTrue(actions(daemon, "normalized").isEmpty, "nothing is rewritten mid-bisect: \(daemon.events)\n\(daemon.log)")
        try repo.git("bisect", "reset", "main")
        try daemon.waitForContent(daemon.root + "/a.yaml", canonicalForm("A", "bad 6"))
        try daemon.waitForContent(daemon.root + "/n6.yaml", canonicalForm("N6", "spec 6"))
    }

    func testPlainCheckoutOfNonCanonicalSpecsEndsCanonical() throws {
        let repo = try GitSandbox()
        try repo.commit("base", ["\(specs)/a.yaml": canonicalForm("A", "a")])
        try repo.git("checkout", "-q", "-b", "messy")
        try repo.commit("messy", ["\(specs)/a.yaml": messySpec("A", "messy"), "\(specs)/b.yaml": messySpec("B", "b")])
        try repo.git("checkout", "-q", "main")
        let daemon = try WatchDaemon(repo.project)
        try repo.git("checkout", "-q", "messy")
        try daemon.waitForContent(daemon.root + "/a.yaml", canonicalForm("A", "messy"))
        try daemon.waitForContent(daemon.root + "/b.yaml", canonicalForm("B", "b"))
    }

    // MARK: linked worktree

    func testLinkedWorktreeRebaseIsHeldToo() throws {
        let repo = try GitSandbox()
        try repo.commit("base", ["\(specs)/a.yaml": canonicalForm("A", "a")])
        try repo.git("branch", "topic")
        for n in 1...3 { try repo.commit("m\(n)", ["\(specs)/a.yaml": messySpec("A", "main \(n)")]) }
        try repo.git("worktree", "add", "-q", "linked", "topic")
        let linked = repo.root + "/linked"
        XCTAssertTrue(fileText(linked + "/.git")?.hasPrefix("gitdir:") ?? false, "a linked worktree's .git is a file")
        for n in 1...3 { try repo.commit("t\(n)", ["\(specs)/t\(n).yaml": messySpec("T\(n)", "t")], in: linked) }
        let daemon = try WatchDaemon(repo.project, arguments: ["--startup", "off", "--log-level", "debug"],
                                     directory: linked + "/" + specs, label: "linked")
        let rebase = try repo.git("rebase", "-x", "sleep 0.3", "main", in: linked, allowFailure: true)
        XCTAssertEqual(rebase.status, 0, "the rebase in the linked worktree must not stop: \(rebase.stderr)\nlog:\n\(daemon.log)")
        XCTAssertTrue(daemon.events.contains { $0.action == "paused" && $0.raw.contains("worktrees/linked/rebase-merge") }, "\(daemon.events)")
        try daemon.waitForContent(daemon.root + "/a.yaml", canonicalForm("A", "main 3"))
        for n in 1...3 { try daemon.waitForContent(daemon.root + "/t\(n).yaml", canonicalForm("T\(n)", "t")) }
    }
}
