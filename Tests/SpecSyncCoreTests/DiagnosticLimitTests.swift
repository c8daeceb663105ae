// The per-file limits that bound what one file can cost: `max_diagnostics` (problems listed, and where
// the unlisted ones begin) and `max_nodes`.
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

final class DiagnosticLimitTests: XCTestCase {
    /// `count` acceptance criteria written as plain strings: one schema error each (they must be mappings),
    /// item k on line k + 3.
    private func badCriteria(_ count: Int) -> [UInt8] {
        Array(("id: X-1\ntitle: T\nacceptance_criteria:\n" + String(repeating: "  - c\n", count: count)).utf8)
    }

    private func analyze(_ bytes: [UInt8], limits: ParseLimits = ParseLimits()) throws -> SpecAnalysis {
        SpecProcessor(validator: try shippedSchema(), limits: limits).analyze(bytes)
    }

    func testSchemaErrorsPastTheCapEndInOneDiagnosticSayingWhereTheRestBegin() throws {
        let analysis = try analyze(badCriteria(300))
        XCTAssertEqual(analysis.diagnostics.count, 101)
        XCTAssertEqual(Set(analysis.diagnostics.prefix(100).map(\.kind)), [.schema])
        XCTAssertEqual(analysis.diagnostics.prefix(100).map(\.line), Array(4...103), "the first 100, in order")
        let last = try XCTUnwrap(analysis.diagnostics.last)
        XCTAssertEqual(last.kind, .limit)
        XCTAssertEqual("\(last.line):\(last.column)", "104:5", "where the 101st problem is")
        XCTAssertTrue(last.message.contains("only the first 100 (limits.max_diagnostics)"), last.message)
        XCTAssertNotNil(analysis.canonical, "the cap changes what is listed, not whether the file can be written")
    }

    func testExactlyAtTheCapNothingIsSaidToBeLeftOut() throws {
        let limits = ParseLimits(maxDiagnostics: 5)
        XCTAssertEqual(try analyze(badCriteria(5), limits: limits).diagnostics.map(\.kind), Array(repeating: .schema, count: 5))
        let over = try analyze(badCriteria(6), limits: limits).diagnostics
        XCTAssertEqual(over.map(\.kind), Array(repeating: .schema, count: 5) + [.limit])
        XCTAssertEqual(over.last?.line, 9)
    }

    func testTheValidatorStopsCollectingAtTheCap() throws {
        guard case .document(let document) = YAMLParser.parse(badCriteria(10_000), limits: ParseLimits(maxDiagnostics: .max)) else {
            return XCTFail("did not parse")
        }
        let found = try shippedSchema().validate(document.root, maxDiagnostics: 10)
        XCTAssertEqual(found.diagnostics.map(\.line), Array(4...13))
        XCTAssertEqual(found.firstOmitted?.line, 14)
        XCTAssertEqual(try shippedSchema().validate(document.root).count, 10_000, "uncapped, every one")
    }

    func testDuplicateKeysPastTheCap() throws {
        let text = "id: X-1\n" + String(repeating: "title: T\n", count: 301)
        let analysis = try analyze(Array(text.utf8))
        XCTAssertEqual(analysis.diagnostics.count, 101)
        XCTAssertEqual(Set(analysis.diagnostics.prefix(100).map(\.kind)), [.duplicateKey])
        XCTAssertEqual(analysis.diagnostics.last?.kind, .limit)
        XCTAssertEqual(analysis.diagnostics.last?.line, 103, "the 101st duplicate (line 2 is the first `title`)")
        XCTAssertNil(analysis.canonical, "still unreadable: which duplicate wins is not decided")
    }

    func testTheFirstProblemsByPositionAreListedWhateverFoundThem() throws {
        // The schema's error on line 3 comes before the parser's on lines 5 and 6.
        let text = "id: X-1\ntitle: T\nacceptance_criteria: [c]\nlabels: []\nx: !a 1\ny: !b 2\n"
        let found = try analyze(Array(text.utf8), limits: ParseLimits(maxDiagnostics: 2)).diagnostics
        XCTAssertEqual(found.map(\.kind), [.schema, .unsupported, .limit])
        XCTAssertEqual(found.map(\.line), [3, 5, 6])
    }

    /// A mapping's missing keys are found after its values' problems; the cap keeps the earliest by
    /// position whenever they were found, so a missing key at the top is never hidden by later items.
    func testAProblemFoundLateButPlacedEarlyIsListed() throws {
        let text = "id: X-1\nacceptance_criteria:\n" + String(repeating: "  - c\n", count: 101) + "summary: s\n"
        let found = try analyze(Array(text.utf8)).diagnostics
        XCTAssertEqual(found.count, 101)
        XCTAssertEqual(found.first.map { "\($0.line):\($0.column)" }, "1:1")
        XCTAssertTrue(found.first?.message.contains("missing required key \"title\"") == true, "\(found.first!)")
        XCTAssertEqual(found.dropFirst().prefix(99).map(\.line), Array(3...101))
        XCTAssertEqual(found.last.map { "\($0.kind) \($0.line):\($0.column)" }, "limit 102:5", "the first problem not listed")
    }

    /// anyOf branches that fit the value are tried on their own; a trial neither fills the cap nor
    /// says problems were left out.
    func testTrialsOfAlternativesDoNotCountAgainstTheCap() throws {
        let schema = try Schema.load(json: Array("""
            {"type": "object", "properties": {"items": {"type": "array", "items": {"anyOf": [
                {"type": "object", "required": ["a", "b", "c", "d", "e"]},
                {"type": "object", "required": ["z"]}]}}}}
            """.utf8), source: "test")
        let text = "items:\n  - {y: 1}\n  - {y: 2}\n  - {y: 3}\n"
        let found = SpecProcessor(validator: schema, limits: ParseLimits(maxDiagnostics: 4)).analyze(Array(text.utf8)).diagnostics
        XCTAssertEqual(found.map(\.message), Array(repeating: "items[0]: missing required key \"z\"", count: 1)
                       + ["items[1]: missing required key \"z\"", "items[2]: missing required key \"z\""])
    }

    /// The winning trial's problems past the cap are still pointed at.
    func testATrialPastTheCapPointsAtWhatItLeftOut() throws {
        let schema = try Schema.load(json: Array("""
            {"anyOf": [
                {"type": "object", "required": ["a", "b", "c"], "properties": {"tags": {"items": {"enum": ["x", "y"]}}}},
                {"type": "object", "required": ["z"], "properties": {"tags": {"items": {"enum": ["x", "y"]}}}}]}
            """.utf8), source: "test")
        let text = "z: 1\ntags:\n" + String(repeating: "  - q\n", count: 300)
        let found = SpecProcessor(validator: schema, limits: ParseLimits(maxDiagnostics: 5)).analyze(Array(text.utf8)).diagnostics
        XCTAssertEqual(found.map(\.line), [3, 4, 5, 6, 7, 8], "\(found)")
        XCTAssertEqual(found.last?.kind, .limit)
    }

    /// `allOf` reaching the same rule twice reports each problem once, at the cap too.
    func testARepeatAtTheCapIsNotAProblemLeftOut() throws {
        let schema = try Schema.load(json: Array("""
            {"$defs": {"a": {"additionalProperties": {"type": "string"}}}, "allOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/a"}]}
            """.utf8), source: "test")
        let found = SpecProcessor(validator: schema, limits: ParseLimits(maxDiagnostics: 2)).analyze(Array("x: 1\ny: 2\n".utf8)).diagnostics
        XCTAssertEqual(found.map(\.kind), [.schema, .schema], "\(found)")
    }

    func testIdenticalReportsCountOnce() throws {
        let schema = try Schema.load(json: Array("""
            {"type": "object", "properties": {"items": {"type": "array", "items": {"allOf": [
                {"type": "object", "required": ["id"]}, {"type": "object", "required": ["id"]}]}}}}
            """.utf8), source: "test")
        let text = "items:\n  - {y: 1}\n  - {y: 2}\n  - {y: 3}\n"
        let found = SpecProcessor(validator: schema, limits: ParseLimits(maxDiagnostics: 4)).analyze(Array(text.utf8)).diagnostics
        XCTAssertEqual(found.map(\.line), [2, 3, 4], "\(found)")
        XCTAssertFalse(found.contains { $0.kind == .limit }, "nothing was left out")
    }

    /// The cap decides what is listed, never whether the file can be written: a duplicate key past it
    /// still makes the document unreadable.
    func testADuplicateKeyPastTheCapStillMakesTheFileUnreadable() {
        let text = "a: !x 1\nb: !y 2\nc: 1\nc: 2\n"
        let analysis = SpecProcessor(validator: nil, limits: ParseLimits(maxDiagnostics: 2)).analyze(Array(text.utf8))
        XCTAssertEqual(analysis.diagnostics.map(\.kind), [.unsupported, .unsupported, .limit])
        XCTAssertEqual(analysis.diagnostics.last?.line, 4)
        XCTAssertNil(analysis.canonical)
    }

    func testAParseStoppedByAnotherLimitStillSaysProblemsWereLeftOut() {
        let text = "a: !x 1\nb: !y 2\n---\nc: 1\n"
        guard case .failure(let found) = YAMLParser.parse(Array(text.utf8), limits: ParseLimits(maxDiagnostics: 1)) else {
            return XCTFail("two documents accepted")
        }
        // The note stands where the unlisted problems begin: before the fatal one, which is listed.
        XCTAssertEqual(found.map(\.kind), [.unsupported, .limit, .multipleDocuments])
        XCTAssertEqual(found.map(\.line), [1, 2, 3])
    }

    /// Schemas are not specs: a YAML schema file is bounded by its own limit (4 MiB, checked by whoever
    /// reads it), not by the spec files' `max_file_bytes` or `max_nodes`.
    func testAYAMLSchemaIsNotHeldToTheSpecLimits() throws {
        let names = (0..<30_000).map { "    k\($0): {type: string}\n" }.joined()
        let yaml = "type: object\nproperties:\n" + names
        XCTAssertGreaterThan(yaml.utf8.count, ParseLimits().maxBytes)
        let schema = try Schema.load(Array(yaml.utf8), source: "schema.yaml")
        XCTAssertEqual(schema.propertyOrder(at: []).count, 30_000)
    }

    func testNodeLimitCountsEveryScalarKeyAndCollection() {
        // root mapping, a, [ ], 1, 2, b, c: seven nodes.
        let seven = Array("a: [1, 2]\nb: c\n".utf8)
        guard case .document = YAMLParser.parse(seven, limits: ParseLimits(maxNodes: 7)) else { return XCTFail("7 nodes refused at 7") }
        guard case .failure(let diagnostics) = YAMLParser.parse(seven, limits: ParseLimits(maxNodes: 6)) else {
            return XCTFail("7 nodes accepted at 6")
        }
        XCTAssertEqual(diagnostics.map(\.kind), [.limit])
        XCTAssertEqual("\(diagnostics[0].line):\(diagnostics[0].column)", "2:4", "the seventh node, `c`")
        XCTAssertTrue(diagnostics[0].message.contains("more than 6 nodes (limits.max_nodes)"), diagnostics[0].message)
    }

    func testDefaultNodeLimitRefusesALargeFlatList() {
        let text = "x: [" + String(repeating: "1,", count: 60_000) + "1]\n"
        guard case .failure(let diagnostics) = YAMLParser.parse(Array(text.utf8)) else { return XCTFail("60,000 items accepted") }
        XCTAssertEqual(diagnostics.map(\.kind), [.limit])
        XCTAssertTrue(diagnostics[0].message.contains("50000 nodes"), diagnostics[0].message)
    }
}
