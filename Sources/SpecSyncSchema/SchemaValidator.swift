import SpecSyncCore

// Walks a document against the compiled schema. Two modes share one code path: `collect` reports
// every violation with a message; without it the walk stops at the first violation and builds no
// strings (used to try anyOf/oneOf/not branches cheaply).

struct SchemaValidator {
    let nodes: [SchemaNode]
    /// Where reports go: a reference, so `report` can take its message as an autoclosure (built only
    /// for the diagnostics kept) while the mutating walk that calls it holds `self`.
    private(set) var collector: DiagnosticCollector
    /// Instance location of the node being checked.
    var path: [PathComponent] = []

    init(nodes: [SchemaNode], limit: Int = .max) {
        self.nodes = nodes
        self.collector = DiagnosticCollector(limit: limit)
        path.reserveCapacity(16)
    }

    /// The diagnostics kept, sorted, each once.
    var diagnostics: [Diagnostic] { collector.sorted() }
    var firstOmitted: SourcePosition? { collector.firstOmitted }

    mutating func validate(_ node: Node, _ index: Int32, collect: Bool) -> Bool {
        let s = nodes[Int(index)]
        if let b = s.boolean {
            if b { return true }
            if collect { report(node.start, "no value is allowed here") }
            return false
        }
        if let types = s.types, !types.contains(JSONTypes.of(node)) {
            // The other keywords of this schema would only repeat the problem.
            if collect { report(node.start, typeMismatch(expected: types, node)) }
            return false
        }
        var ok = true
        if s.hasValueChecks, !checkValue(node, s, collect: collect) {
            if !collect { return false }
            ok = false
        }
        switch node.kind {
        case .scalar(let scalar):
            switch scalar.value {
            case .string(let text) where s.hasStringChecks:
                if !checkString(text, node, s, collect: collect) {
                    if !collect { return false }
                    ok = false
                }
            case .integer(let i) where s.hasNumberChecks:
                if !checkNumber(.int(i), node, s, collect: collect) {
                    if !collect { return false }
                    ok = false
                }
            case .number(let d) where s.hasNumberChecks:
                if !checkNumber(.double(d), node, s, collect: collect) {
                    if !collect { return false }
                    ok = false
                }
            default:
                break
            }
        case .sequence(let items) where s.hasArrayChecks:
            if !checkArray(items, node, s, collect: collect) {
                if !collect { return false }
                ok = false
            }
        case .mapping(let entries) where s.hasObjectChecks:
            if !checkObject(entries, node, s, collect: collect) {
                if !collect { return false }
                ok = false
            }
        default:
            break
        }
        if s.hasApplicators, !checkApplicators(node, s, collect: collect) {
            ok = false
        }
        return ok
    }

    // MARK: const / enum

    mutating func checkValue(_ node: Node, _ s: SchemaNode, collect: Bool) -> Bool {
        var ok = true
        if let c = s.constValue, !nodeEqual(node, c) {
            if !collect { return false }
            ok = false
            report(node.start, "expected \(renderValue(c, quoteStrings: true)), got \(valueText(node))")
        }
        if let values = s.enumValues, !enumContains(s, values, node) {
            if !collect { return false }
            ok = false
            report(node.start, notOneOfMessage(node, values))
        }
        return ok
    }

    func enumContains(_ s: SchemaNode, _ values: [JSONValue], _ node: Node) -> Bool {
        if let strings = s.enumStrings {
            guard case .scalar(let scalar) = node.kind, case .string(let text) = scalar.value else { return false }
            return strings.contains(text)
        }
        for v in values where nodeEqual(node, v) { return true }
        return false
    }

    func notOneOfMessage(_ node: Node, _ values: [JSONValue]) -> String {
        let shown = values.prefix(15).map { renderValue($0, quoteStrings: false) }
        var message = "\(valueText(node)) is not one of: " + shown.joined(separator: ", ")
        if values.count > 15 { message += ", …" }
        if case .scalar(let scalar) = node.kind, case .string(let text) = scalar.value {
            let candidates = values.compactMap { v -> String? in
                if case .string(let s) = v { return s }
                return nil
            }
            if let guess = closestMatch(to: text, in: candidates) {
                message += "; did you mean \(guess)?"
            }
        }
        return message
    }

    // MARK: Strings and numbers

    /// `text.unicodeScalars.count` from the UTF-8 bytes: the bytes that start a scalar (not 10xxxxxx).
    static func scalarCount(_ text: String) -> Int {
        var text = text
        return text.withUTF8 { u in u.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) } }
    }

    mutating func checkString(_ text: String, _ node: Node, _ s: SchemaNode, collect: Bool) -> Bool {
        var ok = true
        if s.minLength != nil || s.maxLength != nil {
            let length = Self.scalarCount(text)
            if let m = s.minLength, length < m {
                if !collect { return false }
                ok = false
                report(node.start, length == 0 ? "must not be empty" : "is too short: \(length) character\(plural(length)), at least \(m) required")
            }
            if let m = s.maxLength, length > m {
                if !collect { return false }
                ok = false
                report(node.start, "is too long: \(length) characters, at most \(m) allowed")
            }
        }
        if let pattern = s.pattern, !pattern.matches(text) {
            if !collect { return false }
            ok = false
            report(node.start, "\(quotedForMessage(text)) does not match the pattern \(pattern.source)\(explanation(s))")
        }
        if s.checksDateTime, let problem = DateTimeFormat.problem(in: text) {
            if !collect { return false }
            ok = false
            report(node.start, "\(quotedForMessage(text)) is not a valid date-time: \(problem)")
        }
        return ok
    }

    /// A short schema `description`, appended to pattern failures as the human reading of the pattern.
    func explanation(_ s: SchemaNode) -> String {
        guard let d = s.description, !d.isEmpty, d.unicodeScalars.count <= 100, !d.contains("\n") else { return "" }
        return " (\(d))"
    }

    mutating func checkNumber(_ n: JSONNumber, _ node: Node, _ s: SchemaNode, collect: Bool) -> Bool {
        let numeric = (s.types ?? s.staticTypes).intersection(.number)
        let word = numeric == .integer ? "integer" : "number"
        var ok = true
        func violates(_ bound: JSONNumber?, _ rejected: (Int) -> Bool) -> Bool {
            guard let bound else { return false }
            guard let c = JSONNumber.compare(n, bound) else { return true }
            return rejected(c)
        }
        if violates(s.minimum, { $0 < 0 }) {
            if !collect { return false }
            ok = false
            report(node.start, "expected \(word) ≥ \(s.minimum?.text ?? ""), got \(scalarText(node))")
        }
        if violates(s.exclusiveMinimum, { $0 <= 0 }) {
            if !collect { return false }
            ok = false
            report(node.start, "expected \(word) > \(s.exclusiveMinimum?.text ?? ""), got \(scalarText(node))")
        }
        if violates(s.maximum, { $0 > 0 }) {
            if !collect { return false }
            ok = false
            report(node.start, "expected \(word) ≤ \(s.maximum?.text ?? ""), got \(scalarText(node))")
        }
        if violates(s.exclusiveMaximum, { $0 >= 0 }) {
            if !collect { return false }
            ok = false
            report(node.start, "expected \(word) < \(s.exclusiveMaximum?.text ?? ""), got \(scalarText(node))")
        }
        return ok
    }

    // MARK: Lists

    mutating func checkArray(_ items: [Node], _ node: Node, _ s: SchemaNode, collect: Bool) -> Bool {
        var ok = true
        if let m = s.minItems, items.count < m {
            if !collect { return false }
            ok = false
            report(node.start, "expected at least \(m) item\(plural(m)), got \(items.count)")
        }
        if let m = s.maxItems, items.count > m {
            if !collect { return false }
            ok = false
            report(node.start, "expected at most \(m) item\(plural(m)), got \(items.count)")
        }
        if s.items != noSchema || !s.prefixItems.isEmpty {
            for (i, item) in items.enumerated() {
                let schema = i < s.prefixItems.count ? s.prefixItems[i] : s.items
                if schema == noSchema { continue }
                if nodes[Int(schema)].rejectsEverything {
                    if !collect { return false }
                    ok = false
                    report(item.start, "has \(items.count) item\(plural(items.count)), but at most \(i) \(i == 1 ? "is" : "are") allowed; remove the extra items",
                           child: .index(i))
                    break
                }
                path.append(.index(i))
                let valid = validate(item, schema, collect: collect)
                path.removeLast()
                if !valid {
                    if !collect { return false }
                    ok = false
                }
            }
        }
        if s.uniqueItems, items.count > 1 {
            var firstIndex: [JSONValue: Int] = [:]
            for (i, item) in items.enumerated() {
                let key = normalizedJSON(item.json)
                if let j = firstIndex[key] {
                    if !collect { return false }
                    ok = false
                    path.append(.index(i))
                    report(item.start, "duplicate of item \(j) (the items of this list must be unique)")
                    path.removeLast()
                } else {
                    firstIndex[key] = i
                }
            }
        }
        return ok
    }

    // MARK: Mappings

    mutating func checkObject(_ entries: [Entry], _ node: Node, _ s: SchemaNode, collect: Bool) -> Bool {
        var ok = true
        if let m = s.minProperties, entries.count < m {
            if !collect { return false }
            ok = false
            report(node.start, "expected at least \(m) key\(plural(m)), got \(entries.count)")
        }
        if let m = s.maxProperties, entries.count > m {
            if !collect { return false }
            ok = false
            report(node.start, "expected at most \(m) key\(plural(m)), got \(entries.count)")
        }
        var found: UInt64 = 0
        // By index: binding each entry to a local copied its strings and comment arrays.
        for i in entries.indices {
            let key = entries[i].keyText
            let schema: Int32
            if let property = s.propertyIndex[key] {
                if property.requiredBit >= 0 { found |= 1 << UInt64(property.requiredBit) }
                schema = property.schema
                if nodes[Int(schema)].rejectsEverything {
                    if !collect { return false }
                    ok = false
                    report(entries[i].key.start, "key \(quotedForMessage(key)) is not allowed here; remove it", child: .key(key))
                    continue
                }
            } else if s.additionalProperties != noSchema {
                schema = s.additionalProperties
                let additional = nodes[Int(schema)]
                if additional.boolean == true { continue }
                if additional.rejectsEverything {
                    if !collect { return false }
                    ok = false
                    report(entries[i].key.start, unknownKeyMessage(key, s), child: .key(key))
                    continue
                }
            } else {
                continue
            }
            path.append(.key(key))
            let valid = validate(entries[i].value, schema, collect: collect)
            path.removeLast()
            if !valid {
                if !collect { return false }
                ok = false
            }
        }
        if !s.required.isEmpty, found != s.requiredMask || s.required.count > s.requiredMask.nonzeroBitCount {
            for (name, bit) in s.required {
                let present = bit >= 0 ? found & (1 << UInt64(bit)) != 0 : entries.contains { $0.keyText == name }
                if present { continue }
                if !collect { return false }
                ok = false
                report(node.start, missingKeyMessage(name, entries, s))
            }
        }
        return ok
    }

    func unknownKeyMessage(_ key: String, _ s: SchemaNode) -> String {
        var message = "unknown key \(quotedForMessage(key))"
        if let guess = closestMatch(to: key, in: s.propertyNames) {
            message += "; did you mean \(guess)?"
        } else if !s.propertyNames.isEmpty && s.propertyNames.count <= 12 {
            message += "; allowed keys: " + s.propertyNames.joined(separator: ", ")
        } else {
            message += "; remove it"
        }
        return message
    }

    func missingKeyMessage(_ name: String, _ entries: [Entry], _ s: SchemaNode) -> String {
        var message = "missing required key \(quotedForMessage(name))"
        // An unlisted key that looks like the missing one is probably a typo of it.
        let strays = entries.map(\.keyText).filter { s.propertyIndex[$0] == nil }
        if let typo = closestMatch(to: name, in: strays) {
            message += " (is \(quotedForMessage(typo)) a misspelling of it?)"
        }
        return message
    }

    // MARK: $ref, allOf, anyOf, oneOf, not

    mutating func checkApplicators(_ node: Node, _ s: SchemaNode, collect: Bool) -> Bool {
        var ok = true
        if s.ref != noSchema, !validate(node, s.ref, collect: collect) {
            if !collect { return false }
            ok = false
        }
        for branch in s.allOf where !validate(node, branch, collect: collect) {
            if !collect { return false }
            ok = false
        }
        if !s.anyOf.isEmpty {
            var matched = false
            for branch in s.anyOf where validate(node, branch, collect: false) {
                matched = true
                break
            }
            if !matched {
                if !collect { return false }
                ok = false
                reportAlternatives(node, s.anyOf, keyword: "anyOf", at: s.pointer)
            }
        }
        if !s.oneOf.isEmpty {
            var matches: [Int] = []
            for (i, branch) in s.oneOf.enumerated() where validate(node, branch, collect: false) {
                matches.append(i)
                if matches.count == 2 { break }
            }
            if matches.count != 1 {
                if !collect { return false }
                ok = false
                if matches.isEmpty {
                    reportAlternatives(node, s.oneOf, keyword: "oneOf", at: s.pointer)
                } else {
                    report(node.start, "matches alternatives \(matches[0] + 1) and \(matches[1] + 1) of the oneOf at "
                        + "#\(s.pointer)/oneOf in the schema, but must match exactly one")
                }
            }
        }
        if s.not != noSchema, validate(node, s.not, collect: false) {
            if !collect { return false }
            ok = false
            report(node.start, notMessage(nodes[Int(s.not)]))
        }
        return ok
    }

    /// One useful report for a value that matches none of the alternatives: the errors of the
    /// alternative meant for this kind of value, or the kinds that would have been accepted.
    mutating func reportAlternatives(_ node: Node, _ branches: [Int32], keyword: String, at pointer: String) {
        let type = JSONTypes.of(node)
        let compatible = branches.filter { nodes[Int($0)].staticTypes.contains(type) }
        if compatible.isEmpty {
            var union: JSONTypes = []
            for b in branches { union.formUnion(nodes[Int(b)].staticTypes) }
            report(node.start, typeMismatch(expected: union, node))
            return
        }
        if let values = pureValueSet(compatible) {
            report(node.start, notOneOfMessage(node, values))
            return
        }
        let reportsBefore = collector.reports
        if compatible.count == 1 {
            _ = validate(node, compatible[0], collect: true)
        } else {
            // Each branch is tried on a collector of its own, capped like the real one (so a trial builds
            // no more messages than the real walk would); the branch with the fewest problems is reported.
            let real = collector
            var best: DiagnosticCollector?
            for b in compatible {
                collector = DiagnosticCollector(limit: real.limit)
                _ = validate(node, b, collect: true)
                if collector.reports < (best?.reports ?? .max) { best = collector }
            }
            collector = real
            if let best {
                for d in best.sorted() { collector.add(d.position) { d } }
                if let omitted = best.firstOmitted { collector.omit(omitted) }
            }
        }
        if collector.reports == reportsBefore {
            report(node.start, "matches none of the alternatives of the \(keyword) at #\(pointer)/\(keyword) in the schema")
        }
    }

    /// The allowed values when every alternative is just a `const` or an `enum`.
    func pureValueSet(_ branches: [Int32]) -> [JSONValue]? {
        var values: [JSONValue] = []
        for b in branches {
            let n = nodes[Int(b)]
            guard n.boolean == nil, !n.hasStringChecks, !n.hasNumberChecks, !n.hasArrayChecks,
                  !n.hasObjectChecks, !n.hasApplicators else { return nil }
            if let c = n.constValue {
                values.append(c)
            } else if let e = n.enumValues {
                values.append(contentsOf: e)
            } else {
                return nil
            }
        }
        return values
    }

    func notMessage(_ n: SchemaNode) -> String {
        let onlyValues = !n.hasStringChecks && !n.hasNumberChecks && !n.hasArrayChecks && !n.hasObjectChecks && !n.hasApplicators
        if onlyValues, n.types == nil, let c = n.constValue, n.enumValues == nil {
            return "must not be \(renderValue(c, quoteStrings: true))"
        }
        if onlyValues, n.types == nil, n.constValue == nil, let e = n.enumValues {
            return "must not be any of: " + e.map { renderValue($0, quoteStrings: false) }.joined(separator: ", ")
        }
        if onlyValues, let t = n.types, n.constValue == nil, n.enumValues == nil {
            return "must not be a \(t.readable)"
        }
        if !n.hasStringChecks, !n.hasNumberChecks, !n.hasArrayChecks, !n.hasApplicators, n.propertyNames.isEmpty,
           n.additionalProperties == noSchema, !n.required.isEmpty, n.minProperties == nil, n.maxProperties == nil {
            let names = n.required.map { quotedForMessage($0.name) }
            return "must not have the key\(plural(names.count)) " + joinedAlternatives(names, conjunction: "and")
        }
        return "must not match the schema at #\(n.pointer)"
    }

    // MARK: Messages

    /// A violation at `position`; its message is only built when the collector keeps it.
    func report(_ position: SourcePosition, _ text: @autoclosure () -> String, child: PathComponent? = nil) {
        collector.add(position) {
            let label = readableLabel(path)
            let pointer = (child.map { path + [$0] } ?? path).jsonPointer
            let text = text()
            return Diagnostic(kind: .schema, at: position, pointer: pointer, message: label.isEmpty ? text : "\(label): \(text)")
        }
    }

    func typeMismatch(expected: JSONTypes, _ node: Node) -> String {
        "expected \(expected.readable), got \(describeForType(node))\(typeHint(expected: expected, node))"
    }
}

// MARK: - Rendering values

private func plural(_ n: Int) -> String { n == 1 ? "" : "s" }

/// `priority`, `acceptance_criteria[1].id`, `labels["a b"]`; "" for the root.
func readableLabel(_ path: [PathComponent]) -> String {
    var out = ""
    for component in path {
        switch component {
        case .index(let i):
            out += "[\(i)]"
        case .key(let k):
            let simple = !k.isEmpty && k.unicodeScalars.allSatisfy {
                ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-" || $0 == "$"
            }
            if simple {
                if !out.isEmpty { out += "." }
                out += k
            } else {
                out += "[\(quotedForMessage(k))]"
            }
        }
    }
    return out
}

/// A JSON value as a user would write it: `draft`, `"two words"`, `3`, `null`.
func renderValue(_ value: JSONValue, quoteStrings: Bool) -> String {
    switch value {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .integer(let i): return String(i)
    case .number(let d): return JSONNumber.double(d).text
    case .string(let s):
        let plain = !s.isEmpty && s.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_-./".unicodeScalars.contains($0)
        }
        return quoteStrings || !plain ? quotedForMessage(s) : s
    case .array, .object:
        let text = compactJSON(value)
        return text.unicodeScalars.count <= 80 ? text : String(text.unicodeScalars.prefix(79)) + "…"
    }
}

/// `{"a": [1, 2]}`: structured values in messages, one line.
func compactJSON(_ value: JSONValue) -> String {
    switch value {
    case .array(let items):
        return "[" + items.map(compactJSON).joined(separator: ", ") + "]"
    case .object(let object):
        return "{" + object.pairs.map { "\(quotedForMessage($0.key, limit: 80)): \(compactJSON($0.value))" }.joined(separator: ", ") + "}"
    case .string(let s):
        return quotedForMessage(s, limit: 80)
    default:
        return renderValue(value, quoteStrings: true)
    }
}

/// The offending value in messages about values: `"wip"`, `5`, `a list`.
func valueText(_ node: Node) -> String {
    switch node.kind {
    case .scalar(let s):
        if case .string(let text) = s.value { return quotedForMessage(text) }
        return scalarText(node)
    case .sequence: return "a list"
    case .mapping: return "a mapping"
    }
}

/// A non-string scalar as written (`0x10`, `1e3`, `True`), or "an empty value".
func scalarText(_ node: Node) -> String {
    guard case .scalar(let s) = node.kind else { return valueText(node) }
    if case .null = s.value, s.text.isEmpty { return "an empty value" }
    if case .string(let text) = s.value { return quotedForMessage(text) }
    return s.text.isEmpty ? renderValue(s.value, quoteStrings: true) : s.text
}

/// `string "high"`, `integer 5`, `a list`, `an empty value`.
func describeForType(_ node: Node) -> String {
    switch node.kind {
    case .sequence: return "a list"
    case .mapping: return "a mapping"
    case .scalar(let s):
        switch s.value {
        case .string(let text): return "string \(quotedForMessage(text))"
        case .integer: return "integer \(scalarText(node))"
        case .number: return "number \(scalarText(node))"
        case .bool: return "boolean \(scalarText(node))"
        case .null: return s.text.isEmpty ? "an empty value" : "null"
        case .array, .object: return "a value"
        }
    }
}

/// YAML habits that produce the wrong type: YAML 1.1 booleans, quoted numbers, unquoted strings.
func typeHint(expected: JSONTypes, _ node: Node) -> String {
    guard case .scalar(let s) = node.kind else { return "" }
    let quoted = s.style == .singleQuoted || s.style == .doubleQuoted
    switch s.value {
    case .string(let text):
        let lower = text.lowercased()
        if expected.contains(.boolean) {
            if s.style == .plain, ["yes", "no", "on", "off", "y", "n"].contains(lower) {
                return " (YAML 1.2 reads this as a string; write true or false)"
            }
            if quoted, lower == "true" || lower == "false" {
                return " (it is quoted, so it is a string; remove the quotes)"
            }
        }
        if !expected.intersection(.number).isEmpty {
            if quoted, looksLikeNumber(text) {
                return " (it is quoted, so it is a string; remove the quotes to make it a number)"
            }
            if s.style == .plain, text.contains("_"), looksLikeNumber(String(text.filter { $0 != "_" })) {
                return " (YAML 1.2 reads digits with underscores as a string; write the number without them)"
            }
        }
        if expected.contains(.null), quoted, lower == "null" || text == "~" {
            return " (it is quoted, so it is a string; remove the quotes for null)"
        }
        return ""
    case .integer, .number, .bool:
        if expected.contains(.string), !s.text.isEmpty {
            return " (put it in quotes to make it a string: \(quotedForMessage(s.text)))"
        }
        return ""
    case .null:
        if expected.contains(.string), !s.text.isEmpty {
            return " (put it in quotes to make it a string: \(quotedForMessage(s.text)))"
        }
        return ""
    default:
        return ""
    }
}

/// Decimal numbers as YAML 1.2 reads them: `12`, `-3.5`, `1e3`, `.5`.
func looksLikeNumber(_ text: String) -> Bool {
    var chars = Substring(text).utf8[...]
    if let f = chars.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { chars = chars.dropFirst() }
    var digits = 0
    while let c = chars.first, c >= 0x30 && c <= 0x39 { digits += 1; chars = chars.dropFirst() }
    if chars.first == UInt8(ascii: ".") {
        chars = chars.dropFirst()
        while let c = chars.first, c >= 0x30 && c <= 0x39 { digits += 1; chars = chars.dropFirst() }
    }
    guard digits > 0 else { return false }
    if let e = chars.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
        chars = chars.dropFirst()
        if let sign = chars.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { chars = chars.dropFirst() }
        var expDigits = 0
        while let c = chars.first, c >= 0x30 && c <= 0x39 { expDigits += 1; chars = chars.dropFirst() }
        guard expDigits > 0 else { return false }
    }
    return chars.isEmpty
}
