// Scalar resolution: what a plain scalar means under the YAML 1.2 core schema (the reading specsync
// validates), and whether a string can be written plain so that YAML 1.1 and 1.2 readers alike read
// it back as the same string.

package enum ScalarResolver {
    /// The YAML 1.2 core-schema value of a plain scalar.
    package static func resolvePlain(_ text: String) -> JSONValue {
        var text = text
        // Native strings are contiguous UTF-8, so this does not copy.
        return text.withUTF8 { resolvePlain(bytes: $0) } ?? .string(text)
    }

    /// A plain scalar YAML 1.2, YAML 1.1 (PyYAML) and Go's yaml.v3 all read as the same non-string:
    /// `true`, `false`, `null`, `~`, the empty scalar, or a decimal integer of at most 18 digits without
    /// sign `+`, leading zero, underscore or `-0`. A document holding no other plain non-string has no
    /// ambiguous scalar (SpecSyncSchema's `ScalarReaders.isAmbiguous` agrees: its tests check these forms).
    package static func readsAlikeEverywhere(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        if u.isEmpty || (u.count == 1 && u[0] == UInt8(ascii: "~")) || isOneOf(u, "true", "false", "null") { return true }
        var digits = u[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        // `0` alone, else no leading zero (octal to YAML 1.1), and no `-0`.
        guard let lead = digits.first, digits.count <= 18,
              lead != UInt8(ascii: "0") || (digits.count == 1 && !negative) else { return false }
        return digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// The core-schema value of a plain scalar given as its UTF-8 bytes, or nil when it is a string.
    /// Works on the bytes in place: most scalars are words, decided by their first byte, and none of
    /// them needs a String (the caller already has one for the text).
    static func resolvePlain(bytes u: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        guard let first = u.first else { return .null }
        switch first {
        case UInt8(ascii: "~"):
            return u.count == 1 ? .null : nil
        case UInt8(ascii: "n"), UInt8(ascii: "N"):
            return isOneOf(u, "null", "Null", "NULL") ? .null : nil
        case UInt8(ascii: "t"), UInt8(ascii: "T"):
            return isOneOf(u, "true", "True", "TRUE") ? .bool(true) : nil
        case UInt8(ascii: "f"), UInt8(ascii: "F"):
            return isOneOf(u, "false", "False", "FALSE") ? .bool(false) : nil
        case UInt8(ascii: "."):
            if isOneOf(u, ".inf", ".Inf", ".INF") { return .number(.infinity) }
            if isOneOf(u, ".nan", ".NaN", ".NAN") { return .number(.nan) }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            if isOneOf(u, ".inf", ".Inf", ".INF", from: 1) {
                return .number(first == UInt8(ascii: "-") ? -.infinity : .infinity)
            }
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            break
        default:
            return nil
        }
        if let i = resolveInteger(u) { return i }
        if isCoreFloat(u), let d = Double(String(decoding: u, as: UTF8.self)) { return .number(d) }
        return nil
    }

    /// Whether the bytes from `from` on are exactly one of the three spellings.
    private static func isOneOf(_ u: UnsafeBufferPointer<UInt8>, _ a: StaticString, _ b: StaticString,
                                _ c: StaticString, from: Int = 0) -> Bool {
        func equal(_ w: StaticString) -> Bool {
            guard u.count - from == w.utf8CodeUnitCount else { return false }
            for k in 0..<w.utf8CodeUnitCount where u[from + k] != w.utf8Start[k] { return false }
            return true
        }
        return equal(a) || equal(b) || equal(c)
    }

    private static func resolveInteger(_ u: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        // 0o17 and 0x1F (no sign in the core schema)
        if u.count > 2, u[0] == UInt8(ascii: "0") {
            let radixMark = u[1]
            let digits = UnsafeBufferPointer(rebasing: u[2...])
            if radixMark == UInt8(ascii: "o"), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }) {
                return Int(String(decoding: digits, as: UTF8.self), radix: 8).map(JSONValue.integer) ?? .number(Double.infinity)
            }
            if radixMark == UInt8(ascii: "x"), digits.allSatisfy(isHexDigit) {
                return Int(String(decoding: digits, as: UTF8.self), radix: 16).map(JSONValue.integer) ?? .number(Double.infinity)
            }
        }
        var start = 0
        if u[0] == UInt8(ascii: "-") || u[0] == UInt8(ascii: "+") { start = 1 }
        guard start < u.count, u[start...].allSatisfy(isDigit) else { return nil }
        if u.count - start <= 18 {
            // Fits in 64 bits whatever the digits: no String needed.
            var value = 0
            for k in start..<u.count { value = value * 10 + Int(u[k] &- 0x30) }
            return .integer(u[0] == UInt8(ascii: "-") ? -value : value)
        }
        let text = String(decoding: u, as: UTF8.self)
        if let i = Int(text) { return .integer(i) }
        // Beyond 64 bits: keep the magnitude as a float rather than failing.
        return Double(text).map(JSONValue.number)
    }

    package static func isCoreFloat(_ u: [UInt8]) -> Bool {
        u.withUnsafeBufferPointer { isCoreFloat($0) }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isCoreFloat(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
        var mantissaDigits = 0
        while i < u.count, isDigit(u[i]) { i += 1; mantissaDigits += 1 }
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            while i < u.count, isDigit(u[i]) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return false }
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
            var expDigits = 0
            while i < u.count, isDigit(u[i]) { i += 1; expDigits += 1 }
            guard expDigits > 0 else { return false }
        }
        return i == u.count
    }

    /// True when `text` can be written as a plain scalar (in block context, not at column 0) and every
    /// YAML 1.1 or 1.2 reader reads it back as exactly this string. Deliberately conservative: anything
    /// that might look like a number, date, boolean, null or indicator is quoted.
    package static func isPlainSafe(_ text: String) -> Bool {
        // Native strings are contiguous UTF-8: read them in place (no index arithmetic per byte).
        ByteScan.withUTF8(text) { isPlainSafe(text, bytes: $0) }
    }

    /// `isPlainSafe` for a string whose UTF-8 bytes (`u`) the caller has at hand.
    static func isPlainSafe(_ text: String, bytes u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = u.first, let last = u.last else { return false }
        switch first {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"),
             UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
             UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"),
             UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"),
             UInt8(ascii: "`"), UInt8(ascii: "<"), UInt8(ascii: "="):
            return false
        default: break
        }
        if last == UInt8(ascii: " ") || last == UInt8(ascii: ":") { return false }
        var isASCII = true
        let raw = UnsafeRawBufferPointer(u)
        var i = 0
        while i < u.count {
            // Eight plain bytes at a time (most of a long string): nothing below needs to see them. The last
            // eight bytes are read as one word too, so a string of eight bytes or more has no tail to read
            // byte by byte (bytes read twice are only tested twice).
            if u.count >= 8 {
                let at = Swift.min(i, u.count - 8)
                if !mayNeedQuotes(raw.loadUnaligned(fromByteOffset: at, as: UInt64.self)) {
                    i = at + 8
                    continue
                }
            }
            let byte = u[i]
            if byte < 0x20 || byte == 0x7F { return false }  // tabs, newlines and controls: quote
            // `: ` and ` #` are found from the `:` and the `#` (the first byte is neither, nor the last a `:`),
            // so no word needs to know the byte before it.
            if byte == UInt8(ascii: ":") && i + 1 < u.count && u[i + 1] == UInt8(ascii: " ") { return false }
            if byte == UInt8(ascii: "#") && i > 0 && u[i - 1] == UInt8(ascii: " ") { return false }
            if byte >= 0x80 { isASCII = false }
            i += 1
        }
        // Non-ASCII: only characters both readers print verbatim (no NEL, line/paragraph separators, BOM, C1).
        if !isASCII, text.unicodeScalars.contains(where: { !isPlainPrintable($0) }) { return false }
        if isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") {
            if u.allSatisfy(isNumericishByte) { return false }
            if u.count >= 6 && u[0..<4].allSatisfy(isDigit) && u[4] == UInt8(ascii: "-") && isDigit(u[5]) {
                return false  // looks like a date
            }
        }
        if isASCII {
            // The words below are at most 5 bytes: longer ASCII text needs no lower-cased copy.
            return u.count > 5 || !isReservedWord(asciiLowercased: u)
        }
        return !isReservedWord(text.lowercased())
    }

    /// `isReservedWord` for ASCII text of at most 5 bytes, on the bytes: no lower-cased String, no
    /// String comparisons (every short key of every spec comes through here).
    private static func isReservedWord(asciiLowercased u: UnsafeBufferPointer<UInt8>) -> Bool {
        // Every reserved word starts with one of these: most short keys are out after one test.
        switch u.first.map(asciiLowercased) {
        case UInt8(ascii: "y"), UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "o"),
             UInt8(ascii: "~"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"):
            break
        default:
            return false
        }
        var packed: UInt64 = 0
        for byte in u { packed = packed << 8 | UInt64(asciiLowercased(byte)) }
        return reservedWordsPacked.contains(packed)
    }

    @inline(__always) private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// The reserved words, each packed big-endian into an integer as `isReservedWord(asciiLowercased:)` packs.
    private static let reservedWordsPacked: [UInt64] = reservedWords.map { word in
        word.utf8.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static let reservedWords = ["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
                                        ".inf", "+.inf", "-.inf", ".nan"]

    /// False only when none of the eight bytes is a control character, DEL, non-ASCII, `:` or `#` — the
    /// bytes the loop in `isPlainSafe` looks for.
    @inline(__always) private static func mayNeedQuotes(_ word: UInt64) -> Bool {
        (ByteScan.hasByteBelow(word, 0x20) | ByteScan.hasByte(word, 0x7F) | ByteScan.hasByte(word, UInt8(ascii: ":"))
            | ByteScan.hasByte(word, UInt8(ascii: "#")) | ByteScan.hasHighByte(word)) != 0
    }

    private static func isReservedWord(_ lower: String) -> Bool {
        reservedWords.contains(lower)
    }

    /// Bytes that occur in YAML 1.1/1.2 ints, floats, sexagesimals and timestamps.
    private static func isNumericishByte(_ b: UInt8) -> Bool {
        isHexDigit(b) || b == UInt8(ascii: "x") || b == UInt8(ascii: "X") || b == UInt8(ascii: "o")
            || b == UInt8(ascii: "O") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
            || b == UInt8(ascii: "T") || b == UInt8(ascii: "t") || b == UInt8(ascii: "Z") || b == UInt8(ascii: "z")
    }

    static func isPlainPrintable(_ s: Unicode.Scalar) -> Bool { isPlainPrintable(s.value) }

    /// The same for a scalar value (no surrogates among the values a decoder gives).
    static func isPlainPrintable(_ v: UInt32) -> Bool {
        if v < 0x80 { return v >= 0x20 && v != 0x7F }
        if v < 0xA0 { return false }
        if v == 0x2028 || v == 0x2029 || v == 0xFEFF { return false }
        if v >= 0xD800 && v <= 0xDFFF { return false }
        if v == 0xFFFE || v == 0xFFFF { return false }
        return true
    }

    @inline(__always) package static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }
}
