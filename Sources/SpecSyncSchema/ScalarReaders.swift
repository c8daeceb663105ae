import SpecSyncCore

// What the readers specs meet make of one plain (unquoted, untagged) scalar: YAML 1.2's core schema
// (specsync's own reading), YAML 1.1 as PyYAML implements it, and Go's gopkg.in/yaml.v3 (Tandemonium's
// Coldwine). Where they disagree the scalar is ambiguous; the schema then settles it (see
// `DocumentValidator.resolveAmbiguousScalars` and docs/canonical-form.md, "Ambiguous plain scalars").

/// One reader's value for a plain scalar, comparable across readers.
public enum PlainReading: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// A number; `exact` holds it when it is an integer within 64 bits.
    case number(Double, exact: Int?)
    case string
    /// YAML 1.1 dates and times (PyYAML builds `date`/`datetime` objects).
    case timestamp
    /// PyYAML's `<<` merge key and `=` value key.
    case special

    public static func == (a: PlainReading, b: PlainReading) -> Bool {
        switch (a, b) {
        case (.null, .null), (.string, .string), (.timestamp, .timestamp), (.special, .special): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x, let xi), .number(let y, let yi)):
            if let xi, let yi { return xi == yi }
            return x == y || (x.isNaN && y.isNaN)
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let d, _): hasher.combine(d.isNaN ? 0 : d)
        case .string: hasher.combine(2)
        case .timestamp: hasher.combine(3)
        case .special: hasher.combine(4)
        }
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d, let exact):
            if let exact { return "int \(exact)" }
            if d.isNaN { return "float NaN" }
            if d.isInfinite { return d < 0 ? "float -inf" : "float +inf" }
            return "float \(d)"
        case .string: return "string"
        case .timestamp: return "timestamp"
        case .special: return "merge/value key"
        }
    }

    /// The JSON Schema type of this reading (nil for readings JSON has no type for).
    var jsonTypes: JSONTypes? {
        switch self {
        case .null: return .null
        case .bool: return .boolean
        case .number(let d, let exact): return exact != nil || isIntegral(d) ? .integer : .fraction
        case .string: return .string
        case .timestamp, .special: return nil
        }
    }
}

public enum ScalarReaders {
    /// YAML 1.2 core schema: what specsync reads.
    public static func yaml12(_ text: String) -> PlainReading {
        switch ScalarResolver.resolvePlain(text) {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .integer(let i): return .number(Double(i), exact: i)
        case .number(let d): return .number(d, exact: nil)
        default: return .string
        }
    }

    /// True when the three readers do not all read `text` as the same value.
    public static func isAmbiguous(_ text: String) -> Bool {
        let core = yaml12(text)
        return yaml11(text) != core || goYAMLv3(text) != core
    }

    // MARK: YAML 1.1 (PyYAML 6, resolver.py and constructor.py)

    /// PyYAML's implicit resolvers, verbatim (minus re.X whitespace), tried in registration order
    /// among those registered for the scalar's first character.
    private static let pyBool = pyRegex("^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")
    private static let pyFloat = pyRegex(
        "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
            + "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(?:inf|Inf|INF)|\\.(?:nan|NaN|NAN))$")
    private static let pyInt = pyRegex(
        "^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")
    private static let pyNull = pyRegex("^(?:~|null|Null|NULL|)$")
    private static let pyTimestamp = pyRegex(
        "^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
            + "(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$")

    private static func pyRegex(_ pattern: String) -> ECMARegex? { try? ECMARegex(pattern) }

    public static func yaml11(_ text: String) -> PlainReading {
        let first = text.unicodeScalars.first
        func starts(_ set: String) -> Bool { first.map { set.unicodeScalars.contains($0) } ?? false }
        if starts("yYnNtTfFoO"), pyBool?.matches(text) == true {
            return .bool(["yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].contains(text))
        }
        if starts("-+0123456789."), pyFloat?.matches(text) == true { return pyFloatValue(text) }
        if starts("-+0123456789"), pyInt?.matches(text) == true { return pyIntValue(text) }
        if text == "<<" || text == "=" { return .special }
        if first == nil || starts("~nN"), pyNull?.matches(text) == true { return .null }
        if starts("0123456789"), pyTimestamp?.matches(text) == true { return .timestamp }
        return .string
    }

    private static func pyFloatValue(_ text: String) -> PlainReading {
        var value = text.filter { $0 != "_" }.lowercased()
        var sign = 1.0
        if value.hasPrefix("-") { sign = -1; value.removeFirst() } else if value.hasPrefix("+") { value.removeFirst() }
        if value == ".inf" { return .number(sign * .infinity, exact: nil) }
        if value == ".nan" { return .number(.nan, exact: nil) }
        if value.contains(":") {
            var total = 0.0
            for part in value.split(separator: ":", omittingEmptySubsequences: false) {
                total = total * 60 + (Double(part) ?? 0)
            }
            return .number(sign * total, exact: nil)
        }
        // Python's float() overflows to inf and underflows to 0, as Swift's Double(String) does.
        return .number(sign * (Double(value) ?? .nan), exact: nil)
    }

    private static func pyIntValue(_ text: String) -> PlainReading {
        var value = text.filter { $0 != "_" }
        var sign = ""
        if value.hasPrefix("-") { sign = "-"; value.removeFirst() } else if value.hasPrefix("+") { value.removeFirst() }
        if value.contains(":") {
            var total = 0
            for part in value.split(separator: ":") { total = total &* 60 &+ (Int(part) ?? 0) }
            return .number(Double(sign + String(total)) ?? 0, exact: Int(sign + String(total)))
        }
        let (digits, radix): (Substring, Int)
        if value == "0" { (digits, radix) = (Substring(value), 10) }
        else if value.hasPrefix("0b") { (digits, radix) = (value.dropFirst(2), 2) }
        else if value.hasPrefix("0x") { (digits, radix) = (value.dropFirst(2), 16) }
        else if value.hasPrefix("0") { (digits, radix) = (value.dropFirst(), 8) }
        else { (digits, radix) = (Substring(value), 10) }
        if let exact = Int(sign + digits, radix: radix) { return .number(Double(exact), exact: exact) }
        // Python ints are unbounded: beyond 64 bits, compare by the nearest double.
        var approximate = radix == 10 ? Double(String(digits)) ?? .nan : 0
        if radix != 10 { for c in digits { approximate = approximate * Double(radix) + Double(c.hexDigitValue ?? 0) } }
        return .number(sign.isEmpty ? approximate : -approximate, exact: nil)
    }

    // MARK: Go yaml.v3 (resolve.go)

    /// yaml.v3's resolver: map lookup for null/bool/inf/nan, then by first byte — signs and digits try
    /// timestamp, Go's base-0 ParseInt/ParseUint (with `_` removed), its float regex with ParseFloat,
    /// then 0b/0o; `.` tries ParseFloat. A number out of range fails its parse and stays a string
    /// (`5239e568`). Timestamps decode as strings into `interface{}` and string fields.
    public static func goYAMLv3(_ text: String) -> PlainReading {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".nan", ".NaN", ".NAN": return .number(.nan, exact: nil)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity, exact: nil)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity, exact: nil)
        default: break
        }
        guard let first = text.utf8.first else { return .string }
        if first == UInt8(ascii: ".") {
            return goDecimalFloat(text).map { .number($0, exact: nil) } ?? .string
        }
        guard ScalarResolver.isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else { return .string }
        if isGoTimestamp(text) { return .timestamp }
        let plain = text.filter { $0 != "_" }
        switch goParseInteger(plain) {
        case .value(let i): return .number(Double(i), exact: i)
        case .unsignedBeyondInt(let d): return .number(d, exact: nil)
        case .invalid: break
        }
        if isCoreFloatSyntax(plain), let d = goDecimalFloat(plain) { return .number(d, exact: nil) }
        return .string
    }

    /// yaml.v3's parseTimestamp: four digits and `-`, then one of Go's layouts "2006-1-2",
    /// "2006-1-2 15:4:5.999999999", "2006-1-2T15:4:5.999999999Z07:00" (or `t`), with Go's range checks.
    private static func isGoTimestamp(_ text: String) -> Bool {
        let u = Array(text.utf8)
        guard u.count >= 5, u[0..<4].allSatisfy(ScalarResolver.isDigit), u[4] == UInt8(ascii: "-") else { return false }
        var i = 5
        func number(maxDigits: Int) -> Int? {
            var value = 0, count = 0
            while i < u.count, count < maxDigits, ScalarResolver.isDigit(u[i]) { value = value * 10 + Int(u[i] - 0x30); i += 1; count += 1 }
            return count == 0 ? nil : value
        }
        func expect(_ c: Character) -> Bool {
            guard i < u.count, u[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        let year = Int(String(decoding: u[0..<4], as: UTF8.self)) ?? 0
        guard let month = number(maxDigits: 2), (1...12).contains(month), expect("-"),
              let day = number(maxDigits: 2) else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        if i == u.count { return true }
        let zoned: Bool
        if expect("T") || expect("t") { zoned = true } else if expect(" ") { zoned = false } else { return false }
        guard let hour = number(maxDigits: 2), hour < 24, expect(":"), let minute = number(maxDigits: 2), minute < 60,
              expect(":"), let second = number(maxDigits: 2), second < 60 else { return false }
        if expect(".") { guard number(maxDigits: 9) != nil else { return false } }
        if !zoned { return i == u.count }
        if expect("Z") { return i == u.count }
        guard expect("+") || expect("-"), let zoneHours = number(maxDigits: 2), zoneHours < 24, expect(":"),
              let zoneMinutes = number(maxDigits: 2), zoneMinutes < 60 else { return false }
        return i == u.count
    }

    private enum GoInteger {
        case value(Int)
        /// Fits ParseUint but not ParseInt (2^63 … 2^64-1).
        case unsignedBeyondInt(Double)
        case invalid
    }

    /// strconv.ParseInt(s, 0, 64), then ParseUint(s, 0, 64): optional sign (ParseInt only), then `0x`,
    /// `0o`, `0b`, a leading `0` (octal) or decimal digits.
    private static func goParseInteger(_ s: String) -> GoInteger {
        var body = Substring(s)
        var negative = false
        var signed = false
        if body.hasPrefix("-") { negative = true; signed = true; body = body.dropFirst() }
        else if body.hasPrefix("+") { signed = true; body = body.dropFirst() }
        var radix = 10
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { radix = 16; body = body.dropFirst(2) }
        else if lower.hasPrefix("0o") { radix = 8; body = body.dropFirst(2) }
        else if lower.hasPrefix("0b") { radix = 2; body = body.dropFirst(2) }
        else if body.hasPrefix("0"), body.count > 1 { radix = 8; body = body.dropFirst() }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.hexDigitValue ?? 99) < radix }) else { return .invalid }
        guard let magnitude = UInt64(body, radix: radix) else { return .invalid }
        if negative {
            if magnitude <= UInt64(Int.max) { return .value(-Int(magnitude)) }
            if magnitude == UInt64(Int.max) + 1 { return .value(Int.min) }
            return .invalid
        }
        if magnitude <= UInt64(Int.max) { return .value(Int(magnitude)) }
        return signed ? .invalid : .unsignedBeyondInt(Double(magnitude))
    }

    /// strconv.ParseFloat for decimal text: nil when malformed or out of range (Go reports ErrRange
    /// for overflow; underflow quietly gives 0).
    private static func goDecimalFloat(_ s: String) -> Double? {
        guard isCoreFloatSyntax(s), let d = Double(s), d.isFinite else { return nil }
        return d
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` — yaml.v3's float regex, YAML 1.2's too.
    private static func isCoreFloatSyntax(_ s: String) -> Bool {
        ScalarResolver.isCoreFloat(Array(s.utf8))
    }
}
