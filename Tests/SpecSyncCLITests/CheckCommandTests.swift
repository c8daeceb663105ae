import Foundation
import XCTest

final class CheckCommandTests: XCTestCase {
    func testValidCanonicalFileExitsZero() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/TAND-001.yaml", canonicalSpec)
        let r = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("1 file checked"), r.stderr)
    }

    func testSchemaViolationReportsExactPositionAndExitsOne() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/TAND-002.yaml", "id: TAND-002\ntitle: Broken\nstatus: wip\npriority: 0\n")
        let r = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix(".tandemonium/specs/TAND-002.yaml:3:9: error: ") && $0.hasSuffix("(at /status)") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix(".tandemonium/specs/TAND-002.yaml:4:11: error: ") && $0.hasSuffix("(at /priority)") }, r.stdout)
        // Sorted by position.
        let statusLine = try XCTUnwrap(lines.firstIndex { $0.contains("(at /status)") })
        let priorityLine = try XCTUnwrap(lines.firstIndex { $0.contains("(at /priority)") })
        XCTAssertLessThan(statusLine, priorityLine)
    }

    func testProblemsPastMaxDiagnosticsAreCountedOutInOneLine() throws {
        let p = try Project()
        let items = String(repeating: "  - c\n", count: 500)
        try p.write(".tandemonium/specs/TAND-004.yaml", "id: TAND-004\ntitle: T\nacceptance_criteria:\n" + items)
        let r = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 101, r.stdout)
        XCTAssertEqual(lines.last, ".tandemonium/specs/TAND-004.yaml:104:5: error: more problems from here on are not listed, only the first 100 (limits.max_diagnostics); fix these and check again, or raise the limit (at /)")
        // The project's own limit is honoured, in JSON too.
        try p.write(".specsync.yaml", "limits:\n  max_diagnostics: 3\n")
        let json = try CLI.run(["check", "--format", "json"], cwd: p.root)
        XCTAssertEqual(json.status, 1)
        XCTAssertEqual(json.stdout.components(separatedBy: "\"kind\":\"schema\"").count - 1, 3, json.stdout)
        XCTAssertEqual(json.stdout.components(separatedBy: "\"kind\":\"limit\"").count - 1, 1, json.stdout)
    }

    func testNonCanonicalFileExitsOneAndDiffShowsTheChange() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/TAND-003.yaml", "title: 'Fix it'\nid: TAND-003\n")
        let r = try CLI.run(["check", "--diff"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("not in canonical form"), r.stdout)
        XCTAssertTrue(r.stdout.contains("--- a/.tandemonium/specs/TAND-003.yaml"), r.stdout)
        XCTAssertTrue(r.stdout.contains("+++ b/.tandemonium/specs/TAND-003.yaml"), r.stdout)
        XCTAssertTrue(r.stdout.contains("-title: 'Fix it'\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("+title: Fix it\n"), r.stdout)
        XCTAssertEqual(try p.read(".tandemonium/specs/TAND-003.yaml"), "title: 'Fix it'\nid: TAND-003\n", "check must not write")
    }

    func testFixRewritesValidFilesOnlyAndReportsThem() throws {
        let p = try Project()
        let messy = "title: 'Fix it'\nid: TAND-004\n"
        let invalid = "title: 'Broken'\nid: TAND-005\nstatus: nope\n"
        try p.write(".tandemonium/specs/TAND-004.yaml", messy)
        try p.write(".tandemonium/specs/TAND-005.yaml", invalid)
        let r = try CLI.run(["check", "--fix"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("Fixing .tandemonium/specs/TAND-004.yaml"), r.stdout)
        XCTAssertFalse(r.stdout.contains("Fixing .tandemonium/specs/TAND-005.yaml"), r.stdout)
        XCTAssertEqual(try p.read(".tandemonium/specs/TAND-004.yaml"), "id: TAND-004\ntitle: Fix it\n")
        XCTAssertEqual(try p.read(".tandemonium/specs/TAND-005.yaml"), invalid, "invalid files are never rewritten")
        try p.write(".tandemonium/specs/TAND-005.yaml", "id: TAND-005\ntitle: Broken\nstatus: ready\n")
        XCTAssertEqual(try CLI.run(["check", "--fix"], cwd: p.root).status, 0)
    }

    func testJSONFormatHasOneObjectPerFile() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/a.yaml", canonicalSpec)
        try p.write(".tandemonium/specs/b.yaml", "id: b\ntitle: B\nestimated_minutes: -5\n")
        let r = try CLI.run(["check", "--format", "json"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        let objects = try r.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(objects.count, 2)
        let b = try XCTUnwrap(objects.first { ($0["path"] as? String)?.hasSuffix("b.yaml") == true })
        XCTAssertEqual(b["valid"] as? Bool, false)
        XCTAssertEqual(b["canonical"] as? Bool, true)
        let diagnostics = try XCTUnwrap(b["diagnostics"] as? [[String: Any]])
        XCTAssertEqual(diagnostics.count, 1)
        XCTAssertEqual(diagnostics[0]["line"] as? Int, 3)
        XCTAssertEqual(diagnostics[0]["column"] as? Int, 20)
        XCTAssertEqual(diagnostics[0]["pointer"] as? String, "/estimated_minutes")
        XCTAssertNotNil(diagnostics[0]["message"] as? String)
        let a = try XCTUnwrap(objects.first { ($0["path"] as? String)?.hasSuffix("a.yaml") == true })
        XCTAssertEqual(a["valid"] as? Bool, true)
    }

    func testGitHubFormatAnnotatesLines() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/c.yaml", "id: c\ntitle: C\ncomplexity: huge\n")
        let r = try CLI.run(["check", "--format", "github"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.hasPrefix("::error file=.tandemonium/specs/c.yaml,line=3,col=13::"), r.stdout)
    }

    func testSyntaxErrorIsAFindingWithPosition() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/d.yaml", "id: d\ntitle: [unclosed\n")
        let r = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains(".tandemonium/specs/d.yaml:3:1: error: YAML syntax"), r.stdout)
    }

    func testUsageAndConfigurationErrorsExitTwo() throws {
        let p = try Project()
        XCTAssertEqual(try CLI.run(["check", "--no-such-flag"], cwd: p.root).status, 2)
        XCTAssertEqual(try CLI.run(["check", "--format", "xml"], cwd: p.root).status, 2)
        XCTAssertEqual(try CLI.run(["check", "does/not/exist"], cwd: p.root).status, 2)
        try p.write(".specsync.yaml", "specs_dir: specs\nsettle: 5\n")
        let r = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains(".specsync.yaml:2:1: error: unknown setting \"settle\""), r.stderr)
    }

    func testConfigurationChoosesSpecsDirectoryAndExcludes() throws {
        let p = try Project()
        try p.write(".specsync.yaml", "specs_dir: specs\nexclude: [\"drafts/**\"]\n")
        try p.write("specs/ok.yaml", canonicalSpec)
        try p.write("specs/drafts/bad.yaml", "id: [\n")
        try p.write(".tandemonium/specs/ignored.yaml", "id: [\n")
        let r = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("1 file checked"), r.stderr)
    }

    func testSchemaOverride() throws {
        let p = try Project()
        try p.write("strict.yaml", "type: object\nrequired: [owner]\n")
        try p.write(".tandemonium/specs/e.yaml", canonicalSpec)
        let r = try CLI.run(["check", "--schema", "strict.yaml"], cwd: p.root)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("owner"), r.stdout)
        try p.write("bad-schema.json", "{\"type\": \"object\", \"frobnicate\": 1}")
        let bad = try CLI.run(["check", "--schema", "bad-schema.json"], cwd: p.root)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("frobnicate"), bad.stderr)
    }

    func testExamplesAreValid() throws {
        let p = try Project()
        for name in ["TAND-012", "TAND-013", "TAND-014"] {
            try p.write(".tandemonium/specs/\(name).yaml", try p.example(name))
        }
        let r = try CLI.run(["check", "--format", "json"], cwd: p.root)
        for line in r.stdout.split(separator: "\n") {
            XCTAssertTrue(line.contains("\"valid\":true"), String(line))
        }
        XCTAssertEqual(try CLI.run(["fmt"], cwd: p.root).status, 0)
        XCTAssertEqual(try CLI.run(["check"], cwd: p.root).status, 0)
    }
}
