import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema

final class SchemaJSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONValue.parse(json: Array(text.utf8))
    }

    private func parseError(_ text: String, maxDepth: Int = 256, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        parseError(bytes: Array(text.utf8), maxDepth: maxDepth, file: file, line: line)
    }

    private func parseError(bytes: [UInt8], maxDepth: Int = 256, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        do {
            let value = try JSONValue.parse(json: bytes, maxDepth: maxDepth)
            XCTFail("parsed as \(value) but should fail", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    func testKeepsObjectKeyOrderAndValueKinds() throws {
        let value = try parse(#"{"zeta": 1, "alpha": [true, false, null, 1.5, -0, "x"], "mid": {}}"#)
        guard case .object(let object) = value else { return XCTFail("not an object: \(value)") }
        XCTAssertEqual(object.keys, ["zeta", "alpha", "mid"])
        XCTAssertEqual(object["zeta"], .integer(1))
        XCTAssertEqual(object["alpha"], .array([.bool(true), .bool(false), .null, .number(1.5), .integer(0), .string("x")]))
        XCTAssertEqual(object["mid"], .object(JSONObject()))
    }

    func testNumbers() throws {
        XCTAssertEqual(try parse("1e3"), .number(1000))
        XCTAssertEqual(try parse("-12"), .integer(-12))
        XCTAssertEqual(try parse("2.50E-1"), .number(0.25))
        XCTAssertEqual(try parse("9223372036854775807"), .integer(Int.max))
        // Beyond Int: kept as a double rather than rejected.
        XCTAssertEqual(try parse("99999999999999999999"), .number(1e20))
        for bad in ["01", "1.", "-", "1e", "1.e3", "0x10", "1x"] {
            guard let error = parseError(bad) else { continue }
            guard case .invalidNumber = error.reason else {
                XCTFail("\(bad): \(error)")
                continue
            }
            XCTAssertEqual(error.position.column, 1, bad)
        }
        XCTAssertEqual(parseError("[1e999]")?.reason, .numberOutOfRange("1e999"))
        XCTAssertEqual(parseError("[1e999]")?.position.column, 2)
    }

    func testStringEscapes() throws {
        XCTAssertEqual(try parse(#""a\"b\\c\/d\b\f\n\r\t""#), .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u00e9\ud83d\ude00""#), .string("é😀"))
        XCTAssertEqual(try parse(#""plain é""#), .string("plain é"))
        XCTAssertEqual(parseError(#""\ud83d x""#)?.reason, .unpairedSurrogate)
        XCTAssertEqual(parseError(#""\ude00""#)?.reason, .unpairedSurrogate)
        XCTAssertEqual(parseError(#""\u12G4""#)?.reason, .invalidUnicodeEscape("12G4"))
        XCTAssertEqual(parseError(#""\x41""#)?.reason, .invalidEscape("x"))
        XCTAssertEqual(parseError("\"tab\there\"")?.reason, .controlCharacterInString)
        XCTAssertEqual(parseError("\"open")?.reason, .unexpectedEnd(expected: "the closing '\"' of the string"))
    }

    func testPositionsOfNodesCountUnicodeScalars() throws {
        let text = "{\n  \"é😀\": [1,\n    \"x\"],\r\n  \"b\": true\n}"
        let root = try Node.parse(json: Array(text.utf8))
        XCTAssertEqual(root.start, SourcePosition(line: 1, column: 1, offset: 0))
        guard let entries = root.mappingEntries, entries.count == 2 else { return XCTFail("\(root)") }
        XCTAssertEqual(entries[0].key.start.line, 2)
        XCTAssertEqual(entries[0].key.start.column, 3)
        // `"é😀": ` is 6 scalars wide but 10 bytes: columns count scalars.
        XCTAssertEqual(entries[0].value.start.column, 9)
        XCTAssertEqual(entries[0].value.start.offset, 14)
        guard case .sequence(let items) = entries[0].value.kind else { return XCTFail() }
        XCTAssertEqual(items[1].start.line, 3)
        XCTAssertEqual(items[1].start.column, 5)
        XCTAssertEqual(entries[1].key.start.line, 4, "CRLF counts as one line break")
        XCTAssertEqual(entries[1].value.start.column, 8)
        guard case .scalar(let scalar) = entries[1].value.kind else { return XCTFail() }
        XCTAssertEqual(scalar.style, .plain)
        XCTAssertEqual(scalar.value, .bool(true))
        guard case .scalar(let key) = entries[0].key.kind else { return XCTFail() }
        XCTAssertEqual(key.style, .doubleQuoted)
    }

    func testDuplicateKeyIsReportedAtTheSecondOccurrence() {
        let error = parseError("{\"a\": 1,\n \"b\": {\"a\": 2},\n \"a\": 3}")
        XCTAssertEqual(error?.reason, .duplicateKey("a"))
        XCTAssertEqual(error?.position.line, 3)
        XCTAssertEqual(error?.position.column, 2)
        XCTAssertEqual(error?.description, "line 3, column 2: duplicate key \"a\"; each key may appear once per object")
    }

    func testSyntaxErrorsSayWhereAndWhat() {
        let cases: [(String, Int, Int, JSONParseError.Reason)] = [
            ("", 1, 1, .empty),
            ("  \n ", 2, 2, .empty),
            ("{\"a\" 1}", 1, 6, .unexpectedCharacter(found: "'1'", expected: "':' after the key")),
            ("{\"a\": 1,}", 1, 9, .unexpectedCharacter(found: "'}'", expected: "a key in double quotes")),
            ("[1 2]", 1, 4, .unexpectedCharacter(found: "'2'", expected: "',' or ']'")),
            ("{'a': 1}", 1, 2, .unexpectedCharacter(found: "\"'\"", expected: "a key in double quotes")),
            ("[1,\n  tru]", 2, 6, .unexpectedCharacter(found: "']'", expected: "true")),
            ("{} {}", 1, 4, .trailingContent),
            ("[\n", 2, 1, .unexpectedEnd(expected: "a value")),
            ("{\"a\": [1}", 1, 9, .unexpectedCharacter(found: "'}'", expected: "',' or ']'")),
        ]
        for (text, line, column, reason) in cases {
            guard let error = parseError(text) else { continue }
            XCTAssertEqual(error.reason, reason, text.debugDescription)
            XCTAssertEqual(error.position.line, line, text.debugDescription)
            XCTAssertEqual(error.position.column, column, text.debugDescription)
        }
    }

    func testNestingDepthIsBounded() throws {
        XCTAssertNoThrow(try JSONValue.parse(json: Array((String(repeating: "[", count: 10) + String(repeating: "]", count: 10)).utf8), maxDepth: 10))
        let error = parseError(String(repeating: "[", count: 11) + String(repeating: "]", count: 11), maxDepth: 10)
        XCTAssertEqual(error?.reason, .tooDeep(limit: 10))
        XCTAssertEqual(error?.position.column, 11)
        // Far beyond the default: an error, not a stack overflow.
        XCTAssertEqual(parseError(String(repeating: "{\"a\":", count: 100_000))?.reason, .tooDeep(limit: 256))
    }

    func testInvalidUTF8IsRejectedWithItsPosition() {
        let error = parseError(bytes: Array("{\"a\":\n  \"x".utf8) + [0xC3, 0x28] + Array("\"}".utf8))
        XCTAssertEqual(error?.reason, .invalidUTF8)
        XCTAssertEqual(error?.position.line, 2)
        XCTAssertEqual(error?.position.column, 5)
        // Overlong encoding and an encoded surrogate are not UTF-8 either.
        XCTAssertEqual(parseError(bytes: [0x22, 0xC0, 0xAF, 0x22])?.reason, .invalidUTF8)
        XCTAssertEqual(parseError(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22])?.reason, .invalidUTF8)
    }

    func testByteOrderMarkIsSkipped() throws {
        XCTAssertEqual(try JSONValue.parse(json: [0xEF, 0xBB, 0xBF] + Array("[1]".utf8)), .array([.integer(1)]))
    }
}
