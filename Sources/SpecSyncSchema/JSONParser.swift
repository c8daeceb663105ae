import SpecSyncCore

// A small strict JSON (RFC 8259) reader that keeps object key order and source positions.
// Used to load JSON Schemas (whose `properties` order drives canonical key order) and, in tests,
// to build positioned documents without the YAML parser.

/// Why a JSON text could not be read, and where.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        case empty
        case invalidUTF8
        case unexpectedEnd(expected: String)
        case unexpectedCharacter(found: String, expected: String)
        case invalidEscape(String)
        case invalidUnicodeEscape(String)
        case unpairedSurrogate
        case controlCharacterInString
        case invalidNumber(String)
        case numberOutOfRange(String)
        case duplicateKey(String)
        case tooDeep(limit: Int)
        case trailingContent
    }

    public var reason: Reason
    public var position: SourcePosition

    public init(_ reason: Reason, at position: SourcePosition) {
        self.reason = reason
        self.position = position
    }

    public var description: String {
        "line \(position.line), column \(position.column): \(reasonText)"
    }

    var reasonText: String {
        switch reason {
        case .empty: return "the input is empty; a JSON document needs one value, e.g. {}"
        case .invalidUTF8: return "invalid UTF-8 byte; save the file as UTF-8"
        case .unexpectedEnd(let expected): return "the input ends early; expected \(expected)"
        case .unexpectedCharacter(let found, let expected): return "unexpected \(found); expected \(expected)"
        case .invalidEscape(let e): return "invalid escape \\\(e) in string; valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"
        case .invalidUnicodeEscape(let e): return "invalid \\u escape \"\\u\(e)\"; write exactly four hex digits"
        case .unpairedSurrogate: return "a \\u escape is half of a surrogate pair; write both halves (\\uD83D\\uDE00) or the character itself"
        case .controlCharacterInString: return "raw control character in string; escape it (\\n, \\t, \\u0000)"
        case .invalidNumber(let n): return "invalid number \(n); JSON numbers look like -12, 0.5 or 1e3"
        case .numberOutOfRange(let n): return "number \(n) is too large to represent"
        case .duplicateKey(let k): return "duplicate key \"\(k)\"; each key may appear once per object"
        case .tooDeep(let limit): return "nesting deeper than \(limit) levels"
        case .trailingContent: return "unexpected content after the JSON value; a document holds exactly one value"
        }
    }
}

extension JSONValue {
    /// Reads one JSON value. Object key order is kept; duplicate keys, invalid UTF-8 and nesting beyond
    /// `maxDepth` are errors. A leading UTF-8 byte order mark is skipped.
    public static func parse(json bytes: [UInt8], maxDepth: Int = 256) throws(JSONParseError) -> JSONValue {
        try Node.parse(json: bytes, maxDepth: maxDepth).json
    }
}

extension Node {
    /// Reads one JSON value into a positioned `Node` (JSON is YAML 1.2): strings are double-quoted scalars,
    /// numbers, booleans and null are plain scalars whose `text` is the literal as written.
    public static func parse(json bytes: [UInt8], maxDepth: Int = 256) throws(JSONParseError) -> Node {
        var parser = JSONReader(bytes: bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0
    var line = 1
    var lineStart = 0
    // Column cache: positions are requested in increasing order, so counting resumes where it stopped.
    var cachedOffset = 0
    var cachedColumn = 1

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> Node {
        if let bad = firstInvalidUTF8(bytes) {
            throw JSONParseError(.invalidUTF8, at: absolutePosition(of: bad))
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            index = 3
            lineStart = 3
            cachedOffset = 3
        }
        skipWhitespace()
        guard index < bytes.count else {
            throw JSONParseError(.empty, at: position(index))
        }
        let value = try parseValue(depth: 1)
        skipWhitespace()
        if index < bytes.count {
            throw JSONParseError(.trailingContent, at: position(index))
        }
        return value
    }

    // MARK: Positions

    /// Position of `offset`, which must lie on the current line at or after the last requested position.
    mutating func position(_ offset: Int) -> SourcePosition {
        if cachedOffset < lineStart || cachedOffset > offset {
            cachedOffset = lineStart
            cachedColumn = 1
        }
        var column = cachedColumn
        var i = cachedOffset
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        cachedOffset = offset
        cachedColumn = column
        return SourcePosition(line: line, column: column, offset: offset)
    }

    /// Position of any offset, counted from the start (only used for errors found before scanning).
    func absolutePosition(of offset: Int) -> SourcePosition {
        var line = 1, column = 1, i = 0
        while i < offset {
            let b = bytes[i]
            if b == 0x0A || (b == 0x0D && (i + 1 >= bytes.count || bytes[i + 1] != 0x0A)) {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 && b != 0x0D {
                column += 1
            }
            i += 1
        }
        return SourcePosition(line: line, column: column, offset: offset)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09:
                index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            case 0x0D:
                index += 1
                if index < bytes.count && bytes[index] == 0x0A { index += 1 }
                line += 1
                lineStart = index
            default:
                return
            }
        }
    }

    func describeByte(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let b = bytes[offset]
        if b == UInt8(ascii: "'") { return "\"'\"" }
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b < 0x80 { return "character U+\(String(b, radix: 16, uppercase: true))" }
        var end = offset + 1
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'\(String(decoding: bytes[offset..<end], as: UTF8.self))'"
    }

    // MARK: Values

    mutating func parseValue(depth: Int) throws(JSONParseError) -> Node {
        guard index < bytes.count else {
            throw JSONParseError(.unexpectedEnd(expected: "a value"), at: position(index))
        }
        let start = position(index)
        switch bytes[index] {
        case UInt8(ascii: "{"):
            return try parseObject(start: start, depth: depth)
        case UInt8(ascii: "["):
            return try parseArray(start: start, depth: depth)
        case UInt8(ascii: "\""):
            let text = try parseString()
            let scalar = Scalar(text: text, style: .doubleQuoted, tag: nil, value: .string(text))
            return Node(kind: .scalar(scalar), start: start, end: position(index))
        case UInt8(ascii: "t"):
            return try parseLiteral("true", .bool(true), start: start)
        case UInt8(ascii: "f"):
            return try parseLiteral("false", .bool(false), start: start)
        case UInt8(ascii: "n"):
            return try parseLiteral("null", .null, start: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber(start: start)
        default:
            throw JSONParseError(.unexpectedCharacter(found: describeByte(at: index), expected: "a value"), at: start)
        }
    }

    mutating func parseLiteral(_ word: String, _ value: JSONValue, start: SourcePosition) throws(JSONParseError) -> Node {
        for expected in word.utf8 {
            guard index < bytes.count, bytes[index] == expected else {
                throw JSONParseError(.unexpectedCharacter(found: describeByte(at: index), expected: "\(word)"), at: position(index))
            }
            index += 1
        }
        let scalar = Scalar(text: word, style: .plain, tag: nil, value: value)
        return Node(kind: .scalar(scalar), start: start, end: position(index))
    }

    mutating func parseObject(start: SourcePosition, depth: Int) throws(JSONParseError) -> Node {
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: start) }
        index += 1
        var entries: [Entry] = []
        var seen = Set<String>()
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return Node(kind: .mapping(entries), start: start, end: position(index))
        }
        while true {
            skipWhitespace()
            guard index < bytes.count else {
                throw JSONParseError(.unexpectedEnd(expected: "a key in double quotes"), at: position(index))
            }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw JSONParseError(.unexpectedCharacter(found: describeByte(at: index), expected: "a key in double quotes"), at: position(index))
            }
            let keyStart = position(index)
            let key = try parseString()
            guard seen.insert(key).inserted else {
                throw JSONParseError(.duplicateKey(key), at: keyStart)
            }
            let keyNode = Node(kind: .scalar(Scalar(text: key, style: .doubleQuoted, tag: nil, value: .string(key))),
                               start: keyStart, end: position(index))
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after the key")
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            entries.append(Entry(key: keyNode, value: value))
            skipWhitespace()
            guard index < bytes.count else {
                throw JSONParseError(.unexpectedEnd(expected: "',' or '}'"), at: position(index))
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return Node(kind: .mapping(entries), start: start, end: position(index))
            }
            throw JSONParseError(.unexpectedCharacter(found: describeByte(at: index), expected: "',' or '}'"), at: position(index))
        }
    }

    mutating func parseArray(start: SourcePosition, depth: Int) throws(JSONParseError) -> Node {
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: start) }
        index += 1
        var items: [Node] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return Node(kind: .sequence(items), start: start, end: position(index))
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else {
                throw JSONParseError(.unexpectedEnd(expected: "',' or ']'"), at: position(index))
            }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return Node(kind: .sequence(items), start: start, end: position(index))
            }
            throw JSONParseError(.unexpectedCharacter(found: describeByte(at: index), expected: "',' or ']'"), at: position(index))
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard index < bytes.count else {
            throw JSONParseError(.unexpectedEnd(expected: what), at: position(index))
        }
        guard bytes[index] == byte else {
            throw JSONParseError(.unexpectedCharacter(found: describeByte(at: index), expected: what), at: position(index))
        }
        index += 1
    }

    /// Reads a string starting at the opening quote; leaves `index` after the closing quote.
    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let contentStart = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[contentStart..<index], as: UTF8.self)
                index += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw JSONParseError(.controlCharacterInString, at: position(index)) }
            index += 1
        }
        var buffer = Array(bytes[contentStart..<index])
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if b < 0x20 { throw JSONParseError(.controlCharacterInString, at: position(index)) }
            if b != UInt8(ascii: "\\") {
                buffer.append(b)
                index += 1
                continue
            }
            let escapeStart = index
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var code = try readHex4(escapeStart: escapeStart)
                if code >= 0xD800 && code < 0xDC00 {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw JSONParseError(.unpairedSurrogate, at: position(escapeStart))
                    }
                    index += 2
                    let low = try readHex4(escapeStart: escapeStart)
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw JSONParseError(.unpairedSurrogate, at: position(escapeStart))
                    }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if code >= 0xDC00 && code < 0xE000 {
                    throw JSONParseError(.unpairedSurrogate, at: position(escapeStart))
                }
                guard let scalar = Unicode.Scalar(code) else {
                    throw JSONParseError(.unpairedSurrogate, at: position(escapeStart))
                }
                buffer.append(contentsOf: String(Character(scalar)).utf8)
            default:
                index -= 1
                throw JSONParseError(.invalidEscape(describeByte(at: index).trimmingQuotes), at: position(escapeStart))
            }
        }
        throw JSONParseError(.unexpectedEnd(expected: "the closing '\"' of the string"), at: position(index))
    }

    mutating func readHex4(escapeStart: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 {
            guard index < bytes.count, let digit = hexValue(bytes[index]) else {
                let end = min(bytes.count, index + (4 - k))
                let shown = String(decoding: bytes[(index - k)..<end], as: UTF8.self)
                throw JSONParseError(.invalidUnicodeEscape(shown), at: position(escapeStart))
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func parseNumber(start: SourcePosition) throws(JSONParseError) -> Node {
        let begin = index
        var isInteger = true
        func digit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        // Integer part: 0 or [1-9][0-9]*
        if index < bytes.count && bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if index < bytes.count && digit(bytes[index]) {
            while index < bytes.count && digit(bytes[index]) { index += 1 }
        } else {
            throw invalidNumber(from: begin)
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count && digit(bytes[index]) else { throw invalidNumber(from: begin) }
            while index < bytes.count && digit(bytes[index]) { index += 1 }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            isInteger = false
            index += 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) { index += 1 }
            guard index < bytes.count && digit(bytes[index]) else { throw invalidNumber(from: begin) }
            while index < bytes.count && digit(bytes[index]) { index += 1 }
        }
        // A number runs into letters or digits only when it is malformed ("01", "1x").
        if index < bytes.count, digit(bytes[index]) || isASCIILetter(bytes[index]) {
            throw invalidNumber(from: begin)
        }
        let text = String(decoding: bytes[begin..<index], as: UTF8.self)
        let value: JSONValue
        if isInteger, let int = Int(text) {
            value = .integer(int)
        } else if let double = Double(text), double.isFinite {
            value = .number(double)
        } else {
            throw JSONParseError(.numberOutOfRange(text), at: start)
        }
        let scalar = Scalar(text: text, style: .plain, tag: nil, value: value)
        return Node(kind: .scalar(scalar), start: start, end: position(index))
    }

    mutating func invalidNumber(from begin: Int) -> JSONParseError {
        var end = index
        while end < bytes.count, end - begin < 24, !isJSONDelimiter(bytes[end]) { end += 1 }
        let text = String(decoding: bytes[begin..<max(end, begin + 1)], as: UTF8.self)
        return JSONParseError(.invalidNumber(text), at: position(begin))
    }
}

private func isASCIILetter(_ b: UInt8) -> Bool {
    (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
}

private func isJSONDelimiter(_ b: UInt8) -> Bool {
    switch b {
    case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ":"): return true
    default: return false
    }
}

private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
}

private extension String {
    var trimmingQuotes: String {
        guard count >= 2, first == "'", last == "'" else { return self }
        return String(dropFirst().dropLast())
    }
}

/// Offset of the first byte that is not part of well-formed UTF-8 (no overlongs, no surrogates), or nil.
func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var i = 0
    let n = bytes.count
    while i < n {
        let b0 = bytes[i]
        if b0 < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var lowerBound: UInt8 = 0x80
        var upperBound: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerBound = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperBound = 0x9F
        case 0xF0: length = 4; lowerBound = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperBound = 0x8F
        default: return i
        }
        guard i + length <= n else { return i }
        let b1 = bytes[i + 1]
        guard b1 >= lowerBound && b1 <= upperBound else { return i }
        for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 {
            return i
        }
        i += length
    }
    return nil
}
