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
