/// Numbers a 64-bit float cannot hold: `1e400` reads as infinity, `1.0e-400` as 0, a hex integer of
/// 20 digits as infinity. Writing them back would change what the file says, so they are refused —
/// after the schema has settled ambiguous scalars, since where it wants a string (`hash: 5239e568`)
/// such a scalar is its text, not a number. Decimal integers beyond 64 bits are fine: the emitter
/// keeps their digits.
enum NumberRange {
    static func diagnostics(in root: Node) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var path: [PathComponent] = []
        walk(root, &path, &out)
        return out
    }

    private static func walk(_ node: Node, _ path: inout [PathComponent], _ out: inout [Diagnostic]) {
        switch node.kind {
        case .scalar(let scalar):
            if case .number(let d) = scalar.value, let problem = problem(scalar.text, d) {
                out.append(Diagnostic(kind: .unsupported, at: node.start, pointer: path.jsonPointer, message: problem))
            }
        case .sequence(let items):
            for (i, item) in items.enumerated() {
                path.append(.index(i))
                walk(item, &path, &out)
                path.removeLast()
            }
        case .mapping(let entries):
            for entry in entries {
                path.append(.key(entry.keyText))
                walk(entry.key, &path, &out)
                walk(entry.value, &path, &out)
                path.removeLast()
            }
        }
    }

    static func problem(_ text: String, _ d: Double) -> String? {
        if d.isInfinite {
            if text.lowercased().hasSuffix(".inf") { return nil }
            var digits = Substring(text)
            if digits.hasPrefix("-") || digits.hasPrefix("+") { digits = digits.dropFirst() }
            if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return nil }
            return "number \(text) is too large for a 64-bit float (it would be read as \(d < 0 ? "-" : "").inf); "
                + "quote it to keep it as text, or use a number of magnitude below 1.8e308"
        }
        if d == 0 {
            let mantissa = text.utf8.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
            if mantissa.contains(where: { $0 >= 0x31 && $0 <= 0x39 }) {
                return "number \(text) is too small for a 64-bit float (it would be read as 0); "
                    + "quote it to keep it as text, or write 0"
            }
        }
        return nil
    }
}
