import Foundation
import SpecSyncEngine
import XCTest

/// `specsync merge` on a generated corpus of concurrent edits (MergeCorpus.swift), with expectations
/// computed by the corpus model, not by specsync: the bulk through the driver directly, a subset through
/// real `git merge`, `git rebase`, `git cherry-pick` and `git revert`. `scripts/bench-merge` prints the
/// figures this test measures.
struct OutsideScratch: Error, CustomStringConvertible {
    var description: String
}

final class MergeCorpusTests: XCTestCase {
    static let corpusSize = 1_008

    /// Git in the scratch repositories only: never above .build/test-scratch (so a failed `git init` can
    /// never reach the enclosing repository), an empty global configuration, fixed identities.
    static let gitEnvironment: [String: String] = {
        let scratch = FileManager.default.currentDirectoryPath + "/.build/test-scratch"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let global = scratch + "/gitconfig-empty"
        if !FileManager.default.fileExists(atPath: global) { FileManager.default.createFile(atPath: global, contents: Data()) }
        return ["GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": global, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_CEILING_DIRECTORIES": scratch]
    }()

    /// `git init` in the project, and proof that git now works there and nowhere else.
    static func initRepository(_ p: Project) throws {
        try gitOK(["init", "-q", "-b", "main"], in: p.root)
        let top = try git(["rev-parse", "--show-toplevel"], in: p.root).stdout.trimmingCharacters(in: .newlines)
        guard resolvedPath(top) == resolvedPath(p.root) else {
            throw OutsideScratch(description: "refusing to run git outside the scratch repository (top level: \(top))")
        }
    }

    @discardableResult
    static func git(_ arguments: [String], in directory: String) throws -> CommandResult {
        try CLI.run(["git", "-C", directory] + arguments, cwd: directory, environment: gitEnvironment, executable: "/usr/bin/env")
    }

    /// A git step the test depends on: it must succeed.
    static func gitOK(_ arguments: [String], in directory: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try git(arguments, in: directory)
        XCTAssertEqual(result.status, 0, "git \(arguments.joined(separator: " ")): \(result.stdout)\(result.stderr)", file: file, line: line)
    }

    func testDriverOnGeneratedCorpus() throws {
        let corpus = MergeCorpus.generate(count: Self.corpusSize)
        let p = try Project()
        let dir = p.root + "/corpus"
        try FileManager.default.createDirectory(atPath: dir + "/clean", withIntermediateDirectories: true)
        struct Outcome { var status: Int32 = -1; var gitStatus: Int32 = -1; var result = ""; var stderr = "" }
        final class Results: @unchecked Sendable {
            var items: [Outcome]
            let lock = NSLock()
            init(_ n: Int) { items = Array(repeating: Outcome(), count: n) }
        }
        let results = Results(corpus.count)
        for c in corpus {
            try c.baseText.write(toFile: "\(dir)/\(c.name).base", atomically: false, encoding: .utf8)
            try c.oursText.write(toFile: "\(dir)/\(c.name).ours", atomically: false, encoding: .utf8)
            try c.theirsText.write(toFile: "\(dir)/\(c.name).theirs", atomically: false, encoding: .utf8)
        }
        // git's default text merge of the same three versions (what `git merge` does without the driver):
        // one shell loop, one `git merge-file` each.
        let loop = try CLI.run(["-c", "for c in \(corpus.map(\.name).joined(separator: " ")); do git merge-file -p $c.ours $c.base $c.theirs >$c.text 2>&1; echo $?; done"],
                               cwd: dir, environment: Self.gitEnvironment, executable: "/bin/sh")
        let gitStatuses = loop.stdout.split(separator: "\n").compactMap { Int32($0) }
        XCTAssertEqual(gitStatuses.count, corpus.count, loop.stderr)
        for (index, status) in gitStatuses.enumerated() where index < corpus.count { results.items[index].gitStatus = status }

        // The driver itself, in process (the code `specsync merge` runs), on real files: two workers.
        let engine = try Engine(configuration: Configuration.load(from: p.root))
        let start = Date()
        let names = corpus.map(\.name)
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for index in stride(from: worker, to: names.count, by: 2) {
                let stem = "\(dir)/\(names[index])"
                var outcome = Outcome()
                do {
                    let report = try MergeDriver(engine: engine).merge(base: stem + ".base", ours: stem + ".ours", theirs: stem + ".theirs",
                                                                       workingDirectory: dir)
                    outcome.status = report.clean ? 0 : 1
                    outcome.stderr = report.conflicts.map { "conflict at \($0)" }.joined(separator: "\n")
                        + report.diagnostics.map { $0.rendered(path: "x") }.joined(separator: "\n")
                } catch {
                    outcome.status = 2
                    outcome.stderr = "\(error)"
                }
                outcome.result = (try? String(contentsOfFile: stem + ".ours", encoding: .utf8)) ?? ""
                results.lock.lock()
                outcome.gitStatus = results.items[index].gitStatus
                results.items[index] = outcome
                results.lock.unlock()
            }
        }
        let elapsed = Date().timeIntervalSince(start)

        var gitConflicts = 0, conflicts = 0, trueConflicts = 0, dataLoss = 0
        var byCategory: [String: (total: Int, git: Int, specsync: Int)] = [:]
        for (c, outcome) in zip(corpus, results.items) {
            XCTAssertTrue(outcome.gitStatus >= 0 && outcome.gitStatus < 128, "\(c.name): git merge-file failed: \(outcome.gitStatus)")
            let gitConflicted = outcome.gitStatus != 0
            if gitConflicted { gitConflicts += 1 }
            if c.expectsConflict { trueConflicts += 1 }
            byCategory[c.category, default: (0, 0, 0)].total += 1
            if gitConflicted { byCategory[c.category]!.git += 1 }
            switch outcome.status {
            case 0:
                // Clean: exactly the expected spec, comments included, in canonical form.
                if c.expectsConflict { XCTFail("\(c.name) (\(c.category)): a true conflict merged cleanly:\n\(outcome.result)") }
                if outcome.result != c.expectedText {
                    dataLoss += 1
                    XCTFail("\(c.name) (\(c.category)): merged\n\(outcome.result)\nexpected\n\(c.expectedText)\nbase\n\(c.baseText)\nours\n\(c.oursText)\ntheirs\n\(c.theirsText)")
                }
                try outcome.result.write(toFile: "\(dir)/clean/\(c.name).yaml", atomically: false, encoding: .utf8)
            case 1:
                conflicts += 1
                byCategory[c.category]!.specsync += 1
                XCTAssertTrue(c.expectsConflict, "\(c.name) (\(c.category)): conflict where the model merges cleanly: \(outcome.stderr)\n\(outcome.result)\nbase\n\(c.baseText)\nours\n\(c.oursText)\ntheirs\n\(c.theirsText)")
                XCTAssertTrue(outcome.result.contains("\n<<<<<<< ours\n") || outcome.result.hasPrefix("<<<<<<< ours\n"), "\(c.name): no markers:\n\(outcome.result)")
                XCTAssertTrue(outcome.stderr.contains("conflict at /"), "\(c.name): " + outcome.stderr)
                if c.expectsConflict && c.scalarConflictsOnly {
                    // Taking ours' side of every block gives the spec with ours' values and everything else merged.
                    XCTAssertEqual(Self.resolve(outcome.result, takingOurs: true), c.oursWinsText, "\(c.name): ours' side of the blocks")
                }
            default:
                XCTFail("\(c.name): exit \(outcome.status): \(outcome.stderr)")
            }
        }
        XCTAssertEqual(dataLoss, 0)
        XCTAssertEqual(conflicts, trueConflicts, "specsync conflicts on exactly the true conflicts")
        // Every clean result is valid and canonical by specsync's own check too.
        let check = try CLI.run(["check", dir + "/clean"], cwd: p.root)
        XCTAssertEqual(check.status, 0, String(check.stdout.prefix(2000)))

        let n = Double(corpus.count)
        let figures = String(format: "merge corpus: %d concurrent edit pairs; git's default merge conflicts on %.1f %%, specsync on %.1f %% (all true conflicts: %d of %d); silent data loss: %d; clean results valid and canonical: %@; driver run in %.1f s",
                             corpus.count, Double(gitConflicts) * 100 / n, Double(conflicts) * 100 / n, trueConflicts, conflicts,
                             dataLoss, check.status == 0 ? "all" : "NOT ALL", elapsed)
        print(figures)
        for category in MergeCorpus.categories {
            guard let row = byCategory[category] else { continue }
            print("  " + category.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%4d pairs  git %5.1f %%  specsync %5.1f %%", row.total,
                         Double(row.git) * 100 / Double(row.total), Double(row.specsync) * 100 / Double(row.total)))
        }
    }

    /// A conflicted file with every block resolved to one side.
    static func resolve(_ text: String, takingOurs: Bool) -> String {
        var out = ""
        var section = 0  // 0 outside, 1 ours, 2 base, 3 theirs
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("<<<<<<< ") { section = 1; continue }
            if line.hasPrefix("||||||| ") { section = 2; continue }
            if line == "=======" { section = 3; continue }
            if line.hasPrefix(">>>>>>> ") { section = 0; continue }
            if section == 0 || (section == 1 && takingOurs) || (section == 3 && !takingOurs) { out += line + "\n" }
        }
        return out
    }

    // MARK: Real git operations

    /// A repository with one spec per case: `main` holds the bases, `ours` and `theirs` one commit each.
    private func repository(_ cases: [MergeCase], driver: Bool) throws -> Project {
        let p = try Project()
        let specs = ".tandemonium/specs"
        try Self.initRepository(p)
        try p.write(specs + "/.gitignore", "*.yaml.lock\n")
        if driver {
            let install = try CLI.run(["install-hook", "--merge-driver"], cwd: p.root, environment: Self.gitEnvironment)
            XCTAssertEqual(install.status, 0, install.stderr)
        }
        for c in cases { try p.write("\(specs)/\(c.name).yaml", c.baseText) }
        try Self.gitOK(["add", "-A"], in: p.root)
        try Self.gitOK(["commit", "-q", "--no-verify", "-m", "base"], in: p.root)
        for (branch, text) in [("ours", \MergeCase.oursText), ("theirs", \MergeCase.theirsText)] {
            try Self.gitOK(["checkout", "-q", "-b", branch, "main"], in: p.root)
            for c in cases { try p.write("\(specs)/\(c.name).yaml", c[keyPath: text]) }
            try Self.gitOK(["commit", "-q", "--no-verify", "-a", "-m", branch], in: p.root)
        }
        try Self.gitOK(["checkout", "-q", "ours"], in: p.root)
        return p
    }

    private func conflicted(_ p: Project) throws -> Set<String> {
        let out = try Self.git(["diff", "--name-only", "--diff-filter=U"], in: p.root).stdout
        return Set(out.split(separator: "\n").map { (String($0) as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: "") })
    }

    private func assertFiles(_ p: Project, _ cases: [MergeCase], _ expected: (MergeCase) -> String, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        for c in cases {
            XCTAssertEqual(try p.read(".tandemonium/specs/\(c.name).yaml"), expected(c), "\(what): \(c.name) (\(c.category))", file: file, line: line)
        }
    }

    /// A smaller corpus (all categories) through real git operations. Cases where one side left the file
    /// as it was, or both made it identical, are left out: git resolves those without any driver.
    private var subset: [MergeCase] {
        MergeCorpus.generate(count: 108, seed: 99).filter {
            $0.oursText != $0.baseText && $0.theirsText != $0.baseText && $0.oursText != $0.theirsText
        }
    }

    func testRealGitMergeUsesTheDriverAndConflictsOnlyOnTrueConflicts() throws {
        let cases = subset
        // Without the driver: git's own merge, for comparison.
        let plain = try repository(cases, driver: false)
        let plainMerge = try Self.git(["merge", "-q", "--no-edit", "theirs"], in: plain.root)
        XCTAssertNotEqual(plainMerge.status, 0)
        let gitConflicts = try conflicted(plain)

        let p = try repository(cases, driver: true)
        let merge = try Self.git(["merge", "--no-edit", "theirs"], in: p.root)
        let expectedConflicts = Set(cases.filter(\.expectsConflict).map(\.name))
        XCTAssertFalse(expectedConflicts.isEmpty)
        XCTAssertNotEqual(merge.status, 0, "true conflicts stop the merge")
        XCTAssertEqual(try conflicted(p), expectedConflicts, merge.stdout + merge.stderr)
        XCTAssertGreaterThan(gitConflicts.count, expectedConflicts.count, "git alone conflicts more often")
        XCTAssertTrue(gitConflicts.isSuperset(of: expectedConflicts))
        try assertFiles(p, cases.filter { !$0.expectsConflict }, \.expectedText, "git merge")
        for c in cases where c.expectsConflict {
            XCTAssertTrue(try p.read(".tandemonium/specs/\(c.name).yaml").contains("<<<<<<< ours\n"), c.name)
        }
        let check = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("unresolved merge conflict marker"), check.stdout)
        // The pre-commit hook (installed with the driver) refuses a spec that still has markers.
        try Self.gitOK(["add", "-A"], in: p.root)
        let refused = try Self.git(["commit", "-q", "--no-edit"], in: p.root)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue((refused.stdout + refused.stderr).contains("unresolved merge conflict marker"), refused.stdout + refused.stderr)
        // Resolve by taking ours' side of each block: the merge commits, and every spec is valid.
        for c in cases where c.expectsConflict {
            let path = ".tandemonium/specs/\(c.name).yaml"
            try p.write(path, Self.resolve(try p.read(path), takingOurs: true))
        }
        try Self.git(["add", "-A"], in: p.root)
        let commit = try Self.git(["commit", "-q", "--no-edit"], in: p.root)
        XCTAssertEqual(commit.status, 0, commit.stdout + commit.stderr)
        XCTAssertEqual(try CLI.run(["check"], cwd: p.root).status, 0)
    }

    func testRealGitRebaseCherryPickAndRevertUseTheDriver() throws {
        let cases = subset.filter { !$0.expectsConflict }
        let p = try repository(cases, driver: true)
        // Rebase theirs onto ours: git replays theirs' commit with ours (the new base) as "ours".
        try Self.git(["checkout", "-q", "-b", "rebased", "theirs"], in: p.root)
        let rebase = try Self.git(["rebase", "ours"], in: p.root)
        XCTAssertEqual(rebase.status, 0, rebase.stdout + rebase.stderr)
        try assertFiles(p, cases, \.expectedText, "git rebase")

        try Self.git(["checkout", "-q", "-b", "picked", "ours"], in: p.root)
        let pick = try Self.git(["cherry-pick", "theirs"], in: p.root)
        XCTAssertEqual(pick.status, 0, pick.stdout + pick.stderr)
        try assertFiles(p, cases, \.expectedText, "git cherry-pick")

        // Revert ours' commit under theirs' changes: where the two edited different places, what remains
        // is theirs' edits on the base.
        let revert = try Self.git(["revert", "--no-edit", "ours"], in: p.root)
        XCTAssertEqual(revert.status, 0, revert.stdout + revert.stderr)
        XCTAssertGreaterThan(cases.filter(\.independentEdits).count, 10)
        try assertFiles(p, cases.filter(\.independentEdits), { c in
            var only = c
            only.ours = []
            return only.expectedText
        }, "git revert")
    }
}
