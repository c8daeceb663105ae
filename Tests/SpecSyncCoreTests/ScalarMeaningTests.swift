// Numbers and keys keep their meaning through `fmt`: an out-of-range float is refused instead of
// becoming .inf or 0, and integer, boolean, null and float keys keep their type.
import XCTest
@testable import SpecSyncCore
import SpecSyncSchema
import SpecSyncSchemaTestSupport

final class ScalarMeaningTests: XCTestCase {
    private func analyze(_ text: String) -> SpecAnalysis {
        SpecProcessor(validator: nil).analyze(Array(text.utf8))
    }

    /// Words YAML 1.1 or 1.2 reads as booleans or nulls are quoted in any case, however short; near
    /// misses stay plain.
    func testReservedWordsAreNeverWrittenPlain() {
        for word in ["y", "Y", "n", "N", "yes", "Yes", "YES", "yEs", "no", "NO", "true", "TRUE", "tRuE", "false",
                     "FaLsE", "on", "ON", "off", "Off", "null", "NULL", "nUlL", "~", ".inf", ".INF", "+.inf",
                     "-.Inf", ".nan", ".NaN"] {
            XCTAssertFalse(ScalarResolver.isPlainSafe(word), word)
        }
        for word in ["ye", "yess", "non", "nul", "nulls", "tru", "fals", "o", "of", "offf", "inf", "x", "id",
                     "title", "trueish", "é", "yés"] {
            XCTAssertTrue(ScalarResolver.isPlainSafe(word), word)
        }
    }

    /// `isPlainSafe` reads long strings eight bytes at a time; on random strings rich in the bytes it
    /// looks for, it agrees with a byte-by-byte reading of its rules.
    func testPlainSafetyAgreesWithAByteByByteReading() {
        func reference(_ text: String) -> Bool {
            let u = Array(text.utf8)
            guard let first = u.first, let last = u.last else { return false }
            if Array(" \t-?:,[]{}#&*!|>'\"%@`<=".utf8).contains(first) || last == 0x20 || last == 0x3A { return false }
            for (i, b) in u.enumerated() {
                if b < 0x20 || b == 0x7F { return false }
                if i > 0, (u[i - 1], b) == (0x3A, 0x20) || (u[i - 1], b) == (0x20, 0x23) { return false }
            }
            if text.unicodeScalars.contains(where: { !ScalarResolver.isPlainPrintable($0) }) { return false }
            let numericish = Set("0123456789abcdefABCDEFxXoO_:.+-TtZz".utf8)
            if ScalarResolver.isDigit(first) || first == 0x2B || first == 0x2E {
                if u.allSatisfy(numericish.contains) { return false }
                if u.count >= 6, u[0..<4].allSatisfy(ScalarResolver.isDigit), u[4] == 0x2D, ScalarResolver.isDigit(u[5]) { return false }
            }
            return !["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", ".inf", "+.inf", "-.inf", ".nan"]
                .contains(text.lowercased())
        }
        var rng = SeededRandom(seed: 11)
        let common: [String] = ["a", "b", "Z", "1", "9", ":", " ", "#", "-", ".", "e", "é", "x", "y", "s", "c", "d", "o"]
        let rare: [String] = ["\t", "\u{7F}", "\u{85}", "\n"]
        func pick() -> String {
            rng.next() % 50 == 0 ? rare[Int(rng.next() % UInt64(rare.count))] : common[Int(rng.next() % UInt64(common.count))]
        }
        var plain = 0
        for _ in 0..<20_000 {
            let length = Int(rng.next() % 40)
            let text = (0..<length).map { _ in pick() }.joined()
            let expected = reference(text)
            XCTAssertEqual(ScalarResolver.isPlainSafe(text), expected, "\(text.debugDescription)")
            if expected { plain += 1 }
        }
        XCTAssertGreaterThan(plain, 1000, "the generator must produce plain-safe strings as well as others")
    }

    func testOutOfRangeFloatsAreRefusedWithTheirPosition() {
        let analysis = analyze("a: 1e400\nb: -1E+999\nc: 1.0e-400\nd: 0x1FFFFFFFFFFFFFFFFFFFF\n")
        XCTAssertEqual(analysis.diagnostics.map { "\($0.line):\($0.column) \($0.pointer)" },
                       ["1:4 /a", "2:4 /b", "3:4 /c", "4:4 /d"])
        XCTAssertTrue(analysis.diagnostics[0].message.contains("number 1e400 is too large for a 64-bit float (it would be read as .inf)"),
                      analysis.diagnostics[0].message)
        XCTAssertTrue(analysis.diagnostics[1].message.contains("read as -.inf"), analysis.diagnostics[1].message)
        XCTAssertTrue(analysis.diagnostics[2].message.contains("too small for a 64-bit float (it would be read as 0)"),
                      analysis.diagnostics[2].message)
        XCTAssertFalse(analysis.isValid, "an invalid file is never rewritten")
    }

    /// The range check comes after the schema settles ambiguous scalars: where it wants a string (a story
    /// hash like 9e999999, written unquoted by yaml.v3) the scalar is text; where it wants a number the
    /// overflow is an error.
    func testRangeIsJudgedAfterTheSchemaSettlesAmbiguousScalars() throws {
        let processor = SpecProcessor(validator: try shippedSchema())
        let hash = processor.analyze(Array("id: T-1\ntitle: T\nuser_story:\n  text: As a user I want x\n  hash: 9e999999\n".utf8))
        XCTAssertEqual(hash.diagnostics, [])
        let minutes = processor.analyze(Array("id: T-1\ntitle: T\nestimated_minutes: 1e400\n".utf8))
        let range = minutes.diagnostics.first { $0.message.contains("number 1e400 is too large for a 64-bit float") }
        XCTAssertEqual(range.map { "\($0.line):\($0.column) \($0.pointer)" }, "3:20 /estimated_minutes", "\(minutes.diagnostics)")
    }

    func testNumbersInRangeAndLiteralsStayValid() {
        let text = "a: 1e300\nb: 0.0\nc: -0e5\nd: .inf\ne: -.Inf\nf: .nan\ng: 123456789012345678901234567890\nh: 4.9e-324\nk: \"1e400\"\n"
        let analysis = analyze(text)
        XCTAssertEqual(analysis.diagnostics, [])
        let canonical = String(decoding: analysis.canonical ?? [], as: UTF8.self)
        XCTAssertTrue(canonical.contains("g: 123456789012345678901234567890\n"), canonical)
        XCTAssertTrue(canonical.contains("k: \"1e400\"\n"), canonical)
    }

    /// Found by the fuzzer: `? # comment` is an empty (null) key; written back as `null:` its text (the
    /// key in the data) changed, and as `""` its type would. It is refused.
    func testEmptyKeyIsRefused() {
        let analysis = analyze("? id\n: T-1\n? # note\n: x\n")
        XCTAssertEqual(analysis.diagnostics.map { "\($0.line):\($0.column)" }, ["3:2"])
        XCTAssertTrue(analysis.diagnostics.first?.message.contains("empty mapping key") == true)
        XCTAssertFalse(analysis.isValid)
    }

    func testNonStringKeysKeepTheirType() throws {
        let analysis = analyze("1: a\ntrue: b\n~: c\n0x1F: d\n\"2\": e\n1.5: f\n'yes': g\n")
        XCTAssertEqual(analysis.diagnostics, [])
        let canonical = String(decoding: try XCTUnwrap(analysis.canonical), as: UTF8.self)
        XCTAssertEqual(canonical, "1: a\ntrue: b\n~: c\n0x1F: d\n\"2\": e\n1.5: f\n\"yes\": g\n")
        XCTAssertEqual(analyze(canonical).document?.root.json, analysis.document?.root.json, "same data")
        // Idempotent: the canonical form reads back with the same key types.
        XCTAssertEqual(analyze(canonical).canonical.map { String(decoding: $0, as: UTF8.self) }, canonical)
    }
}
