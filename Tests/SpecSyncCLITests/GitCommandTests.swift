import Foundation
import XCTest

final class GitCommandTests: XCTestCase {
    private let gitEnv = ["GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                          "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"]

    private func git(_ args: String, _ p: Project) throws -> CommandResult {
        try CLI.run(["-c", "git " + args], cwd: p.root, environment: gitEnv, executable: "/bin/sh")
    }

    func testStagedChecksTheIndexNotTheWorkingTree() throws {
        let p = try Project()
        XCTAssertEqual(try git("init -q .", p).status, 0)
        try p.write(".tandemonium/specs/a.yaml", "id: a\ntitle: A\nstatus: wip\n")
        try p.write("notes.yaml", "not: [a spec\n")
        XCTAssertEqual(try git("add .tandemonium notes.yaml", p).status, 0)
        // The working tree is fixed after staging: --staged must still see the invalid staged blob.
        try p.write(".tandemonium/specs/a.yaml", "id: a\ntitle: A\nstatus: ready\n")
        let staged = try CLI.run(["check", "--staged"], cwd: p.root)
        XCTAssertEqual(staged.status, 1, staged.stdout + staged.stderr)
        XCTAssertTrue(staged.stdout.contains("a.yaml:3:9: error:"), staged.stdout)
        XCTAssertFalse(staged.stdout.contains("notes.yaml"), "files outside the specs directory are not specs")
        XCTAssertEqual(try CLI.run(["check"], cwd: p.root).status, 0)
        XCTAssertEqual(try git("add .tandemonium", p).status, 0)
        XCTAssertEqual(try CLI.run(["check", "--staged"], cwd: p.root).status, 0)
    }

    func testInstallHookBlocksInvalidCommitsAndKeepsAnExistingHook() throws {
        let p = try Project()
        XCTAssertEqual(try git("init -q .", p).status, 0)
        try p.write(".git/hooks/pre-commit", "#!/bin/sh\necho previous-hook-ran >> \"$(git rev-parse --show-toplevel)/hook.log\"\n")
        XCTAssertEqual(chmod(p.root + "/.git/hooks/pre-commit", 0o755), 0)
        let install = try CLI.run(["install-hook"], cwd: p.root)
        XCTAssertEqual(install.status, 0, install.stderr)
        XCTAssertTrue(install.stdout.contains("pre-commit.before-specsync"), install.stdout)
        XCTAssertTrue(try CLI.run(["install-hook"], cwd: p.root).stdout.contains("Already installed"))

        try p.write(".tandemonium/specs/a.yaml", "id: a\ntitle: A\npriority: high\n")
        XCTAssertEqual(try git("add .tandemonium", p).status, 0)
        let blocked = try git("commit -q -m bad", p)
        XCTAssertNotEqual(blocked.status, 0, "an invalid staged spec must block the commit")
        XCTAssertTrue(blocked.stdout.contains("a.yaml:3:11: error:") || blocked.stderr.contains("a.yaml:3:11"), blocked.stdout + blocked.stderr)
        XCTAssertTrue(try p.read("hook.log").contains("previous-hook-ran"))

        try p.write(".tandemonium/specs/a.yaml", "id: a\ntitle: A\npriority: 1\n")
        XCTAssertEqual(try git("add .tandemonium", p).status, 0)
        let ok = try git("commit -q -m good", p)
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
    }
}
