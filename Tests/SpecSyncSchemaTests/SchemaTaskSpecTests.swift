import Foundation
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

/// The shipped config/task-spec.schema.json against the sample specs and deliberately broken ones.
final class SchemaTaskSpecTests: XCTestCase {
    private func diagnostics(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let schema = try shippedSchema()
        let root = try yamlDocument(yaml, file: file, line: line)
        let found = schema.validate(root)
        XCTAssertEqual(schema.isValid(root), found.isEmpty, file: file, line: line)
        return rendered(found)
    }

    /// TAND-013 with one line replaced.
    private func tand013(replacing old: String, with new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        let text = TaskSpecExamples.tand013
        XCTAssertTrue(text.contains(old + "\n"), "TAND-013 has no line \(old)", file: file, line: line)
        return text.replacingOccurrences(of: old + "\n", with: new + "\n")
    }

    func testTheSampleSpecsAreValid() throws {
        XCTAssertTrue(TaskSpecExamples.tand014.contains("thumbnails'   \n"), "the sample's trailing spaces were lost")
        for (name, text) in [("TAND-012", TaskSpecExamples.tand012), ("TAND-013", TaskSpecExamples.tand013), ("TAND-014", TaskSpecExamples.tand014)] {
            XCTAssertEqual(try diagnostics(text), [], name)
        }
    }

    func testSampleSpecsGetSchemaKeyOrderThroughTheSpecProcessor() throws {
        let processor = SpecProcessor(validator: try shippedSchema())
        let analysis = processor.analyze(Array(TaskSpecExamples.tand014.utf8))
        XCTAssertEqual(rendered(analysis.diagnostics), [])
        guard let canonical = analysis.canonical else { return XCTFail("no canonical form") }
        let keys = try yamlDocument(String(decoding: canonical, as: UTF8.self)).mappingEntries?.map(\.keyText)
        XCTAssertEqual(keys, ["id", "title", "status", "summary", "acceptance_criteria", "files_to_modify",
                              "complexity", "priority", "review_feedback"])
    }

    func testMisspelledStatus() throws {
        XCTAssertEqual(try diagnostics(tand013(replacing: "status: assigned", with: "status: asigned")), [
            "5:9 /status status: \"asigned\" is not one of: draft, refining, ready, todo, pending, assigned, working, in_progress, blocked, paused, review, done, completed, rejected, failed; did you mean assigned?",
        ])
    }

    /// Coldwine's `task` commands write pending/in_progress/completed, its epics todo.
    func testTheStatusesColdwineWritesAreValidAndTheirTyposAreCaught() throws {
        for status in ["pending", "in_progress", "completed", "todo"] {
            XCTAssertEqual(try diagnostics(tand013(replacing: "status: assigned", with: "status: \(status)")), [], status)
        }
        for (typo, meant) in [("in-progress", "in_progress"), ("complete", "completed"), ("pendng", "pending"), ("tod", "todo")] {
            let found = try diagnostics(tand013(replacing: "status: assigned", with: "status: \(typo)"))
            XCTAssertEqual(found.count, 1, typo)
            XCTAssertTrue(found.first?.hasSuffix("did you mean \(meant)?") == true, "\(typo): \(found)")
        }
    }

    func testAcceptanceCriterionWithoutID() throws {
        XCTAssertEqual(try diagnostics(tand013(replacing: "acceptance_criteria: []", with: "acceptance_criteria:\n  - description: works\n  - id: ac-7\n    description: also works")), [
            "20:5 /acceptance_criteria/0 acceptance_criteria[0]: missing required key \"id\"",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "acceptance_criteria: []", with: "acceptance_criteria:\n  - id: AC 1\n    description: x")), [
            "20:9 /acceptance_criteria/0/id acceptance_criteria[0].id: \"AC 1\" does not match the pattern ^ac-[0-9]+$ (ac- and a number, e.g. ac-1)",
        ])
    }

    func testPriorityMustBeAPositiveInteger() throws {
        XCTAssertEqual(try diagnostics(tand013(replacing: "priority: 2", with: "priority: high")), [
            "23:11 /priority priority: expected integer, got string \"high\"",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "priority: 2", with: "priority: 0")), [
            "23:11 /priority priority: expected integer ≥ 1, got 0",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "priority: 2", with: "priority: \"2\"")), [
            "23:11 /priority priority: expected integer, got string \"2\" (it is quoted, so it is a string; remove the quotes to make it a number)",
        ])
    }

    func testUserStoryHashIsEightLowercaseHexDigits() throws {
        let story = "user_story:\n  text: Log in on a slow train\n  hash: "
        XCTAssertEqual(try diagnostics(tand013(replacing: "user_story: null", with: story + "0badcafe")), [])
        XCTAssertEqual(try diagnostics(tand013(replacing: "user_story: null", with: story + "0BADCAFE")), [
            "14:9 /user_story/hash user_story.hash: \"0BADCAFE\" does not match the pattern ^[0-9a-f]{8}$ (8 lowercase hex digits)",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "user_story: null", with: "user_story:\n  hash: 5d41402a")), [
            "13:3 /user_story user_story: missing required key \"text\"",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "user_story: null", with: "user_story: [a story]")), [
            "12:13 /user_story user_story: expected mapping or null, got a list",
        ])
    }

    func testFeatureIDIsKebabCase() throws {
        XCTAssertEqual(try diagnostics(tand013(replacing: "  feature_id: null", with: "  feature_id: login-timeout")), [])
        XCTAssertEqual(try diagnostics(tand013(replacing: "  feature_id: null", with: "  feature_id: Login_Timeout")), [
            "10:15 /strategic_context/feature_id strategic_context.feature_id: \"Login_Timeout\" does not match the pattern ^[a-z0-9]+(-[a-z0-9]+)*$ (kebab-case, e.g. csv-export)",
        ])
    }

    func testOtherFieldTypes() throws {
        XCTAssertEqual(try diagnostics(tand013(replacing: "quick_mode: true", with: "quick_mode: yes")), [
            "6:13 /quick_mode quick_mode: expected boolean, got string \"yes\" (YAML 1.2 reads this as a string; write true or false)",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "created_at: \"2025-03-02T10:00:00Z\"", with: "created_at: 2025-03-02")), [
            "4:13 /created_at created_at: \"2025-03-02\" is not a valid date-time: missing the time: a date-time needs Thh:mm:ss and a time zone, e.g. 2025-03-02T09:15:00Z",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "estimated_minutes: null", with: "estimated_minutes: -5")), [
            "22:20 /estimated_minutes estimated_minutes: expected integer ≥ 0, got -5",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "complexity: unknown", with: "complexity: hgih")), [
            "21:13 /complexity complexity: \"hgih\" is not one of: low, medium, high, unknown; did you mean high?",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "title: Fix login timeout on slow networks", with: "title:")), [
            "3:7 /title title: expected string, got an empty value",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "id: TAND-013", with: "ident: TAND-013")), [
            "2:1 / missing required key \"id\"",
        ])
        XCTAssertEqual(try diagnostics(tand013(replacing: "priority: 2", with: "priority: 2\nmvp_override: acknowledged\nreview_feedback: [ok]\nmvp_explanation: []")), [])
        XCTAssertEqual(try diagnostics(tand013(replacing: "priority: 2", with: "mvp_override: yes")), [
            "23:15 /mvp_override mvp_override: expected \"acknowledged\", got \"yes\"",
        ])
    }

    func testFilesToModifyTakesPathsOrChanges() throws {
        let files = "files_to_modify:\n  - src/a.swift\n  - action: delete\n    path: src/b.swift\n"
        XCTAssertEqual(try diagnostics(tand013(replacing: "files_to_modify: []", with: files + "  - {action: create, path: c, description: d}")), [])
        XCTAssertEqual(try diagnostics(tand013(replacing: "files_to_modify: []", with: files + "  - {action: remove, path: c}\n  - 42\n  - {path: d}")), [
            "24:14 /files_to_modify/2/action files_to_modify[2].action: \"remove\" is not one of: create, modify, delete",
            "25:5 /files_to_modify/3 files_to_modify[3]: expected string or mapping, got integer 42 (put it in quotes to make it a string: \"42\")",
            "26:5 /files_to_modify/4 files_to_modify[4]: missing required key \"action\"",
        ])
    }

    func testUnknownKeysAreAllowedAndKept() throws {
        let extended = tand013(replacing: "  mvp_status: unknown", with: "  mvp_status: unknown\n  roadmap_quarter: Q3")
            + "x_new_field:\n  nested: [1, 2]\n"
        XCTAssertEqual(try diagnostics(extended), [])
    }

    func testEveryProblemInABrokenSpecIsReportedInOrder() throws {
        XCTAssertEqual(try diagnostics(TaskSpecExamples.broken), [
            "1:5 /id id: \"TAND 12\" does not match the pattern ^[A-Za-z0-9_-]{1,64}$ (1-64 letters, digits, - or _, e.g. TAND-012)",
            "2:8 /title title: must not be empty",
            "3:9 /status status: \"reviw\" is not one of: draft, refining, ready, todo, pending, assigned, working, in_progress, blocked, paused, review, done, completed, rejected, failed; did you mean review?",
            "4:13 /created_at created_at: \"2025-02-29T10:00:00Z\" is not a valid date-time: 2025 is not a leap year, so February has 28 days",
            "5:13 /quick_mode quick_mode: expected boolean, got string \"yes\" (YAML 1.2 reads this as a string; write true or false)",
            "7:15 /strategic_context/feature_id strategic_context.feature_id: \"PDF_render\" does not match the pattern ^[a-z0-9]+(-[a-z0-9]+)*$ (kebab-case, e.g. csv-export)",
            "8:17 /strategic_context/mvp_included strategic_context.mvp_included: expected boolean or null, got string \"true\" (it is quoted, so it is a string; remove the quotes)",
            "11:9 /user_story/hash user_story.hash: \"5D41402A\" does not match the pattern ^[0-9a-f]{8}$ (8 lowercase hex digits)",
            "13:5 /acceptance_criteria/0 acceptance_criteria[0]: missing required key \"id\"",
            "14:9 /acceptance_criteria/1/id acceptance_criteria[1].id: \"AC-2\" does not match the pattern ^ac-[0-9]+$ (ac- and a number, e.g. ac-1)",
            "17:5 /files_to_modify/0 files_to_modify[0]: expected string or mapping, got integer 5 (put it in quotes to make it a string: \"5\")",
            "18:5 /files_to_modify/1 files_to_modify[1]: missing required key \"path\"",
            "19:13 /files_to_modify/2/action files_to_modify[2].action: \"remove\" is not one of: create, modify, delete",
            "21:20 /estimated_minutes estimated_minutes: expected integer or null, got string \"40\" (it is quoted, so it is a string; remove the quotes to make it a number)",
            "22:11 /priority priority: expected integer, got string \"high\"",
            "23:15 /mvp_override mvp_override: expected \"acknowledged\", got \"ack\"",
        ])
    }

    /// Editors' YAML language servers implement draft-07 semantics; the shipped schema sticks to
    /// constructs that mean the same in draft-07 and 2020-12 so they agree with specsync.
    func testShippedSchemaMeansTheSameToDraft07Editors() throws {
        let url = repositoryRoot.appendingPathComponent("config/task-spec.schema.json")
        let root = try JSONValue.parse(json: [UInt8](Data(contentsOf: url)))
        var offending: [String] = []
        func walk(_ value: JSONValue, _ path: [PathComponent]) {
            switch value {
            case .object(let object):
                // draft-07 ignores keywords next to $ref; 2020-12-only keywords are unknown to it.
                if object["$ref"] != nil, object.keys.contains(where: { !["$ref", "description", "title", "$comment"].contains($0) }) {
                    offending.append(path.jsonPointer)
                }
                for key in ["prefixItems", "$dynamicRef", "$anchor", "dependentRequired", "unevaluatedProperties"] where object[key] != nil {
                    offending.append((path + [.key(key)]).jsonPointer)
                }
                for (k, v) in object.pairs { walk(v, path + [.key(k)]) }
            case .array(let items):
                for (i, v) in items.enumerated() { walk(v, path + [.index(i)]) }
            default:
                break
            }
        }
        walk(root, [])
        XCTAssertEqual(offending, [])
    }

    func testRenderedDiagnosticForm() throws {
        let schema = try shippedSchema()
        let root = try yamlDocument(tand013(replacing: "priority: 2", with: "priority: 0"))
        XCTAssertEqual(schema.validate(root).map { $0.rendered(path: ".tandemonium/specs/TAND-013.yaml") }, [
            ".tandemonium/specs/TAND-013.yaml:23:11: error: priority: expected integer ≥ 1, got 0 (at /priority)",
        ])
    }
}
