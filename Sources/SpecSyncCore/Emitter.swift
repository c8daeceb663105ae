/// Writes a document in specsync's canonical form (see README, "Canonical form"):
/// UTF-8, LF, 2-space block style, schema key order, conservative quoting, literal blocks for
/// multi-line strings, every comment kept next to what it was written beside.
public struct CanonicalEmitter {
    /// Canonical key order for the mapping at an instance location (schema `properties` order).
    public typealias KeyOrder = ([PathComponent]) -> [String]

    private let keyOrder: KeyOrder
    private var out: [UInt8] = []
    /// True right after a keep-chomped literal (`|+`): a blank line there would become content.
    private var lastWasKeepBlock = false
    /// Key lists already checked for repeats (`hasNoRepeats`).
    private var checkedOrders: [(order: [String], unique: Bool)] = []
    /// The key lists are known to name each key once (a schema's `propertyOrder`): nothing to check.
    private let keyOrderIsUnique: Bool

    /// `keyOrderIsUnique`: every list `keyOrder` returns names each key at most once (as
    /// `DocumentValidator.propertyOrderIsUnique` promises), so the emitter need not check each list.
    public init(keyOrder: @escaping KeyOrder = { _ in [] }, keyOrderIsUnique: Bool = false) {
        self.keyOrder = keyOrder
        self.keyOrderIsUnique = keyOrderIsUnique
    }

    public static func emit(_ document: YAMLDocument, keyOrder: @escaping KeyOrder = { _ in [] },
                            keyOrderIsUnique: Bool = false) -> [UInt8] {
        var emitter = CanonicalEmitter(keyOrder: keyOrder, keyOrderIsUnique: keyOrderIsUnique)
        emitter.out.reserveCapacity(2048)
        emitter.emitDocument(document)
        return emitter.out
    }

    private mutating func emitDocument(_ document: YAMLDocument) {
        emitTrivia(document.leadingComments, indent: 0, allowBlank: true, atTop: true)
        var path: [PathComponent] = []
        let root = document.root
        switch root.kind {
        case .mapping(let entries) where !entries.isEmpty:
            emitMappingBody(entries, indent: 0, path: &path, depth: 0, firstLine: (false, nil))
        case .sequence(let items) where !items.isEmpty:
            emitSequenceBody(items, indent: 0, path: &path, depth: 0)
        default:
            emitInlineOrBlockValue(root, indent: 0, path: &path, trailing: root.comments.trailing, afterKey: false)
        }
        emitTrivia(root.comments.endOfBlock, indent: 0, allowBlank: true, atTop: false)
        if out.isEmpty { out.append(contentsOf: "null\n".utf8) }
    }

    // MARK: Mappings and sequences

    /// The entries in canonical order. Most mappings are in that order already and come back as they
    /// are, found by one merge-like walk along the key list; otherwise a permutation of indices is
    /// sorted, never the (large) entries themselves.
    private mutating func ordered(_ entries: [Entry], path: [PathComponent]) -> [Entry] {
        guard entries.count > 1 else { return entries }
        let order = keyOrder(path)
        guard !order.isEmpty else { return entries }
        if keyOrderIsUnique || hasNoRepeats(order), Self.isInOrder(entries, order) { return entries }
        // Spec mappings and schema key lists are short: scan. A long mapping (a hostile 100k keys) gets
        // a table, so ranking stays linear in the number of keys.
        var ranks: [Int] = []
        ranks.reserveCapacity(entries.count)
        if entries.count * order.count > 1024 {
            var table: [String: Int] = [:]
            for (i, key) in order.enumerated() where table[key] == nil { table[key] = i }
            for i in entries.indices { ranks.append(table[entries[i].keyText] ?? Int.max) }
        } else {
            for i in entries.indices { ranks.append(order.firstIndex(of: entries[i].keyText) ?? Int.max) }
        }
        let permutation = ranks.indices.sorted { (ranks[$0], $0) < (ranks[$1], $1) }
        return permutation.map { entries[$0] }
    }

    /// Whether a key list names each key once. Answered once per list and document: the schema hands
    /// out the same few arrays again and again (kept here, so a cached array's storage is never reused).
    private mutating func hasNoRepeats(_ order: [String]) -> Bool {
        let base = order.withUnsafeBufferPointer { $0.baseAddress }
        for known in checkedOrders where known.order.count == order.count
            && known.order.withUnsafeBufferPointer({ $0.baseAddress }) == base {
            return known.unique
        }
        let unique = Set(order).count == order.count
        if checkedOrders.count < 16 { checkedOrders.append((order, unique)) }
        return unique
    }

    /// Whether the keys' ranks in `order` (unlisted keys last) never decrease. Walks forward along
    /// `order` as the keys do; a key not found ahead is looked up once from the start. `order` names each
    /// key once (as `Schema.propertyOrder` gives it); a list with repeats takes the general path.
    private static func isInOrder(_ entries: [Entry], _ order: [String]) -> Bool {
        var next = 0          // ranks below this are behind us
        var unlisted = false  // an unlisted key was seen: only unlisted keys may follow
        for i in entries.indices {
            let key = entries[i].keyText
            var j = next
            while j < order.count && order[j] != key { j += 1 }
            if j < order.count {
                // Found ahead: its rank, since `order` names each key once.
                if unlisted { return false }
                next = j + 1
                continue
            }
            if order[..<next].contains(key) { return false }  // listed, but behind us
            unlisted = true
        }
        return true
    }

    /// Entries of a block mapping at `indent`. With `firstLine`, the caller already wrote the `- ` of a
    /// sequence item, the entries are in canonical order, and the first entry continues that line with
    /// the given end-of-line comment.
    private mutating func emitMappingBody(_ unordered: [Entry], indent: Int, path: inout [PathComponent], depth: Int,
                                          firstLine: (written: Bool, trailing: String?) = (false, nil)) {
        let ordered = firstLine.written ? unordered : ordered(unordered, path: path)
        // Entries are read in place through the buffer: binding each to a local, or even passing
        // `array[i].value` along, copied every node (a fifth of `check`'s time went to copying nodes).
        ordered.withUnsafeBufferPointer { entries in
        for i in entries.indices {
            let inline = firstLine.written && i == 0
            if !inline {
                emitTrivia(entries[i].key.comments.leading, indent: indent, allowBlank: depth == 0, atTop: false)
                writeIndent(indent)
            }
            let keyText = entries[i].keyText
            if writeKey(entries[i].key, text: keyText) {
                // libyaml reads implicit keys of up to 1024 characters; longer ones need `? key` / `: value`.
                out.append(UInt8(ascii: "\n"))
                writeIndent(indent)
            }
            out.append(UInt8(ascii: ":"))
            path.append(.key(keyText))
            emitInlineOrBlockValue(entries[i].value, indent: indent, path: &path,
                                   trailing: inline ? firstLine.trailing : entries[i].key.comments.trailing, afterKey: true)
            emitNestedEndOfBlock(entries[i].value, indent: indent + 2)
            path.removeLast()
        }
        }
    }

    /// With `firstItemHoisted`, the caller already took the comments before the first item's first line
    /// (`takeCommentsBeforeFirstLine` works down the whole chain of first items at once, so each level
    /// taking them again made deep nesting quadratic).
    private mutating func emitSequenceBody(_ items: [Node], indent: Int, path: inout [PathComponent], depth: Int,
                                           firstItemHoisted: Bool = false) {
        // Items are read in place through the buffer (see `emitMappingBody`).
        items.withUnsafeBufferPointer { items in
        for i in items.indices {
            path.append(.index(i))
            defer { path.removeLast() }
            var leading = items[i].comments.leading
            var trailing = items[i].comments.trailing
            if case .mapping(let entries) = items[i].kind, !entries.isEmpty {
                var sorted = ordered(entries, path: path)
                leading += takeCommentsAboveDash(&sorted, itemTrailing: &trailing)
                // The `- key: value` line holds the first key's end-of-line comment, else the item's.
                let firstTrailing = sorted[0].key.comments.trailing ?? trailing
                emitTrivia(leading, indent: indent, allowBlank: false, atTop: false)
                writeIndent(indent)
                out.append(contentsOf: "- ".utf8)
                emitMappingBody(sorted, indent: indent + 2, path: &path, depth: depth + 1, firstLine: (true, firstTrailing))
                emitTrivia(items[i].comments.endOfBlock, indent: indent + 2, allowBlank: false, atTop: false)
                continue
            }
            if case .sequence(let nested) = items[i].kind, !nested.isEmpty {
                // Comments between this `-` line and the nested sequence's first line: a re-read puts
                // them above the `-`, so they are written there (found by the fuzzer, with an anchor).
                var item = items[i]
                if !(i == 0 && firstItemHoisted) {
                    leading += takeCommentsBeforeFirstLine(of: &item, path: &path)
                }
                emitTrivia(leading, indent: indent, allowBlank: false, atTop: false)
                writeIndent(indent)
                out.append(UInt8(ascii: "-"))
                emitInlineOrBlockValue(item, indent: indent, path: &path, trailing: trailing, afterKey: true,
                                       firstItemHoisted: true)
                emitNestedEndOfBlock(item, indent: indent + 2)
                continue
            }
            emitTrivia(leading, indent: indent, allowBlank: false, atTop: false)
            writeIndent(indent)
            out.append(UInt8(ascii: "-"))
            emitInlineOrBlockValue(items[i], indent: indent, path: &path, trailing: trailing, afterKey: true)
            emitNestedEndOfBlock(items[i], indent: indent + 2)
        }
        }
    }

    /// A mapping written as a list item starts on its `- ` line, so the comments above its first key go
    /// above the dash, where a re-read puts them back — and the item's own end-of-line comment too when
    /// the first key has one (a line holds one comment). Takes those out of `entries` and `itemTrailing`.
    private func takeCommentsAboveDash(_ entries: inout [Entry], itemTrailing: inout String?) -> [TriviaLine] {
        var above = entries[0].key.comments.leading
        // Written only when there is something to take: a write copies the whole (shared) entry array.
        if !above.isEmpty { entries[0].key.comments.leading = [] }
        if entries[0].key.comments.trailing != nil, let extra = itemTrailing {
            above.append(.comment(extra))
            itemTrailing = nil
        }
        return above
    }

    /// For a block sequence written after a `-`: takes out the comments its emission would write before
    /// its first line — its first item's leading comments, and those the first item hoists itself (a
    /// mapping's first key's, a nested sequence's, recursively).
    private mutating func takeCommentsBeforeFirstLine(of node: inout Node, path: inout [PathComponent]) -> [TriviaLine] {
        guard case .sequence(var nested) = node.kind, !nested.isEmpty else { return [] }
        var taken = nested[0].comments.leading
        nested[0].comments.leading = []
        path.append(.index(0))
        defer { path.removeLast() }
        switch nested[0].kind {
        case .mapping(let entries) where !entries.isEmpty:
            var sorted = ordered(entries, path: path)
            taken += takeCommentsAboveDash(&sorted, itemTrailing: &nested[0].comments.trailing)
            nested[0].kind = .mapping(sorted)
        case .sequence(let inner) where !inner.isEmpty:
            taken += takeCommentsBeforeFirstLine(of: &nested[0], path: &path)
        default:
            break
        }
        node.kind = .sequence(nested)
        return taken
    }

    /// The value after `key:` or `-`: inline scalar, literal block, empty collection, or a nested block.
    private mutating func emitInlineOrBlockValue(_ node: Node, indent: Int, path: inout [PathComponent],
                                                 trailing: String?, afterKey: Bool, firstItemHoisted: Bool = false) {
        lastWasKeepBlock = false
        switch node.kind {
        case .scalar(let scalar):
            if afterKey { out.append(UInt8(ascii: " ")) }
            if case .string(let s) = scalar.value, let block = LiteralBlock(s) {
                out.append(UInt8(ascii: "|"))
                out.append(contentsOf: block.chomping.utf8)
                writeTrailing(trailing)
                out.append(UInt8(ascii: "\n"))
                var text = block.text
                text.withUTF8 { bytes in
                    var lineStart = 0
                    for i in 0...block.bodyLength where i == block.bodyLength || bytes[i] == UInt8(ascii: "\n") {
                        if i > lineStart {
                            writeIndent(indent + 2)
                            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<i]))
                        }
                        out.append(UInt8(ascii: "\n"))
                        lineStart = i + 1
                    }
                }
                for _ in 0..<block.extraNewlines { out.append(UInt8(ascii: "\n")) }
                lastWasKeepBlock = block.extraNewlines > 0
                return
            }
            writeScalar(scalar)
            writeTrailing(trailing)
            out.append(UInt8(ascii: "\n"))
        case .mapping(let entries):
            writeCollectionLineEnd(empty: entries.isEmpty ? "{}" : nil, afterKey: afterKey, trailing: trailing)
            if !entries.isEmpty {
                emitMappingBody(entries, indent: indent + 2, path: &path, depth: path.count, firstLine: (false, nil))
            }
        case .sequence(let items):
            writeCollectionLineEnd(empty: items.isEmpty ? "[]" : nil, afterKey: afterKey, trailing: trailing)
            if !items.isEmpty {
                emitSequenceBody(items, indent: indent + 2, path: &path, depth: path.count,
                                 firstItemHoisted: firstItemHoisted)
            }
        }
    }

    /// Ends the `key:` or `-` line of a collection: inline `[]`/`{}` when empty, then its comment.
    private mutating func writeCollectionLineEnd(empty: String?, afterKey: Bool, trailing: String?) {
        if let empty {
            if afterKey { out.append(UInt8(ascii: " ")) }
            out.append(contentsOf: empty.utf8)
        }
        writeTrailing(trailing)
        out.append(UInt8(ascii: "\n"))
    }

    private mutating func emitNestedEndOfBlock(_ node: Node, indent: Int) {
        switch node.kind {
        case .mapping, .sequence:
            emitTrivia(node.comments.endOfBlock, indent: indent, allowBlank: false, atTop: false)
        case .scalar:
            // A scalar has no block of its own; its stray comments follow it at the parent's level.
            emitTrivia(node.comments.endOfBlock, indent: max(0, indent - 2), allowBlank: false, atTop: false)
        }
    }

    // MARK: Comments and blank lines

    /// Own-line comments and blank lines. Blank lines are kept (collapsed to one) only between
    /// top-level entries; never at the very top of the file or after a keep-chomped block.
    private mutating func emitTrivia(_ trivia: [TriviaLine], indent: Int, allowBlank: Bool, atTop: Bool) {
        for line in trivia {
            switch line {
            case .blank:
                guard allowBlank, !out.isEmpty, !lastWasKeepBlock else { continue }
                if out.count >= 2 && out[out.count - 1] == 0x0A && out[out.count - 2] == 0x0A { continue }
                out.append(UInt8(ascii: "\n"))
            case .comment(let text):
                writeIndent(indent)
                write(text)
                out.append(UInt8(ascii: "\n"))
                lastWasKeepBlock = false
            }
        }
    }

    /// A string's bytes, copied as one block (appending a `String.UTF8View` goes element by element).
    private mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    private mutating func writeTrailing(_ comment: String?) {
        guard let comment else { return }
        out.append(contentsOf: "  ".utf8)
        write(comment)
    }

    private mutating func writeIndent(_ n: Int) {
        for _ in 0..<n { out.append(UInt8(ascii: " ")) }
    }

    // MARK: Scalars

    /// Writes a key; returns true when it was written as an explicit `? key` (too long for an implicit one).
    private mutating func writeKey(_ node: Node, text key: String) -> Bool {
        let explicit = key.utf8.count > 1000
        if explicit { out.append(contentsOf: "? ".utf8) }
        if case .scalar(let scalar) = node.kind, Self.isNonString(scalar.value) {
            // `1:`, `true:`, `~:`, `0x1F:` keep their type and their text (the text is the key in the
            // JSON data the schema checks); quoting would make them strings.
            if !key.isEmpty, scalar.style == .plain, Self.isNonString(ScalarResolver.resolvePlain(key)) {
                write(key)
            } else {
                writeScalar(scalar)
            }
        } else if ScalarResolver.isPlainSafe(key) {
            write(key)
        } else {
            writeDoubleQuoted(key)
        }
        return explicit
    }

    private static func isNonString(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .integer, .number: return true
        case .string, .array, .object: return false
        }
    }

    private mutating func writeScalar(_ scalar: Scalar) {
        switch scalar.value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .number(let d):
            if let digits = Self.bigInteger(scalar) {
                out.append(contentsOf: digits.utf8)  // beyond 64 bits: keep the integer, not a float
            } else {
                out.append(contentsOf: Self.canonicalFloat(d).utf8)
            }
        case .string(let s):
            if ScalarResolver.isPlainSafe(s) { write(s) } else { writeDoubleQuoted(s) }
        case .array, .object:
            break  // scalars never hold collections
        }
    }

    /// The decimal digits of a plain integer too large for 64 bits, without sign `+` or leading zeros.
    static func bigInteger(_ scalar: Scalar) -> String? {
        guard scalar.style == .plain, scalar.tag == nil else { return nil }
        var text = Substring(scalar.text)
        var negative = false
        if text.hasPrefix("-") { negative = true; text = text.dropFirst() } else if text.hasPrefix("+") { text = text.dropFirst() }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let digits = text.drop { $0 == "0" }
        return (negative ? "-" : "") + (digits.isEmpty ? "0" : String(digits))
    }

    /// A float both YAML 1.1 (needs a dot, signed exponent) and 1.2 readers read as the same float.
    static func canonicalFloat(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        var text = "\(d)"
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var mantissa = String(text[..<e])
            var exponent = String(text[text.index(after: e)...])
            if !mantissa.contains(".") { mantissa += ".0" }
            if !exponent.hasPrefix("-") && !exponent.hasPrefix("+") { exponent = "+" + exponent }
            text = mantissa + "e" + exponent
        } else if !text.contains(".") {
            text += ".0"
        }
        return text
    }

    private mutating func writeDoubleQuoted(_ s: String) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "\n": out.append(contentsOf: "\\n".utf8)
            case "\t": out.append(contentsOf: "\\t".utf8)
            case "\r": out.append(contentsOf: "\\r".utf8)
            case "\u{0}": out.append(contentsOf: "\\0".utf8)
            case "\u{7}": out.append(contentsOf: "\\a".utf8)
            case "\u{8}": out.append(contentsOf: "\\b".utf8)
            case "\u{B}": out.append(contentsOf: "\\v".utf8)
            case "\u{C}": out.append(contentsOf: "\\f".utf8)
            case "\u{1B}": out.append(contentsOf: "\\e".utf8)
            case "\u{85}": out.append(contentsOf: "\\N".utf8)
            case "\u{A0}": out.append(contentsOf: "\\_".utf8)
            case "\u{2028}": out.append(contentsOf: "\\L".utf8)
            case "\u{2029}": out.append(contentsOf: "\\P".utf8)
            default:
                if ScalarResolver.isPlainPrintable(scalar) {
                    // Encoded in place: a String per character cost more than the rest of the quoting.
                    UTF8.encode(scalar) { out.append($0) }
                } else if scalar.value <= 0xFF {
                    out.append(contentsOf: "\\x\(hexByte(UInt8(scalar.value)))".utf8)
                } else {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                    out.append(contentsOf: (hex.count <= 4 ? "\\u" : "\\U000") .utf8)
                    out.append(contentsOf: (hex.count <= 4 ? padded : String(repeating: "0", count: max(0, 5 - hex.count)) + hex).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A multi-line string as a literal block (`|`, `|-`, `|+`), when its content allows one:
/// no trailing whitespace on any line, no leading space on the first line (that would need an
/// indentation indicator), only printable characters, at least one non-empty line.
struct LiteralBlock {
    /// The string; its first `bodyLength` bytes are the lines, the rest the trailing line breaks.
    let text: String
    let bodyLength: Int
    let chomping: String
    let extraNewlines: Int

    init?(_ s: String) {
        var text = s
        // Asked of every string, so one pass over the contiguous bytes, no String indices, no lines array.
        guard let shape = text.withUTF8({ Self.shape(of: $0) }) else { return nil }
        if shape.hasNonASCII,
           s.unicodeScalars.contains(where: { $0 != "\n" && $0 != "\t" && !ScalarResolver.isPlainPrintable($0) }) {
            return nil
        }
        self.text = text
        bodyLength = shape.bodyLength
        switch shape.trailingNewlines {
        case 0: chomping = "-"; extraNewlines = 0
        case 1: chomping = ""; extraNewlines = 0
        case let n: chomping = "+"; extraNewlines = n - 1
        }
    }

    /// Whether the bytes can be a literal block (a line break in them, no control character but tab,
    /// no line ending in a space or tab, no tab at a line start, the first line neither empty nor
    /// indented), and if so where the trailing line breaks begin.
    private static func shape(of u: UnsafeBufferPointer<UInt8>) -> (bodyLength: Int, trailingNewlines: Int, hasNonASCII: Bool)? {
        // Most strings are one line: memchr answers for them.
        guard ByteScan.index(of: 0x0A, in: u, from: 0) != nil else { return nil }
        var bodyLength = u.count
        while bodyLength > 0 && u[bodyLength - 1] == UInt8(ascii: "\n") { bodyLength -= 1 }
        guard bodyLength > 0 else { return nil }
        let first = u[0]
        // An empty first line would start the block with a line break YAML folds into the indicator line;
        // an indented first line would need an indentation indicator.
        guard first != UInt8(ascii: "\n"), first != UInt8(ascii: " "), first != UInt8(ascii: "\t") else { return nil }
        var sawBreak = bodyLength < u.count
        var hasNonASCII = false
        var previous: UInt8 = 0
        for i in 0..<bodyLength {
            let b = u[i]
            if b == UInt8(ascii: "\n") {
                if previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t") { return nil }
                sawBreak = true
            } else if b == UInt8(ascii: "\t") {
                if previous == UInt8(ascii: "\n") { return nil }
            } else if b < 0x20 || b == 0x7F {
                return nil
            } else if b >= 0x80 {
                hasNonASCII = true
            }
            previous = b
        }
        if previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t") { return nil }
        return sawBreak ? (bodyLength, u.count - bodyLength, hasNonASCII) : nil
    }
}
