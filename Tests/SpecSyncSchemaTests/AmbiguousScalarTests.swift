import Foundation
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

/// The scalar rule: an ambiguous plain scalar is its text where the schema admits a string but not what
/// YAML 1.2 reads; every other scalar keeps its YAML 1.2 reading. docs/canonical-form.md.
final class AmbiguousScalarTests: XCTestCase {
    private func analyze(_ yaml: String, schema: Schema? = nil) throws -> SpecAnalysis {
        SpecProcessor(validator: try schema ?? shippedSchema()).analyze(Array(yaml.utf8))
    }

    private func spec(hash: String) -> String {
        "id: TAND-004\ntitle: Story\nuser_story:\n  text: As a user I want x\n  hash: \(hash)\n"
    }

    /// yaml.v3 writes these hashes unquoted (its own reader reads a string: the number overflows).
    func testUnquotedStoryHashesFromYAMLv3AreValidAndComeOutQuoted() throws {
        for hash in ["5239e568", "1234e567", "9e999999", "0000e400"] {
            let analysis = try analyze(spec(hash: hash))
            XCTAssertEqual(rendered(analysis.diagnostics), [], hash)
            guard case .object(let root)? = analysis.data, case .object(let story)? = root["user_story"] else {
                return XCTFail("no data for \(hash)")
            }
            XCTAssertEqual(story["hash"], .string(hash))
            let canonical = String(decoding: try XCTUnwrap(analysis.canonical), as: UTF8.self)
            XCTAssertTrue(canonical.contains("  hash: \"\(hash)\"\n"), canonical)
            // Idempotent, and the quoted form reads the same everywhere.
            let again = try analyze(canonical)
            XCTAssertEqual(again.canonical.map { String(decoding: $0, as: UTF8.self) }, canonical)
            XCTAssertEqual(again.data, analysis.data)
        }
    }

    /// PyYAML writes `1e3`/`0e12` unquoted (a string to YAML 1.1); at a string location they are strings,
    /// so the message is about the string, not "expected string, got number".
    func testOtherAmbiguousFormsBecomeTheStringAtAStringLocation() throws {
        for text in ["1e3", "0e12", "017", "08", "0o17", "1_000", "+.5", "1.5e3"] {
            let analysis = try analyze(spec(hash: text))
            XCTAssertEqual(rendered(analysis.diagnostics), [
                "5:9 /user_story/hash user_story.hash: \"\(text)\" does not match the pattern ^[0-9a-f]{8}$ (8 lowercase hex digits)",
            ], text)
        }
    }

    func testUnambiguousNumbersKeepTheirMeaning() throws {
        // Every reader reads 12345678 as an integer: the schema does not turn it into a string.
        XCTAssertEqual(rendered(try analyze(spec(hash: "12345678")).diagnostics), [
            "5:9 /user_story/hash user_story.hash: expected string, got integer 12345678 (put it in quotes to make it a string: \"12345678\")",
        ])
        // A quoted or tagged scalar says what it is.
        XCTAssertEqual(rendered(try analyze(spec(hash: "!!float 1e3")).diagnostics).count, 1)
        XCTAssertEqual(rendered(try analyze(spec(hash: "\"5239e568\"")).diagnostics), [])
    }

    func testWhereTheSchemaAdmitsTheNumberOrSaysNothingTheYAML12ReadingStands() throws {
        let analysis = try analyze("id: TAND-004\ntitle: x\npriority: 1e3\nx_unknown: 1e3\nx_list: [0e12]\n")
        XCTAssertEqual(rendered(analysis.diagnostics), [])
        guard case .object(let root)? = analysis.data else { return XCTFail("no data") }
        XCTAssertEqual(root["priority"], .number(1000))
        XCTAssertEqual(root["x_unknown"], .number(1000))
        XCTAssertEqual(root["x_list"], .array([.number(0)]))
    }

    func testEveryKindOfStringLocationFollowsTheRule() throws {
        let schema = try loadSchema("""
            {"type": "object", "properties": {
              "list": {"type": "array", "items": {"type": "string"}},
              "tuple": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
              "either": {"anyOf": [{"type": "string"}, {"type": "null"}]},
              "both": {"type": ["string", "number"]},
              "ref": {"$ref": "#/$defs/s"},
              "map": {"type": "object", "additionalProperties": {"type": "string"}}
            }, "$defs": {"s": {"type": "string"}}}
            """)
        let analysis = try analyze("""
            list: [1e3, 2]
            tuple: [1e3, 1e3]
            either: 017
            both: 1e3
            ref: 0o17
            map: {a: 1_000}

            """, schema: schema)
        guard case .object(let root)? = analysis.data else { return XCTFail("no data") }
        XCTAssertEqual(root["list"], .array([.string("1e3"), .integer(2)]), "2 is not ambiguous")
        XCTAssertEqual(root["tuple"], .array([.string("1e3"), .number(1000)]))
        XCTAssertEqual(root["either"], .string("017"))
        XCTAssertEqual(root["both"], .number(1000), "the schema admits the number YAML 1.2 reads")
        XCTAssertEqual(root["ref"], .string("0o17"))
        XCTAssertEqual(root["map"], .object(JSONObject([("a", .string("1_000"))])), "1_000 is a string in YAML 1.2 already")
        // 2 stays an integer (unambiguous); 1e3 is the integer 1000 where the tuple wants one.
        XCTAssertEqual(rendered(analysis.diagnostics), [
            "1:13 /list/1 list[1]: expected string, got integer 2 (put it in quotes to make it a string: \"2\")",
        ])
    }

    /// docs/canonical-form.md's table, row by row: which forms are ambiguous and what each reader reads.
    func testTheDocumentedTableHolds() throws {
        let doc = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/canonical-form.md"), encoding: .utf8)
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| `") }
        XCTAssertEqual(rows.count, 9, "the table's rows")
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let forms = cells[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
            let ambiguous = !cells[4].hasPrefix("not ambiguous")
            for form in forms {
                XCTAssertEqual(ScalarReaders.isAmbiguous(form), ambiguous, form)
                let yaml12 = ScalarReaders.yaml12(form)
                XCTAssertEqual(cells[1].hasPrefix("string"), yaml12 == .string, "\(form): YAML 1.2 column says \(cells[1]), model \(yaml12)")
                if cells[2].hasPrefix("string") { XCTAssertEqual(ScalarReaders.yaml11(form), .string, form) }
                if cells[3].hasPrefix("string") { XCTAssertEqual(ScalarReaders.goYAMLv3(form), .string, form) }
                let analysis = try analyze(spec(hash: form))
                guard case .object(let root)? = analysis.data, case .object(let story)? = root["user_story"] else {
                    return XCTFail("no data for \(form)")
                }
                if ambiguous { XCTAssertEqual(story["hash"], .string(form), form) }
                else { XCTAssertNotEqual(story["hash"], .string(form), form) }
            }
        }
    }

    /// `SpecProcessor` skips the ambiguous-scalar pass for documents whose plain non-strings all pass
    /// `ScalarResolver.readsAlikeEverywhere`: none of those may be ambiguous, and the forms that are stay out.
    func testFormsTheParserTrustsAreNeverAmbiguous() {
        func readsAlike(_ text: String) -> Bool {
            var text = text
            return text.withUTF8 { ScalarResolver.readsAlikeEverywhere($0) }
        }
        var trusted = 0
        for text in ScalarReadersTests.corpus + ["0", "7", "-7", "150", "999999999999999999", "-999999999999999999", "", "~"] where readsAlike(text) {
            trusted += 1
            XCTAssertFalse(ScalarReaders.isAmbiguous(text), text)
            XCTAssertNotEqual(ScalarReaders.yaml12(text), .string, text)
        }
        XCTAssertGreaterThan(trusted, 6)
        for text in ["5239e568", "017", "-0", "0x1F", "yes", "1.5", "Null", "~~", "True", "1_000", "1e3", "+1", "9999999999999999999"] {
            XCTAssertFalse(readsAlike(text), text)
        }
        // The parser's flag: set by one untrusted plain non-string, not by strings or trusted forms.
        func flag(_ yaml: String) -> Bool {
            guard case .document(let document) = YAMLParser.parse(Array(yaml.utf8)) else {
                XCTFail("not parsed: \(yaml)")
                return false
            }
            return document.mayHoldAmbiguousScalars
        }
        XCTAssertFalse(flag("a: 1\nb: true\nc: null\nd: \"017\"\ne: text\nf: [150, -7, false, ~]\ng:\n"))
        XCTAssertTrue(flag("a: 1\nhash: 5239e568\n"))
        XCTAssertTrue(flag("a: [1, 017]\n"))
        XCTAssertTrue(flag("a: 1.5\n"))
    }

    /// The canonical form writes a string plain only when every reader reads it back as that string.
    func testPlainStringsReadTheSameInEveryReader() {
        for text in ScalarReadersTests.corpus where ScalarResolver.isPlainSafe(text) {
            XCTAssertEqual(ScalarReaders.yaml12(text), .string, text)
            XCTAssertEqual(ScalarReaders.yaml11(text), .string, text)
            XCTAssertEqual(ScalarReaders.goYAMLv3(text), .string, text)
        }
    }
}
