import SpecSyncCore

// Turns a JSON Schema (draft 2020-12) document into the node table the validator walks.
// Every keyword is either implemented, an accepted annotation, or a load error: nothing is
// silently ignored.

struct SchemaCompiler {
    static let annotationKeywords: Set<String> = [
        "$schema", "$id", "$comment", "title", "description", "default", "examples",
        "deprecated", "readOnly", "writeOnly", "$defs", "definitions",
    ]
    static let assertionKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "prefixItems", "enum", "const",
        "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "format", "$ref",
        "allOf", "anyOf", "oneOf", "not",
    ]
    /// Standard keywords specsync knows about but does not implement, with what to do instead.
    static let knownUnsupported: [String: String] = [
        "patternProperties": "list the keys under \"properties\" or use \"additionalProperties\"",
        "propertyNames": "specsync does not implement it",
        "dependentRequired": "specsync does not implement it",
        "dependentSchemas": "specsync does not implement it",
        "dependencies": "it is from draft-07; 2020-12 splits it, and specsync implements neither",
        "additionalItems": "it is from draft-07; in 2020-12 use \"prefixItems\" with \"items\"",
        "contains": "specsync does not implement it",
        "minContains": "specsync does not implement it",
        "maxContains": "specsync does not implement it",
        "unevaluatedProperties": "use \"additionalProperties\" instead",
        "unevaluatedItems": "use \"items\" instead",
        "if": "conditionals (if/then/else) are not implemented; express the rule with anyOf/oneOf",
        "then": "conditionals (if/then/else) are not implemented; express the rule with anyOf/oneOf",
        "else": "conditionals (if/then/else) are not implemented; express the rule with anyOf/oneOf",
        "multipleOf": "specsync does not implement it",
        "contentEncoding": "specsync does not implement it",
        "contentMediaType": "specsync does not implement it",
        "contentSchema": "specsync does not implement it",
        "$anchor": "named anchors are not supported; refer to \"#/$defs/name\" instead",
        "$dynamicAnchor": "dynamic references are not supported",
        "$dynamicRef": "dynamic references are not supported",
        "$recursiveRef": "it is from draft 2019-09; use \"$ref\"",
        "$recursiveAnchor": "it is from draft 2019-09",
        "$vocabulary": "custom vocabularies are not supported",
    ]
    static let dialects: Set<String> = [
        "https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2020-12/schema#",
        "http://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft/2020-12/schema#",
    ]
    static let maxNodes = 100_000

    let source: String
    let root: JSONValue
    var drafts: [SchemaDraft] = []
    var byPointer: [String: Int32] = [:]
    var pendingRefs: [(node: Int32, ref: String, pointer: String)] = []
    var rootID: String?

    init(root: JSONValue, source: String) {
        self.root = root
        self.source = source
    }

    func fail(_ path: [PathComponent], _ reason: SchemaLoadError.Reason) -> SchemaLoadError {
        SchemaLoadError(source: source, pointer: path.jsonPointer, reason: reason)
    }

    // MARK: Walking the document

    mutating func compile(_ value: JSONValue, at path: [PathComponent]) throws(SchemaLoadError) -> Int32 {
        guard drafts.count < SchemaCompiler.maxNodes else {
            throw fail(path, .tooComplex("more than \(SchemaCompiler.maxNodes) subschemas"))
        }
        let pointer = path.jsonPointer
        let index = Int32(drafts.count)
        drafts.append(SchemaDraft(pointer: pointer))
        byPointer[pointer] = index

        switch value {
        case .bool(let b):
            drafts[Int(index)].boolean = b
            drafts[Int(index)].staticTypes = b ? .all : []
            return index
        case .object(let object):
            var d = SchemaDraft(pointer: pointer)
            for (keyword, v) in object.pairs {
                try compileKeyword(keyword, v, into: &d, at: path, node: index)
            }
            drafts[Int(index)] = d
            return index
        default:
            throw fail(path, .notASchema(found: describeJSON(value)))
        }
    }

    mutating func compileKeyword(_ keyword: String, _ v: JSONValue, into d: inout SchemaDraft,
                                 at path: [PathComponent], node index: Int32) throws(SchemaLoadError) {
        let here = path + [.key(keyword)]
        switch keyword {
        case "type":
            d.types = try typeSet(v, at: here)
        case "properties":
            guard case .object(let props) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "an object mapping property names to schemas")) }
            for (name, sub) in props.pairs {
                d.properties.append((name, try compile(sub, at: here + [.key(name)])))
            }
        case "required":
            d.required = try uniqueStrings(v, keyword: keyword, at: here)
        case "additionalProperties":
            d.additionalProperties = try compile(v, at: here)
        case "items":
            if case .array = v {
                throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a single schema in draft 2020-12 (for a tuple, use \"prefixItems\")"))
            }
            d.items = try compile(v, at: here)
        case "prefixItems":
            d.prefixItems = try schemaArray(v, keyword: keyword, at: here)
        case "enum":
            guard case .array(let values) = v, !values.isEmpty else {
                throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a non-empty array of allowed values"))
            }
            d.enumValues = values
        case "const":
            d.constValue = v
        case "pattern":
            guard case .string(let p) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a string (an ECMA-262 regular expression)")) }
            do {
                d.pattern = try ECMARegex(p)
            } catch {
                throw fail(here, .invalidPattern(pattern: p, problem: error.message, offset: error.offset))
            }
        case "minLength": d.minLength = try nonNegativeInteger(v, keyword: keyword, at: here)
        case "maxLength": d.maxLength = try nonNegativeInteger(v, keyword: keyword, at: here)
        case "minItems": d.minItems = try nonNegativeInteger(v, keyword: keyword, at: here)
        case "maxItems": d.maxItems = try nonNegativeInteger(v, keyword: keyword, at: here)
        case "minProperties": d.minProperties = try nonNegativeInteger(v, keyword: keyword, at: here)
        case "maxProperties": d.maxProperties = try nonNegativeInteger(v, keyword: keyword, at: here)
        case "minimum": d.minimum = try number(v, keyword: keyword, at: here)
        case "maximum": d.maximum = try number(v, keyword: keyword, at: here)
        case "exclusiveMinimum": d.exclusiveMinimum = try number(v, keyword: keyword, at: here)
        case "exclusiveMaximum": d.exclusiveMaximum = try number(v, keyword: keyword, at: here)
        case "uniqueItems":
            guard case .bool(let b) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "true or false")) }
            d.uniqueItems = b
        case "format":
            guard case .string(let f) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a string")) }
            guard f == "date-time" else { throw fail(here, .unsupportedFormat(f)) }
            d.checksDateTime = true
        case "$ref":
            guard case .string(let r) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a string such as \"#/$defs/name\"")) }
            pendingRefs.append((index, r, here.jsonPointer))
        case "allOf": d.allOf = try schemaArray(v, keyword: keyword, at: here)
        case "anyOf": d.anyOf = try schemaArray(v, keyword: keyword, at: here)
        case "oneOf": d.oneOf = try schemaArray(v, keyword: keyword, at: here)
        case "not": d.not = try compile(v, at: here)
        case "$defs", "definitions":
            guard case .object(let defs) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "an object mapping names to schemas")) }
            for (name, sub) in defs.pairs {
                _ = try compile(sub, at: here + [.key(name)])
            }
        case "$schema":
            guard case .string(let uri) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a string")) }
            guard SchemaCompiler.dialects.contains(uri) else { throw fail(here, .unsupportedDialect(uri)) }
        case "$id":
            guard case .string(let id) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a string")) }
            guard path.isEmpty else { throw fail(here, .nestedID(id)) }
            rootID = id
        case "title", "$comment":
            guard case .string = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a string")) }
        case "description":
            guard case .string(let text) = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "a string")) }
            d.description = text
        case "deprecated", "readOnly", "writeOnly":
            guard case .bool = v else { throw fail(here, .invalidKeywordValue(keyword: keyword, expected: "true or false")) }
        case "default", "examples":
            break
        default:
            throw fail(here, .unsupportedKeyword(keyword, note: SchemaCompiler.note(forUnknown: keyword)))
        }
    }

    static func note(forUnknown keyword: String) -> String {
        if let known = knownUnsupported[keyword] { return known }
        let all = Array(assertionKeywords) + Array(annotationKeywords)
        if let guess = closestMatch(to: keyword, in: all.sorted()) {
            return "did you mean \"\(guess)\"?"
        }
        return "specsync rejects keywords it does not implement rather than ignore them; remove it (see docs/schema.md)"
    }

    // MARK: Keyword values

    func typeSet(_ v: JSONValue, at path: [PathComponent]) throws(SchemaLoadError) -> JSONTypes {
        let expected = "a type name (null, boolean, integer, number, string, array, object) or a list of them"
        func one(_ name: String, at p: [PathComponent]) throws(SchemaLoadError) -> JSONTypes {
            if let match = JSONTypes.schemaNames.first(where: { $0.0 == name }) { return match.1 }
            let aliases = ["int": "integer", "bool": "boolean", "float": "number", "double": "number",
                           "list": "array", "map": "object", "mapping": "object", "dict": "object", "str": "string"]
            let guess = aliases[name.lowercased()] ?? closestMatch(to: name, in: JSONTypes.schemaNames.map(\.0))
            let hint = guess.map { " (did you mean \"\($0)\"?)" } ?? ""
            throw fail(p, .invalidKeywordValue(keyword: "type", expected: "\(expected); \"\(name)\" is not a type\(hint)"))
        }
        switch v {
        case .string(let name):
            return try one(name, at: path)
        case .array(let names) where !names.isEmpty:
            var set: JSONTypes = []
            var seen = Set<String>()
            for (i, item) in names.enumerated() {
                guard case .string(let name) = item, seen.insert(name).inserted else {
                    throw fail(path + [.index(i)], .invalidKeywordValue(keyword: "type", expected: "a list of distinct type names"))
                }
                set.formUnion(try one(name, at: path + [.index(i)]))
            }
            return set
        default:
            throw fail(path, .invalidKeywordValue(keyword: "type", expected: expected))
        }
    }

    func uniqueStrings(_ v: JSONValue, keyword: String, at path: [PathComponent]) throws(SchemaLoadError) -> [String] {
        guard case .array(let items) = v else {
            throw fail(path, .invalidKeywordValue(keyword: keyword, expected: "an array of property names"))
        }
        var out: [String] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw fail(path + [.index(i)], .invalidKeywordValue(keyword: keyword, expected: "an array of strings"))
            }
            guard seen.insert(s).inserted else {
                throw fail(path + [.index(i)], .invalidKeywordValue(keyword: keyword, expected: "an array of distinct names (\"\(s)\" repeats)"))
            }
            out.append(s)
        }
        return out
    }

    mutating func schemaArray(_ v: JSONValue, keyword: String, at path: [PathComponent]) throws(SchemaLoadError) -> [Int32] {
        guard case .array(let items) = v, !items.isEmpty else {
            throw fail(path, .invalidKeywordValue(keyword: keyword, expected: "a non-empty array of schemas"))
        }
        var out: [Int32] = []
        for (i, item) in items.enumerated() {
            out.append(try compile(item, at: path + [.index(i)]))
        }
        return out
    }

    func nonNegativeInteger(_ v: JSONValue, keyword: String, at path: [PathComponent]) throws(SchemaLoadError) -> Int {
        switch v {
        case .integer(let i) where i >= 0: return i
        case .number(let d) where isIntegral(d) && d >= 0:
            if let i = Int(exactly: d) { return i }
        default: break
        }
        throw fail(path, .invalidKeywordValue(keyword: keyword, expected: "a non-negative integer"))
    }

    func number(_ v: JSONValue, keyword: String, at path: [PathComponent]) throws(SchemaLoadError) -> JSONNumber {
        guard let n = JSONNumber(v) else {
            throw fail(path, .invalidKeywordValue(keyword: keyword, expected: "a number"))
        }
        return n
    }

    // MARK: References

    mutating func resolveRefs() throws(SchemaLoadError) {
        for (node, ref, pointer) in pendingRefs {
            let at = SchemaLoadError(source: source, pointer: pointer, reason: .externalRef(ref))
            var fragment: Substring
            if ref.hasPrefix("#") {
                fragment = ref.dropFirst()
            } else if let id = rootID, ref.hasPrefix(id) {
                let rest = ref.dropFirst(id.count)
                if rest.isEmpty {
                    fragment = ""
                } else if rest.hasPrefix("#") {
                    fragment = rest.dropFirst()
                } else {
                    throw at
                }
            } else {
                throw at
            }
            guard let decoded = percentDecoded(fragment) else {
                throw SchemaLoadError(source: source, pointer: pointer, reason: .unresolvedRef(ref, hint: "its %-escapes are malformed"))
            }
            if decoded.isEmpty {
                drafts[Int(node)].ref = 0
                continue
            }
            guard decoded.hasPrefix("/") else {
                throw SchemaLoadError(source: source, pointer: pointer, reason: .anchorRef(ref))
            }
            var tokens: [PathComponent] = []
            for raw in decoded.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                guard let token = unescapePointerToken(raw) else {
                    throw SchemaLoadError(source: source, pointer: pointer, reason: .unresolvedRef(ref, hint: "\"~\" must be written ~0 and \"/\" ~1"))
                }
                tokens.append(.key(token))
            }
            if let target = byPointer[tokens.jsonPointer] {
                drafts[Int(node)].ref = target
                continue
            }
            if value(at: tokens) != nil {
                throw SchemaLoadError(source: source, pointer: pointer, reason: .refTargetNotSchema(ref))
            }
            throw SchemaLoadError(source: source, pointer: pointer, reason: .unresolvedRef(ref, hint: refHint(tokens)))
        }
    }

    func value(at tokens: [PathComponent]) -> JSONValue? {
        var current = root
        for token in tokens {
            guard case .key(let k) = token else { return nil }
            switch current {
            case .object(let o):
                guard let next = o[k] else { return nil }
                current = next
            case .array(let a):
                guard let i = Int(k), a.indices.contains(i) else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }

    func refHint(_ tokens: [PathComponent]) -> String {
        guard tokens.count == 2, case .key(let container) = tokens[0], case .key(let name) = tokens[1],
              container == "$defs" || container == "definitions" else { return "" }
        guard case .object(let o) = root, case .object(let defs)? = o[container] else {
            return "this schema has no \"\(container)\""
        }
        let names = defs.keys
        if let guess = closestMatch(to: name, in: names) { return "did you mean \"#/\(container)/\(guess)\"?" }
        return "\"\(container)\" defines: " + names.joined(separator: ", ")
    }

    // MARK: Cycles and static types

    /// Rejects loops through `$ref`/`allOf`/`anyOf`/`oneOf`/`not` (no input consumed), then computes
    /// each node's possible instance types bottom-up.
    mutating func checkCyclesAndComputeTypes() throws(SchemaLoadError) {
        let n = drafts.count
        func children(_ i: Int) -> [Int32] {
            let d = drafts[i]
            var out: [Int32] = []
            if d.ref != noSchema { out.append(d.ref) }
            out += d.allOf + d.anyOf + d.oneOf
            if d.not != noSchema { out.append(d.not) }
            return out
        }
        // 0 = unvisited, 1 = on the stack, 2 = done. Iterative so long $ref chains cannot overflow the stack.
        var state = [UInt8](repeating: 0, count: n)
        var postOrder: [Int] = []
        for startNode in 0..<n where state[startNode] == 0 {
            var stack: [(node: Int, next: Int, kids: [Int32])] = [(startNode, 0, children(startNode))]
            state[startNode] = 1
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].next < stack[top].kids.count {
                    let child = Int(stack[top].kids[stack[top].next])
                    stack[top].next += 1
                    if state[child] == 1 {
                        let loopStart = stack.firstIndex { $0.node == child } ?? 0
                        var loop = stack[loopStart...].map { drafts[$0.node].pointer }
                        loop.append(drafts[child].pointer)
                        throw SchemaLoadError(source: source, pointer: drafts[child].pointer, reason: .refCycle(loop))
                    }
                    if state[child] == 0 {
                        state[child] = 1
                        stack.append((child, 0, children(child)))
                    }
                } else {
                    state[stack[top].node] = 2
                    postOrder.append(stack[top].node)
                    stack.removeLast()
                }
            }
        }
        for i in postOrder {
            let d = drafts[i]
            if let b = d.boolean {
                drafts[i].staticTypes = b ? .all : []
                continue
            }
            var types = d.types ?? .all
            if let c = d.constValue { types.formIntersection(JSONTypes.of(c)) }
            if let values = d.enumValues {
                var union: JSONTypes = []
                for v in values { union.formUnion(JSONTypes.of(v)) }
                types.formIntersection(union)
            }
            if d.ref != noSchema { types.formIntersection(drafts[Int(d.ref)].staticTypes) }
            for a in d.allOf { types.formIntersection(drafts[Int(a)].staticTypes) }
            for group in [d.anyOf, d.oneOf] where !group.isEmpty {
                var union: JSONTypes = []
                for a in group { union.formUnion(drafts[Int(a)].staticTypes) }
                types.formIntersection(union)
            }
            drafts[i].staticTypes = types
        }
    }
}

func describeJSON(_ value: JSONValue) -> String {
    switch value {
    case .null: return "null"
    case .bool(let b): return "boolean \(b)"
    case .integer(let i): return "number \(i)"
    case .number(let d): return "number \(d)"
    case .string(let s): return "string \(quotedForMessage(s))"
    case .array: return "an array"
    case .object: return "an object"
    }
}

func unescapePointerToken(_ raw: Substring) -> String? {
    guard raw.contains("~") else { return String(raw) }
    var out = ""
    var iterator = raw.unicodeScalars.makeIterator()
    while let c = iterator.next() {
        if c == "~" {
            switch iterator.next() {
            case "0": out.append("~")
            case "1": out.append("/")
            default: return nil
            }
        } else {
            out.unicodeScalars.append(c)
        }
    }
    return out
}

func percentDecoded(_ text: Substring) -> String? {
    guard text.contains("%") else { return String(text) }
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let b = utf8.popFirst() {
        if b == UInt8(ascii: "%") {
            guard let h = utf8.popFirst(), let l = utf8.popFirst(),
                  let hv = hexDigit(h), let lv = hexDigit(l) else { return nil }
            bytes.append(hv << 4 | lv)
        } else {
            bytes.append(b)
        }
    }
    return String(validating: bytes, as: UTF8.self)
}

private func hexDigit(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
}
