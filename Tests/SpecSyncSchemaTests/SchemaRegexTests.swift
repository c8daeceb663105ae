import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

final class SchemaRegexTests: XCTestCase {
    private func assertMatches(_ pattern: String, _ cases: [(String, Bool)], file: StaticString = #filePath, line: UInt = #line) {
        do {
            let regex = try ECMARegex(pattern)
            for (input, expected) in cases {
                XCTAssertEqual(regex.matches(input), expected, "/\(pattern)/ on \(input.debugDescription)", file: file, line: line)
            }
        } catch {
            XCTFail("/\(pattern)/ does not compile: \(error.message)", file: file, line: line)
        }
    }

    private func assertRejected(_ pattern: String, _ messagePart: String, at offset: Int? = nil, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try ECMARegex(pattern)
            XCTFail("/\(pattern)/ compiled but should be rejected", file: file, line: line)
        } catch {
            XCTAssertTrue(error.message.contains(messagePart), "/\(pattern)/: \(error.message)", file: file, line: line)
            if let offset { XCTAssertEqual(error.offset, offset, "/\(pattern)/", file: file, line: line) }
        }
    }

    func testTaskSpecPatterns() {
        assertMatches("^[A-Za-z0-9_-]{1,64}$", [
            ("TAND-012", true), ("a_b", true), ("", false), ("TAND 12", false), ("TAND-12\n", false),
            (String(repeating: "x", count: 64), true), (String(repeating: "x", count: 65), false), ("é", false),
        ])
        assertMatches("^[a-z0-9]+(-[a-z0-9]+)*$", [
            ("csv-export", true), ("pdf", true), ("a-b-c9", true), ("csv--export", false), ("-csv", false),
            ("csv-", false), ("PDF-render", false), ("pdf_render", false),
        ])
        assertMatches("^[0-9a-f]{8}$", [("5d41402a", true), ("5D41402A", false), ("5d41402", false), ("5d41402a0", false)])
    }

    /// Where the run matcher takes a pattern, it answers as the NFA does; a pattern a greedy pass
    /// could get wrong (overlapping runs, an optional run before another, groups, no anchors) is left
    /// to the NFA.
    func testRunMatcherAgreesWithTheNFA() throws {
        let taken = ["^[A-Za-z0-9_-]{1,64}$", "^ac-[0-9]+$", "^[0-9a-f]{8}$", "^a*b$", "^[a-c]{2,3}[d-f]$", "^$",
                     "^x{0}y?$", "^[^a]*a$", "^é+[0-9]{2,}$", "^[a-c]+?d$"]
        let refused = ["^[a-z]+[a-f]$", "^a?a$", "^a*b?c$", "^[a-z0-9]+(-[a-z0-9]+)*$", "^(?:ab)+$", "a+$",
                       "^a|b$", "^a+", "^\\bab$", "^.*b$"]
        for pattern in taken { XCTAssertNotNil(try ECMARegex(pattern).runs, pattern) }
        for pattern in refused { XCTAssertNil(try ECMARegex(pattern).runs, pattern) }
        let alphabet = Array("abcdefxy019-_éA \n")
        let crafted = ["", "ac-1", "ac-", "ac-12x", "abcdef01", "abcf", "aab", "b", "ccd", "abcd", "éé12", "é1", "aa", "d"]
        var random = SeededRandom(seed: 11)
        for pattern in taken + refused {
            let regex = try ECMARegex(pattern)
            let texts = crafted + (0..<3000).map { _ in
                String((0..<Int(random.next() % 12)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            }
            for text in texts where regex.matches(text) != regex.simulate(text) {
                XCTFail("/\(pattern)/ on \(text.debugDescription): run matcher \(regex.matches(text)), NFA \(regex.simulate(text))")
            }
        }
    }

    func testSearchIsUnanchoredUnlessThePatternAnchors() {
        assertMatches("b", [("abc", true), ("ac", false), ("", false)])
        assertMatches("^b", [("abc", false), ("bc", true)])
        assertMatches("c$", [("abc", true), ("abcd", false)])
        assertMatches("", [("", true), ("anything", true)])
        assertMatches("^$", [("", true), ("x", false)])
        assertMatches("a|^b", [("xb", false), ("xa", true), ("b", true)])
    }

    func testDotClassesAndEscapes() {
        // `.` is one code point (u flag) but not a line terminator.
        assertMatches("^.$", [("é", true), ("😀", true), ("\n", false), ("\r", false), ("\u{2028}", false), ("ab", false)])
        assertMatches("\\d+", [("x12", true), ("x", false), ("٣", false)])
        assertMatches("^\\D*$", [("abc", true), ("ab1", false)])
        assertMatches("^\\w+$", [("snake_case9", true), ("kebab-case", false), ("é", false)])
        assertMatches("^\\W$", [("-", true), ("a", false)])
        assertMatches("^\\s\\S$", [("\u{00A0}x", true), ("\u{FEFF}x", true), ("\tx", true), ("x ", false)])
        assertMatches("^[^a-c]+$", [("xyz", true), ("xaz", false), ("\n", true)])
        assertMatches("^[\\d-]+$", [("12-3", true), ("12a", false)])
        assertMatches("^[-a]+$", [("-a-", true), ("b", false)])
        assertMatches("^[\\w.]+@[\\w.]+$", [("a.b@c.d", true), ("a b@c", false)])
        assertMatches("^[]$", [("", false), ("a", false)])
        assertMatches("^[^]$", [("\n", true), ("a", true), ("", false)])
        assertMatches("^\\x41\\u0042\\u{1F600}\\uD83D\\uDE00\\t\\n\\0\\cJ$", [("AB😀😀\t\n\u{0}\n", true), ("AB😀😀\t\n", false)])
        assertMatches("^[\\b]$", [("\u{8}", true), ("b", false)])
        assertMatches("^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/\\^\\$\\\\$", [(".*+?()[]{}|/^$\\", true)])
        assertMatches("^a{$", [("a{", true)])
        assertMatches("^a}$", [("a}", true)])
    }

    func testWordBoundaries() {
        assertMatches("\\bfoo\\b", [("a foo b", true), ("foo", true), ("afoob", false), ("foo_", false)])
        assertMatches("\\Bfoo", [("afoo", true), ("a foo", false)])
    }

    /// Counted repeats compile their body once and copy it with its jumps moved: bodies with
    /// alternations, loops and counted repeats of their own, checked against every string up to a length.
    func testCopiedRepeatBodiesKeepTheirJumps() {
        func all(upTo n: Int, over alphabet: [String]) -> [String] {
            var out = [""], layer = [""]
            for _ in 0..<n { layer = layer.flatMap { p in alphabet.map { p + $0 } }; out += layer }
            return out
        }
        let inputs = all(upTo: 6, over: ["a", "b", "c"])
        // Each pattern with a reference: a predicate written by hand.
        let cases: [(String, (String) -> Bool)] = [
            ("^(a|bc){2,3}$", { s in
                func parts(_ t: Substring) -> [Int] {  // how many `a`/`bc` pieces t splits into
                    if t.isEmpty { return [0] }
                    var out: [Int] = []
                    if t.hasPrefix("a") { out += parts(t.dropFirst()).map { $0 + 1 } }
                    if t.hasPrefix("bc") { out += parts(t.dropFirst(2)).map { $0 + 1 } }
                    return out
                }
                return parts(Substring(s)).contains { (2...3).contains($0) }
            }),
            ("^(ab*){1,2}c?$", { s in
                var t = Substring(s)
                if t.hasSuffix("c") { t = t.dropLast() }
                let pieces = t.split(separator: "a", omittingEmptySubsequences: false)
                guard t.hasPrefix("a"), pieces.dropFirst().allSatisfy({ $0.allSatisfy { $0 == "b" } }) else { return false }
                return (1...2).contains(pieces.count - 1)
            }),
            ("^((a|b){2}c){1,2}$", { s in
                let chunks = s.split(separator: "c", omittingEmptySubsequences: false)
                guard s.hasSuffix("c"), chunks.last == "" else { return false }
                let body = chunks.dropLast()
                return (1...2).contains(body.count) && body.allSatisfy { $0.count == 2 && !$0.contains("c") }
            }),
        ]
        for (pattern, reference) in cases {
            assertMatches(pattern, inputs.map { ($0, reference($0)) })
        }
    }

    func testQuantifiersAndGroups() {
        assertMatches("^a{2,3}$", [("a", false), ("aa", true), ("aaa", true), ("aaaa", false)])
        assertMatches("^a{2}$", [("aa", true), ("aaa", false)])
        assertMatches("^a{2,}$", [("a", false), ("aaaaa", true)])
        assertMatches("^a+?b*?c??$", [("aaa", true), ("abbc", true), ("bc", false)])
        assertMatches("^(cat|dog)s?$", [("dogs", true), ("cat", true), ("cow", false), ("cats!", false)])
        assertMatches("^(?:ab)+$", [("abab", true), ("aba", false)])
        assertMatches("^(?<year>\\d{4})-(?<month>\\d{2})$", [("2025-03", true), ("25-03", false)])
        assertMatches("^(a*)*$", [("aaa", true), ("aab", false)])
        assertMatches("^(|a)+$", [("", true), ("aa", true), ("b", false)])
    }

    func testNoCatastrophicBacktracking() {
        // A backtracking matcher needs 2^40 steps for this; the NFA simulation is linear.
        let input = String(repeating: "a", count: 40) + "!"
        assertMatches("^(a+)+$", [(input, false)])
        assertMatches("^(a|aa)*$", [(input, false), (String(repeating: "a", count: 40), true)])
        assertMatches("^(\\w+\\s?)*$", [(String(repeating: "word ", count: 20) + "!", false)])
    }

    func testUnsupportedOrInvalidPatternsAreRejected() {
        assertRejected("(?=a)", "lookahead", at: 0)
        assertRejected("x(?!a)", "lookahead", at: 1)
        assertRejected("(?<=a)b", "lookbehind", at: 0)
        assertRejected("(?<!a)b", "lookbehind", at: 0)
        assertRejected("(a)\\1", "backreferences", at: 3)
        assertRejected("(?<n>a)\\k<n>", "named backreferences", at: 7)
        assertRejected("\\p{L}", "property escapes", at: 0)
        assertRejected("[\\P{L}]", "property escapes", at: 1)
        assertRejected("^a\\z", "not ECMA-262", at: 2)
        assertRejected("\\q", "unknown escape \\q", at: 0)
        assertRejected("[z-a]", "out of order", at: 1)
        assertRejected("[\\d-z]", "range end", at: 1)
        assertRejected("a{3,2}", "out of order", at: 1)
        assertRejected("a{1001}", "larger than 1000", at: 2)
        assertRejected("*a", "nothing to repeat", at: 0)
        assertRejected("a**", "two quantifiers", at: 2)
        assertRejected("^*", "cannot be repeated", at: 1)
        assertRejected("{2}", "nothing to repeat", at: 0)
        assertRejected("(a", "missing ')'", at: 0)
        assertRejected("a)", "unmatched ')'", at: 1)
        assertRejected("[a", "missing ']'", at: 0)
        assertRejected("a\\", "lone backslash", at: 1)
        assertRejected("\\x4", "hex", at: 0)
        assertRejected("\\u{110000}", "beyond U+10FFFF", at: 0)
        assertRejected("\\c1", "\\c must be followed by a letter", at: 0)
        assertRejected("(?x)", "invalid group", at: 0)
        assertRejected("\\01", "octal", at: 0)
        assertRejected("(a{1000}){1000}", "too large")
    }
}
