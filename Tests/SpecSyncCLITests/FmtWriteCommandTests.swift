import Foundation
import XCTest

final class FmtWriteCommandTests: XCTestCase {
    func testFmtStdinWritesCanonicalFormToStdout() throws {
        let p = try Project()
        let r = try CLI.run(["fmt", "-"], stdin: "title:    'Fix it'   # note\nid: X-1\n", cwd: p.root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "id: X-1\ntitle: Fix it  # note\n")
    }

    func testFmtStdinInvalidEchoesInputAndExitsOne() throws {
        let p = try Project()
        let input = "id: X-2\ntitle: T\npriority: high\n"
        let r = try CLI.run(["fmt", "-", "--stdin-filename", "X-2.yaml"], stdin: input, cwd: p.root)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, input)
        XCTAssertTrue(r.stderr.contains("X-2.yaml:3:11: error:"), r.stderr)
    }

    /// `fmt -` as editors call it is answered before the argument parser; `--` sends the same request
    /// through the parser. Both must answer alike, byte for byte, for every kind of input.
    func testFmtStdinEditorFormsAnswerAsTheParserDoes() throws {
        let p = try Project()
        let inputs = ["title:    'Fix it'   # note\nid: X-1\n", "id: X-2\ntitle: T\npriority: high\n", "id: [\n", canonicalSpec, ""]
        let forms: [(fast: [String], parsed: [String])] = [
            (["fmt", "-"], ["fmt", "--", "-"]),
            (["fmt", "-", "--stdin-filename", "X.yaml"], ["fmt", "--stdin-filename", "X.yaml", "--", "-"]),
            (["fmt", "--stdin-filename=X.yaml", "-"], ["fmt", "--stdin-filename", "X.yaml", "--", "-"]),
        ]
        for input in inputs {
            for form in forms {
                let fast = try CLI.run(form.fast, stdin: input, cwd: p.root)
                let parsed = try CLI.run(form.parsed, stdin: input, cwd: p.root)
                XCTAssertEqual(fast.status, parsed.status, "\(form.fast) on \(input.debugDescription)")
                XCTAssertEqual(fast.stdout, parsed.stdout, "\(form.fast) on \(input.debugDescription)")
                XCTAssertEqual(fast.stderr, parsed.stderr, "\(form.fast) on \(input.debugDescription)")
            }
        }
        // Forms the early path leaves to the parser still work, or fail, as the parser says.
        XCTAssertEqual(try CLI.run(["fmt", "-", "-"], stdin: "id: a\n", cwd: p.root).status, 2)
        XCTAssertEqual(try CLI.run(["fmt", "-", "--stdin-filename"], stdin: "id: a\n", cwd: p.root).status, 2)
    }

    func testFmtInPlaceRewritesValidAndLeavesInvalid() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/a.yaml", "title: A\nid: a\n")
        try p.write(".tandemonium/specs/b.yaml", "title: B\nid: b\nid: c\n")
        let r = try CLI.run(["fmt"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(try p.read(".tandemonium/specs/a.yaml"), "id: a\ntitle: A\n")
        XCTAssertEqual(try p.read(".tandemonium/specs/b.yaml"), "title: B\nid: b\nid: c\n")
        XCTAssertTrue(r.stdout.contains("b.yaml:3:1: error: duplicate key \"id\""), r.stdout)
    }

    func testFmtDoesNotRewriteCanonicalFiles() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/a.yaml", canonicalSpec)
        var before = stat()
        XCTAssertEqual(stat(p.specs + "/a.yaml", &before), 0)
        XCTAssertEqual(try CLI.run(["fmt"], cwd: p.root).status, 0)
        var after = stat()
        XCTAssertEqual(stat(p.specs + "/a.yaml", &after), 0)
        XCTAssertEqual(before.st_ino, after.st_ino, "an unchanged file must not be replaced")
    }

    func testWriteValidatesAndWritesCanonicalForm() throws {
        let p = try Project()
        let r = try CLI.run(["write", ".tandemonium/specs/new.yaml"], stdin: "title: New\nid: NEW-1\n", cwd: p.root)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try p.read(".tandemonium/specs/new.yaml"), "id: NEW-1\ntitle: New\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: p.specs + "/new.yaml.lock"))
    }

    func testWriteRefusesBadInputAndLeavesFileUntouched() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/f.yaml", canonicalSpec)
        let cases: [(String, String)] = [
            ("", "empty input"),
            ("id: a\ntitle: A\n---\nid: b\n", ":3:1: error: a second YAML document"),
            ("id: a\ntitle: [x\n", "error: YAML syntax"),
            ("id: a\ntitle: A\nstatus: wip\n", ":3:9: error:"),
        ]
        for (input, expected) in cases {
            let r = try CLI.run(["write", ".tandemonium/specs/f.yaml"], stdin: input, cwd: p.root)
            XCTAssertEqual(r.status, 1, "input: \(input)")
            XCTAssertTrue(r.stderr.contains(expected), "\(input) → \(r.stderr)")
            XCTAssertEqual(try p.read(".tandemonium/specs/f.yaml"), canonicalSpec)
        }
        XCTAssertEqual(try CLI.run(["write"], cwd: p.root).status, 2, "missing FILE is a usage error")
    }

    func testWriteTimesOutWhileAnotherProcessHoldsTheLock() throws {
        let p = try Project()
        try p.write(".specsync.yaml", "lock_timeout_ms: 300\n")
        try p.write(".tandemonium/specs/g.yaml", canonicalSpec)
        // flock(1) holds <file>.lock until we tell it to stop (it waits on a fifo).
        let fifo = p.root + "/release"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [p.specs + "/g.yaml.lock", "sh", "-c", "echo locked; read x < \(fifo)"]
        let holderOut = Pipe()
        holder.standardOutput = holderOut
        try holder.run()
        let ready = holderOut.fileHandleForReading.availableData
        XCTAssertEqual(String(decoding: ready, as: UTF8.self), "locked\n")
        let r = try CLI.run(["write", ".tandemonium/specs/g.yaml"], stdin: "id: TAND-001\ntitle: Changed\n", cwd: p.root)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("g.yaml.lock"), r.stderr)
        XCTAssertEqual(try p.read(".tandemonium/specs/g.yaml"), canonicalSpec)
        try CLI.shell("echo go > \(fifo)", cwd: p.root)
        holder.waitUntilExit()
        let after = try CLI.run(["write", ".tandemonium/specs/g.yaml"], stdin: "id: TAND-001\ntitle: Changed\n", cwd: p.root)
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(try p.read(".tandemonium/specs/g.yaml"), "id: TAND-001\ntitle: Changed\n")
    }
}
