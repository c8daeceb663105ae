import SpecSyncCore

// JSON data-model helpers shared by the schema compiler and validator: the type lattice,
// numeric comparison across Int and Double, and JSON equality (1 == 1.0, key order ignored).

/// The JSON Schema instance types. `integer` and `fraction` split numbers, so `number` is both.
struct JSONTypes: OptionSet, Hashable, Sendable {
    let rawValue: UInt8

    static let null = JSONTypes(rawValue: 1 << 0)
    static let boolean = JSONTypes(rawValue: 1 << 1)
    static let integer = JSONTypes(rawValue: 1 << 2)
    /// Numbers with a fractional part (or not finite).
    static let fraction = JSONTypes(rawValue: 1 << 3)
    static let string = JSONTypes(rawValue: 1 << 4)
    static let array = JSONTypes(rawValue: 1 << 5)
    static let object = JSONTypes(rawValue: 1 << 6)
    static let number: JSONTypes = [.integer, .fraction]
    static let all: JSONTypes = [.null, .boolean, .number, .string, .array, .object]

    static let schemaNames: [(String, JSONTypes)] = [
        ("null", .null), ("boolean", .boolean), ("integer", .integer), ("number", .number),
        ("string", .string), ("array", .array), ("object", .object),
    ]

    /// Names users of YAML recognise, in a fixed reading order.
    var readableNames: [String] {
        var names: [String] = []
        if contains(.string) { names.append("string") }
        if contains(.number) { names.append("number") } else if contains(.integer) { names.append("integer") } else if contains(.fraction) { names.append("number") }
        if contains(.boolean) { names.append("boolean") }
        if contains(.array) { names.append("list") }
        if contains(.object) { names.append("mapping") }
        if contains(.null) { names.append("null") }
        return names
    }

    var readable: String { joinedAlternatives(readableNames) }

    static func of(_ value: JSONValue) -> JSONTypes {
        switch value {
        case .null: return .null
        case .bool: return .boolean
        case .integer: return .integer
        case .number(let d): return isIntegral(d) ? .integer : .fraction
        case .string: return .string
        case .array: return .array
        case .object: return .object
        }
    }

    static func of(_ node: Node) -> JSONTypes {
        switch node.kind {
        case .scalar(let s): return of(s.value)
        case .sequence: return .array
        case .mapping: return .object
        }
    }
}

/// 2020-12: a number with a zero fractional part is an integer.
@inline(__always)
func isIntegral(_ d: Double) -> Bool { d.isFinite && d.rounded(.towardZero) == d }

func joinedAlternatives(_ items: [String], conjunction: String = "or") -> String {
    switch items.count {
    case 0: return "nothing"
    case 1: return items[0]
    case 2: return "\(items[0]) \(conjunction) \(items[1])"
    default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items[items.count - 1]
    }
}

/// A JSON number kept exact: Int where the source was an integer.
enum JSONNumber: Hashable, Sendable {
    case int(Int)
    case double(Double)

    init?(_ value: JSONValue) {
        switch value {
        case .integer(let i): self = .int(i)
        case .number(let d): self = .double(d)
        default: return nil
        }
    }

    var text: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d):
            if isIntegral(d), abs(d) < 1e15 { return String(Int(d)) }
            return String(d)
        }
    }

    /// -1, 0 or 1; nil when either side is NaN.
    static func compare(_ a: JSONNumber, _ b: JSONNumber) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.double(let x), .double(let y)):
            if x.isNaN || y.isNaN { return nil }
            return x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x), .double(let y)): return compareIntDouble(x, y)
        case (.double(let x), .int(let y)): return compareIntDouble(y, x).map { -$0 }
        }
    }

    /// Exact comparison of an Int with a Double (no rounding of large Ints).
    private static func compareIntDouble(_ i: Int, _ d: Double) -> Int? {
        if d.isNaN { return nil }
        if d >= 9_223_372_036_854_775_808.0 { return -1 }
        if d < -9_223_372_036_854_775_808.0 { return 1 }
        let whole = d.rounded(.towardZero)
        let w = Int(whole)
        if i != w { return i < w ? -1 : 1 }
        let rest = d - whole
        return rest > 0 ? -1 : (rest < 0 ? 1 : 0)
    }
}

/// JSON equality: numbers compare by value (1 == 1.0), objects ignore key order.
func jsonEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.integer, _), (.number, _):
        guard let x = JSONNumber(a), let y = JSONNumber(b) else { return false }
        return JSONNumber.compare(x, y) == 0
    case (.array(let x), .array(let y)):
        guard x.count == y.count else { return false }
        for i in x.indices where !jsonEqual(x[i], y[i]) { return false }
        return true
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        for key in x.keys {
            guard let xv = x[key], let yv = y[key], jsonEqual(xv, yv) else { return false }
        }
        return true
    default:
        return false
    }
}

/// JSON equality between a document node and a value, without building the node's JSON.
func nodeEqual(_ node: Node, _ value: JSONValue) -> Bool {
    switch node.kind {
    case .scalar(let s):
        return jsonEqual(s.value, value)
    case .sequence(let items):
        guard case .array(let values) = value, values.count == items.count else { return false }
        for i in items.indices where !nodeEqual(items[i], values[i]) { return false }
        return true
    case .mapping(let entries):
        guard case .object(let object) = value, object.count == entries.count else { return false }
        for entry in entries {
            guard let v = object[entry.keyText], nodeEqual(entry.value, v) else { return false }
        }
        return true
    }
}

/// A value with numbers normalised (integral doubles become integers) so Hashable equality is JSON equality.
func normalizedJSON(_ value: JSONValue) -> JSONValue {
    switch value {
    case .number(let d):
        if isIntegral(d), let i = Int(exactly: d) { return .integer(i) }
        return value
    case .array(let items): return .array(items.map(normalizedJSON))
    case .object(let object):
        var out = JSONObject()
        for (k, v) in object.pairs { out[k] = normalizedJSON(v) }
        return .object(out)
    default: return value
    }
}

/// A string in double quotes for messages: escapes quotes and controls, shortens long text.
func quotedForMessage(_ text: String, limit: Int = 60) -> String {
    var out = "\""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            out.append("…")
            break
        }
        switch scalar {
        case "\"": out.append("\\\"")
        case "\\": out.append("\\\\")
        case "\n": out.append("\\n")
        case "\t": out.append("\\t")
        case "\r": out.append("\\r")
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out.append("\\u{\(String(scalar.value, radix: 16))}")
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        count += 1
    }
    out.append("\"")
    return out
}

/// Edit distance (insertions, deletions, substitutions, adjacent swaps) for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var previous2 = [Int](repeating: 0, count: y.count + 1)
    var previous = Array(0...y.count)
    var current = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        current[0] = i
        for j in 1...y.count {
            let cost = x[i - 1] == y[j - 1] ? 0 : 1
            var best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                best = min(best, previous2[j - 2] + 1)
            }
            current[j] = best
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[y.count]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    let lowered = word.lowercased()
    let wordLength = lowered.unicodeScalars.count
    var best: (String, Int)?
    for candidate in candidates {
        let length = candidate.unicodeScalars.count
        let allowed = max(1, min(3, length / 3))
        // The distance is at least the length difference: skip the quadratic edit distance for words
        // that cannot be close (a long hostile key against every property name).
        if abs(length - wordLength) > allowed { continue }
        if candidate.lowercased() == lowered { return candidate }
        let d = editDistance(lowered, candidate.lowercased())
        // Replacing a whole word ("x" for "y") is not a typo.
        if d <= allowed, d < length, d < lowered.unicodeScalars.count, d < (best?.1 ?? Int.max) { best = (candidate, d) }
    }
    return best?.0
}
