import Foundation
import XCTest
import SpecSyncEngine

/// How specsync talks to git, with a stand-in git script (no repository is touched).
final class GitTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = (NSTemporaryDirectory() as NSString).resolvingSymlinksInPath + "/git-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    /// A git that writes far more than a pipe holds to stderr before it writes its answer: both pipes
    /// must be drained at once, or each side waits for the other forever.
    func testAGitChattyOnStderrDoesNotBlock() throws {
        let script = root + "/git"
        let lines = 4000  // about 300 KB, several times a pipe's 64 KiB
        try """
            #!/bin/sh
            i=0
            while [ $i -lt \(lines) ]; do
                echo "warning: line $i from a chatty git, long enough to fill a pipe quickly enough" >&2
                i=$((i + 1))
            done
            printf 'the answer'
            exit 3
            """.write(toFile: script, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(script, 0o755), 0)
        let git = Git(workingDirectory: root, executable: script)
        final class Outcome: @unchecked Sendable { var value: (status: Int32, stdout: [UInt8], stderr: [UInt8])? }
        let outcome = Outcome()
        let finished = expectation(description: "git returned")
        Thread {
            outcome.value = try? git.execute(["status"])
            finished.fulfill()
        }.start()
        wait(for: [finished], timeout: 60)
        let result = try XCTUnwrap(outcome.value)
        XCTAssertEqual(result.status, 3)
        XCTAssertEqual(String(decoding: result.stdout, as: UTF8.self), "the answer")
        XCTAssertEqual(result.stderr.filter { $0 == 0x0A }.count, lines)
    }
}
