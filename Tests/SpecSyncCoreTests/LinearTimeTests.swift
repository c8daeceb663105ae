// Every pass over a mapping or sequence is linear: the worst shapes found within 1 MiB (the default
// limits are lower now — 256 KiB, 50,000 nodes, 100 diagnostics — but a project may raise them) (100k keys in one mapping, a one-line flow collection of non-ASCII items, 200k duplicate keys,
// 100k unknown keys, comments on every line). Quadratic passes showed as 19.6 s and 170 s here.
// Checked by scaling, not by a benchmark: eight times the input must cost well under the 64 times a
// quadratic pass would (best of two runs, so a busy machine does not decide).
import Foundation
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

final class LinearTimeTests: XCTestCase {
    /// Linear is 8; quadratic is 64. Generous for noise.
    static let maxRatio = 16.0
    /// Limits raised so that every pass sees the whole input (the defaults stop at 50,000 nodes and
    /// 100 diagnostics, which would hide a quadratic pass behind them).
    static let raised = ParseLimits(maxBytes: 4 << 20, maxNodes: .max, maxDiagnostics: .max)

    static let shapes: [(name: String, make: @Sendable (Int) -> String)] = [
        ("keys in one block mapping", { n in "id: X-1\ntitle: T\n" + (0..<n).map { "k\($0): 1\n" }.joined() }),
        ("non-ASCII flow mapping on one line", { n in "id: X-1\ntitle: T\nx: {" + (0..<n).map { "é\($0): 1, " }.joined() + "z: 1}\n" }),
        ("non-ASCII flow sequence on one line", { n in "id: X-1\ntitle: T\nx: [" + String(repeating: "é, ", count: n) + "z]\n" }),
        ("duplicate keys", { n in "id: X-1\n" + String(repeating: "a: 1\n", count: n) }),
        ("long unknown keys", { n in "id: X-1\ntitle: T\n" + (0..<n).map { "key-\($0)-\(String(repeating: "q", count: 40)): 1\n" }.joined() }),
        ("comments on every line", { n in "id: X-1\ntitle: T\n" + (0..<n).map { "# c\nk\($0): 1  # e\n" }.joined() }),
        ("schema errors in a long list", { n in "id: X-1\ntitle: T\nacceptance_criteria:\n" + (0..<n).map { "  - c\($0)\n" }.joined() }),
    ]

    private func cost(_ processor: SpecProcessor, _ text: String) -> TimeInterval {
        let bytes = Array(text.utf8)
        var best = TimeInterval.infinity
        for _ in 0..<2 {
            let start = Date()
            _ = processor.analyze(bytes)
            best = min(best, Date().timeIntervalSince(start))
        }
        return best
    }

    func testEveryShapeScalesLinearly() throws {
        let processor = SpecProcessor(validator: try shippedSchema(), limits: Self.raised)
        for shape in Self.shapes {
            // The larger input is about 256 KB: big enough that a quadratic pass dominates.
            let unit = Array(shape.make(1000).utf8).count / 1000
            let n = max(1, 32 * 1024 / unit)
            let small = cost(processor, shape.make(n))
            let large = cost(processor, shape.make(8 * n))
            XCTAssertLessThanOrEqual(Array(shape.make(8 * n).utf8).count, 1 << 20)
            let ratio = large / max(small, 0.0005)
            print("linear: \(shape.name): \(n) → \(8 * n) items, \(String(format: "%.1f", small * 1000)) ms → \(String(format: "%.1f", large * 1000)) ms (×\(String(format: "%.1f", ratio)))")
            XCTAssertLessThan(ratio, Self.maxRatio, "\(shape.name): 8× the input cost \(ratio)× the time — a quadratic pass?")
        }
    }

    /// Nesting within the depth limit: the same number of nodes in chains 8 times deeper must not cost
    /// more per node. Hoisting comments above a nested list's `-` once walked the whole chain below at
    /// every level (7.8 s for 1 MiB of `- [[[…1]]]` at depth 62).
    func testDeepNestingCostsTheSamePerNode() throws {
        let processor = SpecProcessor(validator: try shippedSchema(), limits: Self.raised)
        func chains(depth: Int) -> String {
            let item = "- " + String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth) + "\n"
            return "id: X-1\ntitle: T\nx:\n" + String(repeating: item, count: 96_000 / depth)
        }
        let shallow = cost(processor, chains(depth: 7))
        let deep = cost(processor, chains(depth: 56))
        let ratio = deep / max(shallow, 0.0005)
        print("linear: nesting depth 7 → 56, same node count: \(String(format: "%.1f", shallow * 1000)) ms → \(String(format: "%.1f", deep * 1000)) ms (×\(String(format: "%.1f", ratio)))")
        XCTAssertLessThan(ratio, 3, "8× deeper nesting cost \(ratio)× per node — a pass that walks the chain at every level?")
    }

    /// The "did you mean" hint is only computed for names of similar length: 4,000 keys of 200
    /// characters against every property name stay cheap.
    func testTypoHintSkipsWordsOfVeryDifferentLength() {
        let names = ["id", "title", "status", "acceptance_criteria"]
        XCTAssertEqual(closestMatch(to: "stauts", in: names), "status")
        XCTAssertEqual(closestMatch(to: "Titel", in: names), "title")
        XCTAssertNil(closestMatch(to: String(repeating: "s", count: 200), in: names))
    }
}
