// Hostile input: alias bombs, absurd nesting, huge files, random byte damage, broken UTF-8.
// The promise: a diagnostic, never a crash, a hang or a huge allocation. Time is only checked
// against generous deadlines that catch hangs, never as a benchmark.
import Foundation
import XCTest
@testable import SpecSyncCore
import SpecSyncSchemaTestSupport

final class HostileInputTests: XCTestCase {
    /// Far above what any of these inputs needs when handled right; small enough to catch a hang.
    static let deadline: TimeInterval = 2

    private func timed<T>(_ body: () -> T) -> (T, TimeInterval) {
        let start = Date()
        let result = body()
        return (result, Date().timeIntervalSince(start))
    }

    private func limitDiagnostic(_ result: YAMLParseResult) -> Diagnostic? {
        guard case .failure(let diagnostics) = result else { return nil }
        return diagnostics.first { $0.kind == .limit }
    }

    // MARK: Alias bombs

    /// Nine levels of nine aliases: 9^9 (387 million) strings if expanded, from under 400 bytes.
    static let billionLaughs: String = {
        var lines = ["# billion laughs", "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            lines.append("\(name): &\(name) [" + Array(repeating: "*" + previous, count: 9).joined(separator: ",") + "]")
            previous = name
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    func testBillionLaughsIsRejectedFast() {
        let bytes = Array(Self.billionLaughs.utf8)
        XCTAssertLessThanOrEqual(bytes.count, 400)
        let (result, elapsed) = timed { YAMLParser.parse(bytes) }
        let limit = limitDiagnostic(result)
        XCTAssertNotNil(limit, "expected a limit diagnostic, got \(result)")
        XCTAssertTrue(limit?.message.contains("alias") == true, "\(String(describing: limit))")
        XCTAssertLessThan(elapsed, Self.deadline)
    }

    func testBillionLaughsThroughTheProcessorHasNoCanonicalForm() {
        let (analysis, elapsed) = timed { SpecProcessor(validator: OrderOnlyValidator()).analyze(Array(Self.billionLaughs.utf8)) }
        XCTAssertEqual(analysis.diagnostics.map(\.kind), [.limit])
        XCTAssertNil(analysis.canonical)
        XCTAssertLessThan(elapsed, Self.deadline)
    }

    func testMappingAliasBombIsRejected() {
        var text = "a: &a {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h"] {
            text += "\(name): &\(name) {" + (0..<10).map { "k\($0): *\(previous)" }.joined(separator: ", ") + "}\n"
            previous = name
        }
        let (result, elapsed) = timed { YAMLParser.parse(Array(text.utf8)) }
        XCTAssertNotNil(limitDiagnostic(result), "\(result)")
        XCTAssertLessThan(elapsed, Self.deadline)
    }

    /// Many aliases to one modest anchor: linear in the input, but the expansion still counts.
    func testManyAliasesToAModestAnchorAreCounted() {
        let anchor = "base: &b [" + Array(repeating: "x", count: 100).joined(separator: ", ") + "]\n"
        let aliases = "copies: [" + Array(repeating: "*b", count: 200).joined(separator: ", ") + "]\n"
        let (result, elapsed) = timed { YAMLParser.parse(Array((anchor + aliases).utf8)) }
        XCTAssertNotNil(limitDiagnostic(result), "200 × 101 nodes is over the default 10,000: \(result)")
        XCTAssertLessThan(elapsed, Self.deadline)
    }

    // MARK: Nesting

    func testTenThousandNestedFlowSequencesAreRejected() {
        let bytes = Array(repeating: UInt8(ascii: "["), count: 10_000) + Array(repeating: UInt8(ascii: "]"), count: 10_000)
        let (result, elapsed) = timed { YAMLParser.parse(bytes) }
        let limit = limitDiagnostic(result)
        XCTAssertNotNil(limit, "\(result)")
        // The 65th `[` is the first one too deep (default max_depth 64).
        XCTAssertEqual(limit.map { "\($0.line):\($0.column)" }, "1:65")
        XCTAssertLessThan(elapsed, Self.deadline)
    }

    func testTenThousandNestedFlowMappingsAreRejected() {
        let bytes = Array(String(repeating: "{a: ", count: 10_000).utf8) + Array("x".utf8)
            + Array(repeating: UInt8(ascii: "}"), count: 10_000)
        let (result, elapsed) = timed { YAMLParser.parse(bytes) }
        XCTAssertNotNil(limitDiagnostic(result), "\(result)")
        XCTAssertLessThan(elapsed, Self.deadline)
    }

    func testTenThousandNestedBlockSequencesAreRejected() {
        let bytes = Array((String(repeating: "- ", count: 10_000) + "x\n").utf8)
        let (result, elapsed) = timed { YAMLParser.parse(bytes) }
        let limit = limitDiagnostic(result)
        XCTAssertNotNil(limit, "\(result)")
        XCTAssertEqual(limit.map { "\($0.line):\($0.column)" }, "1:129")
        XCTAssertLessThan(elapsed, Self.deadline)
    }

    /// Within a raised depth limit, deep documents are read and written, not crashed on.
    /// The deepest nesting any configuration allows round-trips, even on a worker thread's small stack
    /// (the engine parses on DispatchQueue.concurrentPerform workers).
    func testTheDeepestAllowedNestingRoundTripsOnWorkerThreads() {
        let depth = ParseLimits.maxSupportedDepth - 1
        let limits = ParseLimits(maxDepth: ParseLimits.maxSupportedDepth)
        let bytes = Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            guard case .document(let doc) = YAMLParser.parse(bytes, limits: limits) else { return XCTFail("rejected") }
            let output = CanonicalEmitter.emit(doc)
            guard case .success(let data) = parseData(output, limits: limits) else { return XCTFail("output rejected") }
            XCTAssertTrue(strictlyEqual(data, doc.root.json))
        }
    }

    /// A configuration cannot raise max_depth past what the recursive passes can take: 10,000 levels
    /// under a "raised" limit are refused at the cap with a limit diagnostic, never a stack overflow.
    func testDepthBeyondTheSupportedMaximumIsRefusedNotCrashed() {
        let limits = ParseLimits(maxBytes: 1 << 22, maxDepth: 10_001)
        XCTAssertEqual(limits.maxDepth, ParseLimits.maxSupportedDepth)
        let bytes = Array(repeating: UInt8(ascii: "["), count: 10_000) + Array(repeating: UInt8(ascii: "]"), count: 10_000)
        guard case .failure(let diagnostics) = YAMLParser.parse(bytes, limits: limits) else { return XCTFail("accepted") }
        XCTAssertEqual(diagnostics.map(\.kind), [.limit])
        XCTAssertEqual(diagnostics.first?.column, ParseLimits.maxSupportedDepth + 1)
    }

    // MARK: Size

    func testFiftyMegabytesAreRejectedBySizeWithoutParsing() {
        // Invalid UTF-8 and a syntax error right at the start: had the parser or the UTF-8 check
        // looked at these bytes, they would have reported those first.
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 50 * 1024 * 1024)
        bytes[0] = 0xFF
        bytes[1] = UInt8(ascii: "[")
        let (result, elapsed) = timed { YAMLParser.parse(bytes) }
        guard case .failure(let diagnostics) = result else { return XCTFail("accepted 50 MB") }
        XCTAssertEqual(diagnostics.map(\.kind), [.limit])
        XCTAssertTrue(diagnostics.first?.message.contains(String(bytes.count)) == true, "\(diagnostics)")
        XCTAssertLessThan(elapsed, 0.5, "a size check is O(1)")
    }

    /// Blank lines between many items stress the per-line passes. Sized so that linear work takes a
    /// fraction of a second in debug builds while quadratic work (blank lines × scalars) takes
    /// several seconds; at 1 MiB the quadratic version took over 500 s.
    func testManyBlankLinesBetweenItemsAreHandledInLinearTime() {
        var text = "id: TAND-1\nrequirements:\n"
        for _ in 0..<15_000 { text += "  - r\n\n" }
        let (result, elapsed) = timed { format(Array(text.utf8)) }
        guard case .formatted = result else { return XCTFail("rejected: \(result)") }
        XCTAssertLessThan(elapsed, Self.deadline, "15,000 blank lines between 15,000 items must not take quadratic time")
    }

    /// A file just under the default size limit with a comment on every line.
    func testLargestAllowedFileWithManyCommentsIsFast() {
        var text = "id: TAND-1\nrequirements:\n"
        var i = 0
        while text.utf8.count < ParseLimits().maxBytes - 64 { text += "  # c\(i)\n  - r  # e\(i)\n"; i += 1 }
        let (result, elapsed) = timed { format(Array(text.utf8)) }
        guard case .formatted = result else { return XCTFail("rejected: \(result)") }
        XCTAssertLessThan(elapsed, 10, "a near-limit file must be handled in about linear time")
    }

    // MARK: Random damage

    /// Thousands of seeded mutations of a real spec: every one yields a document or diagnostics,
    /// never a crash; diagnostics point inside the file; whatever is formatted reads back the same.
    func testRandomByteMutationsNeverCrashAndFormatSafely() throws {
        let original = Array(GoldenCase.exampleSpec.utf8)
        var rng = SeededRandom(seed: 0xF022)
        let tokens: [[UInt8]] = ["&a ", "*a", "- ", ": ", "\t", "[", "]", "{", "}", "\"", "'", "|", "|+", ">", "#", "\n",
                                 "---\n", "...\n", "!!str ", "!x ", "? ", "%YAML 1.2\n", "\r", "\u{FEFF}", "\u{85}",
                                 "  ", "\\", "<<: *a\n"].map { Array($0.utf8) }
        var documents = 0, rejections = 0, formatted = 0
        for round in 0..<3_000 {
            var bytes = original
            for _ in 0..<(1 + Int.random(in: 0..<4, using: &rng)) {
                let at = Int.random(in: 0...bytes.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: if at < bytes.count { bytes[at] = UInt8.random(in: 0...255, using: &rng) }
                case 1: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                case 2: if at < bytes.count { bytes.remove(at: at) }
                case 3: bytes.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &rng)], at: at)
                default:
                    let end = min(bytes.count, at + Int.random(in: 1...40, using: &rng))
                    if at < end { bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &rng)) }
                }
            }
            let analysis = SpecProcessor(validator: OrderOnlyValidator()).analyze(bytes)
            let lineCount = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
                + bytes.filter { $0 == 0x0D }.count
            for d in analysis.diagnostics {
                XCTAssertTrue(d.line >= 1 && d.line <= lineCount + 1 && d.column >= 1,
                              "round \(round): \(d) outside the file")
                XCTAssertFalse(d.message.isEmpty)
            }
            if analysis.document != nil { documents += 1 } else {
                rejections += 1
                XCTAssertFalse(analysis.diagnostics.isEmpty, "round \(round): no document and no diagnostics")
            }
            guard let canonical = analysis.canonical, let data = analysis.data else { continue }
            formatted += 1
            switch format(canonical) {
            case .formatted(let again, let reread):
                if again != canonical || !strictlyEqual(reread, data) {
                    XCTFail("round \(round): canonical form not stable or lost data\n--- input\n\(visible(bytes))--- canonical\n\(visible(canonical))--- again\n\(visible(again))")
                    return
                }
            case .rejected(let diagnostics):
                XCTFail("round \(round): canonical form is rejected: \(DiagnosticList(diagnostics))\n--- input\n\(visible(bytes))--- canonical\n\(visible(canonical))")
                return
            }
        }
        // Both paths were exercised.
        XCTAssertGreaterThan(documents, 300)
        XCTAssertGreaterThan(rejections, 300)
        XCTAssertGreaterThan(formatted, 300)
    }

    // MARK: Invalid UTF-8

    func testInvalidUTF8SequencesAreRejectedAtTheirOffset() {
        let prefix = Array("id: TAND-1\ntitle: ab".utf8)  // the bad sequence starts at offset 20, line 2, column 10
        let cases: [(String, [UInt8])] = [
            ("overlong 2-byte '/'", [0xC0, 0xAF]),
            ("overlong 3-byte '/'", [0xE0, 0x80, 0xAF]),
            ("overlong 4-byte '/'", [0xF0, 0x80, 0x80, 0xAF]),
            ("overlong NUL", [0xC0, 0x80]),
            ("high surrogate", [0xED, 0xA0, 0x80]),
            ("low surrogate", [0xED, 0xBF, 0xBF]),
            ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("lone continuation", [0x80]),
            ("invalid byte FE", [0xFE]),
            ("invalid byte FF", [0xFF]),
            ("5-byte lead", [0xF8, 0x88, 0x80, 0x80, 0x80]),
            ("bad continuation", [0xE2, 0x28, 0xA1]),
            ("truncated 3-byte then text", [0xE2, 0x82, 0x41]),
        ]
        for (name, bad) in cases {
            let result = YAMLParser.parse(prefix + bad + Array("\n".utf8))
            guard case .failure(let diagnostics) = result, diagnostics.count == 1, let d = diagnostics.first else {
                XCTFail("\(name): expected one encoding diagnostic, got \(result)")
                continue
            }
            XCTAssertEqual(d.kind, .encoding, name)
            XCTAssertEqual("\(d.line):\(d.column)", "2:10", name)
            XCTAssertTrue(d.message.contains("offset 20"), "\(name): \(d.message)")
        }
    }

    func testTruncatedSequencesAtEndOfInput() {
        for bad: [UInt8] in [[0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3]] {
            let result = YAMLParser.parse(Array("a: ".utf8) + bad)
            guard case .failure(let diagnostics) = result else { XCTFail("accepted \(bad)"); continue }
            XCTAssertEqual(diagnostics.map { "\($0.kind.rawValue)@\($0.line):\($0.column)" }, ["encoding@1:4"], "\(bad)")
        }
    }

    func testValidEdgeCodePointsAreAccepted() {
        // U+10FFFF, U+E000 (private use), U+0800, U+00A0: valid UTF-8 and printable for YAML.
        let text = "title: \"\u{10FFFF}\u{E000}\u{0800}\u{00A0}\"\n"
        guard case .formatted(let output, let data) = format(text) else { return XCTFail("rejected valid UTF-8") }
        XCTAssertEqual(data, .object(JSONObject([("title", .string("\u{10FFFF}\u{E000}\u{0800}\u{00A0}"))])))
        guard case .success(let reread) = parseData(output) else { return XCTFail("output rejected") }
        XCTAssertTrue(strictlyEqual(reread, data))
    }

    // MARK: Output that must stay readable

    /// libyaml reads implicit keys of at most 1024 characters; a longer key (legal with `? `)
    /// must be written so it can be read back.
    func testKeyLongerThan1024CharactersStaysReadable() {
        let key = String(repeating: "k", count: 1_100)
        guard case .formatted(let output, let data) = format("? \(key)\n: 1\n") else { return XCTFail("input rejected") }
        switch parseData(output) {
        case .success(let reread): XCTAssertTrue(strictlyEqual(reread, data))
        case .failure(let diagnostics): XCTFail("canonical output is unreadable: \(diagnostics)")
        }
    }

    /// The limit is on the key as written: a key short enough as text can be too long once quoted and
    /// escaped (600 backslashes are written as 1,200; found by the fuzzer). Both readers must read it.
    func testKeyLongOnlyOnceEscapedStaysReadable() {
        for key in [String(repeating: "\\", count: 600), ":" + String(repeating: "\"", count: 700), String(repeating: "\\", count: 500)] {
            let input = "? \"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"\n: 1\n"
            guard case .formatted(let output, let data) = format(input) else { return XCTFail("input rejected: \(input.prefix(80))") }
            switch parseData(output) {
            case .success(let reread): XCTAssertTrue(strictlyEqual(reread, data))
            case .failure(let diagnostics): XCTFail("canonical output is unreadable: \(diagnostics)")
            }
        }
    }

    /// The comment beside a key written as `? key` stays on the key's line: after the `:` it read back as
    /// the value's, and formatting again moved it (found by the fuzzer in CI).
    func testACommentBesideAnExplicitKeyStaysPut() {
        let key = String(repeating: "k", count: 1_100)
        for value in ["  - x\n", "  -\n  - x\n", "  a: 1\n", " 1\n"] {
            let input = "? \(key)  # beside\n:\n" + value
            guard case .formatted(let output, _) = format(input) else { XCTFail("input rejected: \(value)"); continue }
            guard case .formatted(let again, _) = format(output) else { XCTFail("canonical output rejected"); continue }
            XCTAssertEqual(String(decoding: again, as: UTF8.self), String(decoding: output, as: UTF8.self), "value \(value.debugDescription)")
            XCTAssertTrue(String(decoding: output, as: UTF8.self).contains("# beside"))
        }
    }

    /// A comment closing a nested list or mapping, followed by a key written as `? key`, stays where
    /// it is: the entry was placed at the key's own column (after `? `), so the comment, indented as
    /// far, read as the key's leading comment and moved out to column 1 on the next `fmt` — not
    /// idempotent (found by the fuzzer).
    func testACommentClosingABlockBeforeAnExplicitKeyStaysInTheBlock() {
        let key = "'#" + String(repeating: "\\", count: 700) + "'"     // 1,400+ characters once escaped
        for block in ["  - a\n  - b\n", "  a: 1\n  b: 2\n", "  - a\n  -\n    - b\n"] {
            let input = "list:\n\(block)  # closing the block\n\(key): x\n"
            guard case .formatted(let output, _) = format(input) else { XCTFail("input rejected: \(block)"); continue }
            let text = String(decoding: output, as: UTF8.self)
            XCTAssertTrue(text.contains("\n  # closing the block\n? \""), text.prefix(200) + "")
            guard case .formatted(let again, _) = format(output) else { XCTFail("canonical output rejected"); continue }
            XCTAssertEqual(String(decoding: again, as: UTF8.self).prefix(200), text.prefix(200), "block \(block.debugDescription)")
        }
    }

    /// Only an explicit key's entry moves to its `?`: a mapping whose anchor or tag stands on a line of
    /// its own, less indented than its keys, places its entries at its keys as before; and a `?` alone
    /// on its line, with a comment between it and its key, keeps the comment with the key. (Both
    /// changed with a first version of the fix above, which placed every entry at the mapping's start
    /// mark; found by review.)
    func testOnlyAnExplicitKeysEntryMovesToItsQuestionMark() {
        func formatted(_ input: String) -> String {
            guard case .formatted(let output, _) = format(input) else { XCTFail("rejected: \(input)"); return "" }
            return String(decoding: output, as: UTF8.self)
        }
        let plain = "- k:\n  - x\n  - y\n  # closing\n  m: 1\n"
        XCTAssertEqual(formatted("- &a\n    k:\n    - x\n    - y\n    # closing\n    m: 1\n"), formatted(plain))
        XCTAssertEqual(formatted("- !!map\n    k:\n    - x\n    - y\n    # closing\n    m: 1\n"), formatted(plain))
        XCTAssertEqual(formatted("&a\n  k:\n  - x\n  # c\n  m: 1\n"), formatted("  k:\n  - x\n  # c\n  m: 1\n"))
        XCTAssertEqual(formatted("list:\n  - a\n?\n  # about k\n  k\n: v\n"), "list:\n  - a\n# about k\nk: v\n")
        XCTAssertEqual(formatted("list:\n  - a\n  # closing\n?\n\n  # about k\n  k\n: v\n"),
                       "list:\n  - a\n  # closing\n\n# about k\nk: v\n")
    }

    /// A top-level key `... x` written plain would end the document (found by the fuzzer); elsewhere
    /// on a line it stays plain.
    func testATopLevelKeyThatLooksLikeADocumentEndIsQuoted() {
        for (input, expected) in [("? ... wE #a\n", "\"... wE\": null  #a\n"), ("\"...\": 1\n", "\"...\": 1\n"),
                                  ("a:\n  ... b: 1\nc: ... d\n", "a:\n  ... b: 1\nc: ... d\n")] {
            guard case .formatted(let output, let data) = format(input) else { XCTFail("input rejected: \(input)"); continue }
            XCTAssertEqual(String(decoding: output, as: UTF8.self), expected)
            switch parseData(output) {
            case .success(let reread): XCTAssertTrue(strictlyEqual(reread, data))
            case .failure(let diagnostics): XCTFail("canonical output is unreadable: \(diagnostics)")
            }
        }
    }

    // MARK: Byte-order mark

    /// A BOM is allowed (and dropped); it must not change how the rest of the file is read.
    func testByteOrderMarkBeforeAMultiLineSpec() {
        let text = "\u{FEFF}id: TAND-1\ntitle: BOM\n"
        guard case .formatted(let output, _) = format(text) else {
            return XCTFail("rejected: \(format(text))")
        }
        XCTAssertEqual(String(decoding: output, as: UTF8.self), "id: TAND-1\ntitle: BOM\n")
    }
}

extension GoldenCase {
    /// A realistic spec with comments, used as the seed of the mutation fuzzer.
    static let exampleSpec = """
        # .tandemonium/specs/TAND-012.yaml
        ---
        id: "TAND-012"
        title: "Export monthly report as CSV"
        created_at: "2025-03-02T09:15:00Z"

        # Where this task comes from
        strategic_context:
          cuj_id: "CUJ-3"            # see journeys.md
          feature_id: "csv-export"   # kebab-case
          mvp_included: true
        user_story: {text: "As a bookkeeper", hash: "5d41402a"}
        summary: |
          Add a CSV export next to the existing PDF export.
          Columns follow the on-screen table.
        requirements:
          - "One row per invoice line"
          - &utf UTF-8 with a header row
        acceptance_criteria:
          - id: ac-1
            description: 'export_csv(report) returns bytes'
          # between items
          - description: *utf
            id: ac-2
        files_to_modify: [src/a.py, {action: create, path: src/b.py}]
        complexity: low  # low | medium | high
        estimated_minutes: 40
        priority: 2

        """
}
