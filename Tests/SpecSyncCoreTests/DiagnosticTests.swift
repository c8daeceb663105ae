// One test per diagnostic kind, each asserting the exact line, column and JSON Pointer, plus the
// cross-cutting promises: every problem reported, sorted by position, rendered as
// `path:line:column: error: message (at /pointer)`.
import XCTest
@testable import SpecSyncCore

final class DiagnosticTests: XCTestCase {
    // MARK: Helpers

    /// The diagnostics of `bytes`, whether they stop the parse or only flag the document.
    private func diagnostics(_ bytes: [UInt8], limits: ParseLimits = ParseLimits()) -> [Diagnostic] {
        switch YAMLParser.parse(bytes, limits: limits) {
        case .failure(let d): return d
        case .document(let doc): return doc.diagnostics
        }
    }

    private func diagnostics(_ text: String, limits: ParseLimits = ParseLimits()) -> [Diagnostic] {
        diagnostics(Array(text.utf8), limits: limits)
    }

    /// Exactly one diagnostic, of `kind`, at `line:column`, pointing at `pointer`.
    private func assertSingle(_ found: [Diagnostic], _ kind: Diagnostic.Kind, line: Int, column: Int, pointer: String,
                              file: StaticString = #filePath, sourceLine: UInt = #line) {
        guard found.count == 1, let d = found.first else {
            return XCTFail("expected one \(kind) diagnostic, got \(found)", file: file, line: sourceLine)
        }
        XCTAssertEqual(d.kind, kind, d.message, file: file, line: sourceLine)
        XCTAssertEqual("\(d.line):\(d.column)", "\(line):\(column)", "position of: \(d.message)", file: file, line: sourceLine)
        XCTAssertEqual(d.pointer, pointer, d.message, file: file, line: sourceLine)
        XCTAssertFalse(d.message.isEmpty, file: file, line: sourceLine)
    }

    // MARK: One test per kind

    func testSyntaxErrorPointsAtTheOffendingCharacter() {
        // The second `:` on line 2 (column 9) cannot start a nested mapping on the same line.
        let found = diagnostics("id: TAND-1\ntitle: a: b\nstatus: draft\n")
        assertSingle(found, .syntax, line: 2, column: 9, pointer: "")
        XCTAssertTrue(found.first?.message.contains("mapping values are not allowed") == true, "\(found)")
    }

    func testSyntaxErrorForAnUnclosedQuoteNamesWhereItStarted() {
        let found = diagnostics("id: TAND-1\ntitle: \"unterminated\n")
        assertSingle(found, .syntax, line: 3, column: 1, pointer: "")
        XCTAssertTrue(found.first?.message.contains("line 2, column 8") == true, "the opening quote's position: \(found)")
    }

    func testDuplicateKeyPointsAtTheSecondOccurrence() {
        let found = diagnostics("id: TAND-1\nstrategic_context:\n  cuj_id: a\n  cuj_id: b\n")
        assertSingle(found, .duplicateKey, line: 4, column: 3, pointer: "/strategic_context/cuj_id")
        XCTAssertTrue(found.first?.message.contains("line 3, column 3") == true, "names the first definition: \(found)")
    }

    func testDuplicateKeyInsideASequenceItem() {
        let found = diagnostics("id: TAND-1\nacceptance_criteria:\n  - id: ac-1\n    description: d\n  - id: ac-2\n    id: ac-3\n")
        assertSingle(found, .duplicateKey, line: 6, column: 5, pointer: "/acceptance_criteria/1/id")
    }

    func testDuplicateKeyPointerEscapesSlashAndTilde() {
        let found = diagnostics("\"a/b~c\": 1\n\"a/b~c\": 2\n")
        assertSingle(found, .duplicateKey, line: 2, column: 1, pointer: "/a~1b~0c")
    }

    /// Duplicates are found by fingerprint then text while a mapping is small and by table past 64 keys:
    /// on random mappings of 1–150 keys whose fingerprints often collide (same length, same first four
    /// and last three bytes), every repeat and only repeats are reported, each pointing at its first.
    func testDuplicateKeysAreFoundInSmallAndLargeMappings() {
        var rng = SeededLCG(seed: 5)
        let middles = ["AA", "AB", "BA", "BB", "A\u{E9}", "\u{E9}A"]  // equal lengths collide; é adds non-ASCII
        for round in 0..<200 {
            let count = 1 + Int(rng.next() % 150)
            var text = ""
            var firstLine: [String: Int] = [:]
            var expected: [String] = []
            for line in 1...count {
                let key = "keyq" + middles[Int(rng.next() % UInt64(middles.count))] + String(rng.next() % UInt64(max(1, count / 3))) + "end"
                text += "\(key): \(line)\n"
                if let first = firstLine[key] {
                    expected.append("\(line) first defined at line \(first)")
                } else {
                    firstLine[key] = line
                }
            }
            let found = diagnostics(text, limits: ParseLimits(maxDiagnostics: 1000)).map { d -> String in
                let first = d.message.components(separatedBy: "(first defined at line ").last?.prefix { $0.isNumber } ?? ""
                return "\(d.line) first defined at line \(first)"
            }
            XCTAssertEqual(found, expected, "round \(round), \(count) keys")
        }
    }

    func testDuplicateKeyMakesTheDocumentUnwritable() {
        let analysis = SpecProcessor(validator: nil).analyze(Array("id: a\nid: b\n".utf8))
        XCTAssertEqual(analysis.diagnostics.map(\.kind), [.duplicateKey])
        XCTAssertNil(analysis.canonical, "which value to keep is the author's call, not fmt's")
        XCTAssertNil(analysis.data)
    }

    func testTabInIndentation() {
        assertSingle(diagnostics("id: TAND-1\nstrategic_context:\n\tcuj_id: a\n"), .tab, line: 3, column: 1, pointer: "")
    }

    func testTabAfterSpacesInIndentation() {
        assertSingle(diagnostics("id: TAND-1\nrequirements:\n  - a\n \t- b\n"), .tab, line: 4, column: 2, pointer: "")
    }

    func testTabIndentingABlockScalar() {
        assertSingle(diagnostics("id: TAND-1\nsummary: |\n\tline\n"), .tab, line: 3, column: 1, pointer: "")
    }

    func testInvalidUTF8GivesLineColumnAndByteOffset() {
        // `title: caf` then a lead byte without its continuation: column 11, byte offset 21.
        let bytes = Array("id: TAND-1\ntitle: caf".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let found = diagnostics(bytes)
        assertSingle(found, .encoding, line: 2, column: 11, pointer: "")
        XCTAssertTrue(found.first?.message.contains("offset 21") == true, "\(found)")
        XCTAssertTrue(found.first?.message.contains("0xC3") == true, "\(found)")
    }

    func testInvalidUTF8ColumnCountsCharactersNotBytes() {
        // `b: 🚀x` — the rocket is four bytes but one column.
        let bytes = Array("a: 1\nb: 🚀x".utf8) + [0x80]
        let found = diagnostics(bytes)
        assertSingle(found, .encoding, line: 2, column: 6, pointer: "")
        XCTAssertTrue(found.first?.message.contains("offset 13") == true, "\(found)")
    }

    func testMoreThanOneDocument() {
        assertSingle(diagnostics("id: TAND-1\n---\nid: TAND-2\n"), .multipleDocuments, line: 2, column: 1, pointer: "")
    }

    func testMoreThanOneDocumentAfterAnEndMarker() {
        assertSingle(diagnostics("---\nid: TAND-1\n...\n---\nid: TAND-2\n"), .multipleDocuments, line: 4, column: 1, pointer: "")
    }

    func testFileTooLarge() {
        let limits = ParseLimits(maxBytes: 100)
        let found = diagnostics(Array(repeating: UInt8(ascii: "#"), count: 101), limits: limits)
        assertSingle(found, .limit, line: 1, column: 1, pointer: "")
        XCTAssertTrue(found.first?.message.contains("101") == true && found.first?.message.contains("100") == true, "\(found)")
        XCTAssertEqual(diagnostics(Array(repeating: UInt8(ascii: "#"), count: 100), limits: limits), [],
                       "exactly at the limit is allowed")
    }

    func testNestingTooDeep() {
        let text = "id: TAND-1\nx:\n  y:\n    z: [1]\n"
        // root, x, y are three levels; the flow sequence under z is the fourth.
        assertSingle(diagnostics(text, limits: ParseLimits(maxDepth: 3)), .limit, line: 4, column: 8, pointer: "/x/y/z")
        XCTAssertEqual(diagnostics(text, limits: ParseLimits(maxDepth: 4)), [], "exactly at the limit is allowed")
    }

    func testNestingTooDeepInSequences() {
        assertSingle(diagnostics("- - - - 1\n", limits: ParseLimits(maxDepth: 3)), .limit, line: 1, column: 7, pointer: "/0/0/0")
    }

    func testAliasExpansionLimit() {
        // Each *a adds four nodes (the sequence and its three items): the second one passes 5.
        let text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
        assertSingle(diagnostics(text, limits: ParseLimits(maxAliasNodes: 5)), .limit, line: 2, column: 9, pointer: "/b/1")
        XCTAssertEqual(diagnostics(text, limits: ParseLimits(maxAliasNodes: 8)), [], "exactly at the limit is allowed")
    }

    func testUnsupportedTagOnAScalar() {
        assertSingle(diagnostics("id: TAND-1\ntitle: !custom x\n"), .unsupported, line: 2, column: 8, pointer: "/title")
    }

    func testUnsupportedTagOnACollection() {
        assertSingle(diagnostics("id: TAND-1\nstrategic_context: !thing {a: 1}\n"), .unsupported, line: 2, column: 20,
                     pointer: "/strategic_context")
    }

    func testCoreTagWithAValueItCannotHold() {
        assertSingle(diagnostics("id: TAND-1\npriority: !!int abc\n"), .unsupported, line: 2, column: 11, pointer: "/priority")
    }

    func testNonScalarKeyFlowSequence() {
        assertSingle(diagnostics("id: TAND-1\n[a, b]: c\n"), .unsupported, line: 2, column: 1, pointer: "")
    }

    func testNonScalarKeyExplicitMapping() {
        assertSingle(diagnostics("id: TAND-1\nx:\n  ? {a: 1}\n  : c\n"), .unsupported, line: 3, column: 5, pointer: "/x")
    }

    func testAliasAsKey() {
        assertSingle(diagnostics("id: &k TAND-1\nx:\n  *k : c\n"), .unsupported, line: 3, column: 3, pointer: "/x")
    }

    func testUndefinedAlias() {
        assertSingle(diagnostics("id: TAND-1\ntitle: *nope\n"), .syntax, line: 2, column: 8, pointer: "/title")
    }

    // MARK: Positions under unusual line ends and characters

    func testPositionsCountCRLFAndCRAsOneLineBreak() {
        assertSingle(diagnostics("id: x\r\ntitle: a\r\nid: y\r\n"), .duplicateKey, line: 3, column: 1, pointer: "/id")
        assertSingle(diagnostics("id: x\rtitle: a\rid: y\r"), .duplicateKey, line: 3, column: 1, pointer: "/id")
    }

    func testColumnsCountUnicodeScalars() {
        // x1 :2 3 [4 🚀5 ,6 7 a8 :9 10 b11 :12 — the second `:` inside a flow sequence.
        let found = diagnostics("title: éé\nx: [🚀, a: b: c]\n")
        assertSingle(found, .syntax, line: 2, column: 12, pointer: "")
    }

    /// A byte-order mark is not a character the author sees: it must not shift columns on line 1.
    func testByteOrderMarkDoesNotShiftColumns() {
        assertSingle(diagnostics("\u{FEFF}title: !custom x\n"), .unsupported, line: 1, column: 8, pointer: "/title")
        assertSingle(diagnostics("\u{FEFF}{a: 1, a: 2}\n"), .duplicateKey, line: 1, column: 8, pointer: "/a")
    }

    /// Control characters are rejected where they are, not at the start of the file.
    func testControlCharacterPosition() {
        let found = diagnostics(Array("a: 1\nb: x".utf8) + [0x01] + Array("y\n".utf8))
        XCTAssertEqual(found.count, 1, "\(found)")
        guard let d = found.first else { return }
        XCTAssertTrue(d.kind == .syntax || d.kind == .encoding, "\(d)")
        XCTAssertEqual("\(d.line):\(d.column)", "2:5", "position of: \(d.message)")
    }

    // MARK: All problems, sorted, rendered

    func testEveryNonFatalProblemIsReportedSortedByPosition() {
        let text = "b: !x 1\na: 1\nc: {d: 1, d: 2}\na: 2\n"
        let analysis = SpecProcessor(validator: nil).analyze(Array(text.utf8))
        XCTAssertEqual(analysis.diagnostics.map { "\($0.kind.rawValue)@\($0.line):\($0.column)\($0.pointer)" },
                       ["unsupported@1:4/b", "duplicate-key@3:11/c/d", "duplicate-key@4:1/a"])
    }

    func testRenderedForm() {
        let d = Diagnostic(kind: .duplicateKey, line: 4, column: 3, pointer: "/strategic_context/cuj_id", message: "duplicate key")
        XCTAssertEqual(d.rendered(path: "specs/TAND-1.yaml"),
                       "specs/TAND-1.yaml:4:3: error: duplicate key (at /strategic_context/cuj_id)")
        let root = Diagnostic(kind: .limit, line: 1, column: 1, pointer: "", message: "too large")
        XCTAssertEqual(root.rendered(path: "a.yaml"), "a.yaml:1:1: error: too large (at /)")
    }

    func testValidatorDiagnosticsAreMergedAndSorted() {
        struct Flagging: DocumentValidator {
            func validate(_ root: Node) -> [Diagnostic] {
                [Diagnostic(kind: .schema, line: 1, column: 5, pointer: "/id", message: "schema says no")]
            }
            func propertyOrder(at path: [PathComponent]) -> [String] { [] }
        }
        let analysis = SpecProcessor(validator: Flagging()).analyze(Array("id: x\ntitle: !t y\n".utf8))
        XCTAssertEqual(analysis.diagnostics.map(\.kind), [.schema, .unsupported])
        XCTAssertFalse(analysis.isValid)
    }
}

/// A small deterministic generator for the randomized tests here.
private struct SeededLCG {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
}
