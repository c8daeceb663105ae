// Properties of the canonical form over a few hundred generated specs (seeded, reproducible):
// idempotence, data preservation (YAML 1.2 and 1.1), comments kept exactly, schema key order,
// byte-level rules. SPECSYNC_PROPERTY_SEED=<n> explores another corner; failures print the case seed.
import Foundation
import XCTest
@testable import SpecSyncCore

final class PropertyTests: XCTestCase {
    static let caseCount = 300
    /// Detailed failure reports are capped so one systematic bug does not bury the log.
    static let maxReportedFailures = 5

    static var baseSeed: UInt64 {
        ProcessInfo.processInfo.environment["SPECSYNC_PROPERTY_SEED"].flatMap { UInt64($0) } ?? 20_250_302
    }

    struct Case {
        var seed: UInt64
        var spec: GeneratedSpec
        var output: [UInt8]?
        var outputData: JSONValue?
        var rejection: String?
    }

    static let cases: [Case] = (0..<UInt64(caseCount)).map { i in
        let seed = baseSeed &+ i
        var generator = SpecGenerator(seed: seed)
        let spec = generator.generate()
        switch format(Array(spec.text.utf8)) {
        case .formatted(let bytes, _):
            let reread = try? parseData(bytes).get()
            return Case(seed: seed, spec: spec, output: bytes, outputData: reread)
        case .rejected(let diagnostics):
            return Case(seed: seed, spec: spec, rejection: DiagnosticList(diagnostics).description)
        }
    }

    /// Runs `check` on every case; it returns a problem description or nil.
    private func forEachCase(_ property: String, file: StaticString = #filePath, line: UInt = #line,
                             _ check: (Case, [UInt8]) -> String?) {
        var failures = 0
        for c in Self.cases {
            guard let output = c.output else { continue }  // rejection is reported by its own test
            guard let problem = check(c, output) else { continue }
            failures += 1
            if failures <= Self.maxReportedFailures {
                XCTFail("""
                    \(property) fails for seed \(c.seed): \(problem)
                    --- input
                    \(visible(Array(c.spec.text.utf8)))--- output
                    \(visible(output))
                    """, file: file, line: line)
            }
        }
        if failures > Self.maxReportedFailures {
            XCTFail("\(property): \(failures) of \(Self.cases.count) cases fail (first \(Self.maxReportedFailures) shown)",
                    file: file, line: line)
        }
    }

    // MARK: The generator itself

    func testGeneratedInputsAreAcceptedAndReadAsGenerated() {
        var failures = 0
        for c in Self.cases {
            if let rejection = c.rejection {
                failures += 1
                if failures <= Self.maxReportedFailures {
                    XCTFail("seed \(c.seed): input rejected: \(rejection)\n--- input\n\(visible(Array(c.spec.text.utf8)))")
                }
                continue
            }
            let input = c.spec.text.replacingOccurrences(of: "\r\n", with: "\n") + "\n"
            let writtenOnce = c.spec.comments.allSatisfy { input.components(separatedBy: $0.text + "\n").count == 2 }
            XCTAssertTrue(writtenOnce, "seed \(c.seed): the generator lost track of a comment")
            guard case .success(let data) = parseData(Array(c.spec.text.utf8)) else { continue }
            if !strictlyEqual(data, c.spec.data) {
                failures += 1
                if failures <= Self.maxReportedFailures {
                    XCTFail("seed \(c.seed): input reads as\n \(jsonText(data))\nbut was generated as\n \(jsonText(c.spec.data))\n--- input\n\(visible(Array(c.spec.text.utf8)))")
                }
            }
        }
        XCTAssertEqual(failures, 0, "generated inputs that do not read back as generated")
        // The generator must actually exercise the interesting parts.
        let texts = Self.cases.map(\.spec.text)
        XCTAssertGreaterThan(Self.cases.map(\.spec.comments.count).reduce(0, +), Self.caseCount)
        XCTAssertTrue(texts.contains { $0.contains("|+") } && texts.contains { $0.contains("|-") })
        XCTAssertTrue(texts.contains { $0.contains("[") } && texts.contains { $0.contains("{") })
        XCTAssertTrue(texts.contains { $0.contains("\n    ") } && texts.contains { $0.contains("\n- ") })
    }

    // MARK: Properties

    func testFormattingIsIdempotent() {
        forEachCase("idempotence") { _, output in
            guard case .formatted(let again, _) = format(output) else { return "output is rejected when read again" }
            return again == output ? nil : "fmt(output) differs:\n\(visible(again))"
        }
    }

    func testFormattingPreservesData() {
        forEachCase("data preservation") { c, _ in
            guard let data = c.outputData else { return "output cannot be read" }
            return strictlyEqual(data, c.spec.data) ? nil
                : "output reads as\n \(jsonText(data))\ninput was\n \(jsonText(c.spec.data))"
        }
    }

    func testEveryCommentSurvivesExactlyOnce() {
        forEachCase("comment preservation") { c, output in
            let text = String(decoding: output, as: UTF8.self)
            var problems: [String] = []
            for comment in c.spec.comments {
                // Comments run to the end of their line, so `text + "\n"` cannot match a longer comment.
                let count = text.components(separatedBy: comment.text + "\n").count - 1
                if count != 1 { problems.append("\(comment.text) appears \(count) times") }
            }
            // Nothing else that looks like one of our comments appeared (no duplicated fragments).
            let markers = text.components(separatedBy: "note-").count - 1
            if markers != c.spec.comments.count {
                problems.append("\(markers) comment markers in the output, \(c.spec.comments.count) in the input")
            }
            return problems.isEmpty ? nil : problems.joined(separator: "; ")
        }
    }

    /// End-of-line comments stay at the end of a line with content; own-line comments stay on their own line.
    func testCommentsKeepTheirKind() {
        forEachCase("comment kind") { c, output in
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
            var problems: [String] = []
            for comment in c.spec.comments {
                guard let line = lines.first(where: { $0.hasSuffix(comment.text) }) else { continue }
                let before = line.dropLast(comment.text.count)
                let ownLine = before.allSatisfy { $0 == " " }
                switch comment.kind {
                case .ownLine where !ownLine: problems.append("own-line \(comment.text) now ends line `\(line)`")
                case .endOfLine where ownLine: problems.append("end-of-line \(comment.text) now on its own line")
                case .endOfLine where !before.hasSuffix("  ") || before.hasSuffix("   "):
                    problems.append("end-of-line \(comment.text) not preceded by exactly two spaces: `\(line)`")
                default: break
                }
            }
            return problems.isEmpty ? nil : problems.joined(separator: "; ")
        }
    }

    func testKeysFollowTheSchemaOrderThenTheirOriginalOrder() {
        forEachCase("key order") { c, output in
            guard case .document(let doc) = YAMLParser.parse(output) else { return "output cannot be read" }
            var problems: [String] = []
            checkOrder(doc.root, input: c.spec.data, path: [], problems: &problems)
            return problems.isEmpty ? nil : problems.joined(separator: "; ")
        }
    }

    private func checkOrder(_ node: Node, input: JSONValue, path: [PathComponent], problems: inout [String]) {
        switch (node.kind, input) {
        case (.mapping(let entries), .object(let object)):
            let order = TandemoniumOrder.order(at: path)
            let known = object.keys.filter { order.contains($0) }.sorted { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! }
            let unknown = object.keys.filter { !order.contains($0) }
            let actual = entries.map(\.keyText)
            if actual != known + unknown {
                problems.append("keys at \(path.jsonPointer) are \(actual), expected \(known + unknown)")
            }
            for entry in entries {
                if let value = object[entry.keyText] {
                    checkOrder(entry.value, input: value, path: path + [.key(entry.keyText)], problems: &problems)
                }
            }
        case (.sequence(let items), .array(let values)) where items.count == values.count:
            for (i, (item, value)) in zip(items, values).enumerated() {
                checkOrder(item, input: value, path: path + [.index(i)], problems: &problems)
            }
        default:
            break
        }
    }

    func testOutputObeysTheByteRules() {
        forEachCase("byte rules") { _, output in
            let text = String(decoding: output, as: UTF8.self)
            var problems: [String] = []
            if output.starts(with: [0xEF, 0xBB, 0xBF]) { problems.append("BOM") }
            if output.contains(0x0D) { problems.append("CR") }
            if output.last != 0x0A { problems.append("no final newline") }
            if text.contains(" \n") { problems.append("trailing whitespace") }
            if text.hasSuffix("\n\n") && !text.contains("|+") { problems.append("several final newlines") }
            if text.hasPrefix("\n") { problems.append("leading blank line") }
            if text.contains("---") && text.hasPrefix("---") { problems.append("document marker") }
            return problems.isEmpty ? nil : problems.joined(separator: ", ")
        }
    }

    func testOutputReadsTheSameUnderYAML11() throws {
        let files = Self.cases.compactMap { c -> (name: String, yaml: [UInt8], data: JSONValue)? in
            guard let output = c.output else { return nil }
            return ("seed-\(c.seed)", output, c.spec.data)
        }
        guard let mismatches = try PyYAMLCrossCheck.mismatches(files) else {
            throw XCTSkip("python3 with PyYAML is not installed; YAML 1.1 cross-check skipped")
        }
        XCTAssertEqual(mismatches.count, 0, "outputs PyYAML reads differently:\n" + mismatches.prefix(5).joined(separator: "\n"))
    }

    /// The cross-check can fail: a plain `yes` is `true` to PyYAML but a string to specsync.
    func testYAML11CrossCheckDetectsADifference() throws {
        let ambiguous = Array("answer: yes\n".utf8)
        guard case .success(let data) = parseData(ambiguous) else { return XCTFail("could not read \(ambiguous)") }
        guard let mismatches = try PyYAMLCrossCheck.mismatches([("ambiguous", ambiguous, data)]) else {
            throw XCTSkip("python3 with PyYAML is not installed; YAML 1.1 cross-check skipped")
        }
        XCTAssertEqual(mismatches.count, 1)
    }
}
