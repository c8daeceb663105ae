// Scalar resolution: what a plain scalar means under the YAML 1.2 core schema (the reading specsync
// validates), and whether a string can be written plain so that YAML 1.1 and 1.2 readers alike read
// it back as the same string.

package enum ScalarResolver {
    /// The YAML 1.2 core-schema value of a plain scalar.
    package static func resolvePlain(_ text: String) -> JSONValue {
        let u = Array(text.utf8)
        if u.isEmpty { return .null }
        switch text {
        case "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
        case ".nan", ".NaN", ".NAN": return .number(.nan)
        default: break
        }
        let first = u[0]
        guard isDigit(first) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") else {
            return .string(text)
        }
        if let i = resolveInteger(u) { return i }
        if isCoreFloat(u), let d = Double(text) { return .number(d) }
        return .string(text)
    }

    private static func resolveInteger(_ u: [UInt8]) -> JSONValue? {
        // 0o17 and 0x1F (no sign in the core schema)
        if u.count > 2, u[0] == UInt8(ascii: "0") {
            let radixMark = u[1]
            let digits = u[2...]
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
        let text = String(decoding: u, as: UTF8.self)
        if let i = Int(text) { return .integer(i) }
        // Beyond 64 bits: keep the magnitude as a float rather than failing.
        return Double(text).map(JSONValue.number)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    package static func isCoreFloat(_ u: [UInt8]) -> Bool {
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
        let u = text.utf8
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
        var previous: UInt8 = 0
        var looksNumeric = true
        for byte in u {
            if byte < 0x20 || byte == 0x7F { return false }  // tabs, newlines and controls: quote
            if byte == UInt8(ascii: " ") && previous == UInt8(ascii: ":") { return false }
            if byte == UInt8(ascii: "#") && previous == UInt8(ascii: " ") { return false }
            if looksNumeric && !isNumericishByte(byte) { looksNumeric = false }
            previous = byte
        }
        // Non-ASCII: only characters both readers print verbatim (no NEL, line/paragraph separators, BOM, C1).
        if text.unicodeScalars.contains(where: { !isPlainPrintable($0) }) { return false }
        if isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") {
            if looksNumeric { return false }
            if looksLikeDate(Array(u)) { return false }
        }
        switch text.lowercased() {
        case "y", "n", "yes", "no", "true", "false", "on", "off", "null", "~",
             ".inf", "+.inf", "-.inf", ".nan":
            return false
        default:
            return true
        }
    }

    private static func looksLikeDate(_ u: [UInt8]) -> Bool {
        u.count >= 6 && u[0...3].allSatisfy(isDigit) && u[4] == UInt8(ascii: "-") && isDigit(u[5])
    }

    /// Bytes that occur in YAML 1.1/1.2 ints, floats, sexagesimals and timestamps.
    private static func isNumericishByte(_ b: UInt8) -> Bool {
        isHexDigit(b) || b == UInt8(ascii: "x") || b == UInt8(ascii: "X") || b == UInt8(ascii: "o")
            || b == UInt8(ascii: "O") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
            || b == UInt8(ascii: "T") || b == UInt8(ascii: "t") || b == UInt8(ascii: "Z") || b == UInt8(ascii: "z")
    }

    static func isPlainPrintable(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
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
