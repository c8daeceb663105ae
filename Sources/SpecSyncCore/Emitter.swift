/// Writes a document in specsync's canonical form (see README, "Canonical form"):
/// UTF-8, LF, 2-space block style, schema key order, conservative quoting, literal blocks for
/// multi-line strings, every comment kept next to what it was written beside.
///
/// Nodes are read in place through pointers into the document's arrays: a node passed by value to a
/// method that writes is copied, with a retain and a release for each of its strings and arrays (that
/// was a third of the emitter's time).
///
/// Not copyable: it owns its output buffer's memory (`ByteSink`), and a copy would share it.
public struct CanonicalEmitter: ~Copyable {
    /// Canonical key order for the mapping at an instance location (schema `properties` order).
    public typealias KeyOrder = ([PathComponent]) -> [String]

    private let keyOrder: KeyOrder
    private var out = ByteSink()
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
        // The canonical text is about as long as the input, which ends about where the root does.
        let inputSize = max(0, document.root.end.offset)
        emitter.out.reserve(inputSize + inputSize / 8 + 256)
        emitter.emitDocument(document)
        return emitter.out.bytes
    }

    private mutating func emitDocument(_ document: YAMLDocument) {
        emitTrivia(document.leadingComments, indent: 0, allowBlank: true)
        var path: [PathComponent] = []
        withUnsafePointer(to: document.root) { root in
            switch root.pointee.kind {
            case .mapping(let entries) where !entries.isEmpty:
                emitMappingBody(entries, order: canonicalOrder(entries, path: path), indent: 0, path: &path, depth: 0)
            case .sequence(let items) where !items.isEmpty:
                emitSequenceBody(items, indent: 0, path: &path, depth: 0)
            default:
                emitInlineOrBlockValue(root, indent: 0, path: &path, trailing: root.pointee.comments.trailing,
                                       afterKey: false)
            }
            emitTrivia(root.pointee.comments.endOfBlock, indent: 0, allowBlank: true)
        }
        if out.isEmpty { out.append("null\n") }
    }

    // MARK: Mappings and sequences

    /// The entries' canonical order as a permutation of their indices, or nil when they are in it
    /// already. Most mappings are, found by one merge-like walk along the key list; the others get a
    /// sorted permutation, and the (large) entries themselves are never copied.
    private mutating func canonicalOrder(_ entries: [Entry], path: [PathComponent]) -> [Int]? {
        guard entries.count > 1 else { return nil }
        let order = keyOrder(path)
        guard !order.isEmpty else { return nil }
        return entries.withUnsafeBufferPointer { entries -> [Int]? in
            guard let base = entries.baseAddress else { return nil }
            if keyOrderIsUnique || hasNoRepeats(order), Self.isInOrder(entries, order) { return nil }
            // Spec mappings and schema key lists are short: scan. A long mapping (a hostile 100k keys) gets
            // a table, so ranking stays linear in the number of keys.
            var ranks: [Int] = []
            ranks.reserveCapacity(entries.count)
            if entries.count * order.count > 1024 {
                var table: [String: Int] = [:]
                for (i, key) in order.enumerated() where table[key] == nil { table[key] = i }
                for i in entries.indices { ranks.append(table[Self.keyText(base + i)] ?? Int.max) }
            } else {
                for i in entries.indices { ranks.append(order.firstIndex(of: Self.keyText(base + i)) ?? Int.max) }
            }
            return ranks.indices.sorted { (ranks[$0], $0) < (ranks[$1], $1) }
        }
    }

    /// The entries in canonical order, as an array (for the few places that change an entry).
    private mutating func ordered(_ entries: [Entry], path: [PathComponent]) -> [Entry] {
        guard let permutation = canonicalOrder(entries, path: path) else { return entries }
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
    private static func isInOrder(_ entries: UnsafeBufferPointer<Entry>, _ order: [String]) -> Bool {
        guard let base = entries.baseAddress else { return true }
        var next = 0          // ranks below this are behind us
        var unlisted = false  // an unlisted key was seen: only unlisted keys may follow
        for i in entries.indices {
            let key = keyText(base + i)
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

    /// An entry's key as a string (keys of spec documents are scalars).
    @inline(never)  // see `stringValue`
    private static func keyText(_ entry: UnsafePointer<Entry>) -> String {
        switch entry.pointee.key.kind {
        case .scalar(let scalar): return scalar.text
        case .sequence, .mapping: return ""
        }
    }

    /// Entries of a block mapping at `indent`, in the order of `permutation` (nil: as they are). With
    /// `firstLine`, the caller already wrote the `- ` of a sequence item and the first entry continues
    /// that line with the given end-of-line comment.
    private mutating func emitMappingBody(_ entries: [Entry], order permutation: [Int]?, indent: Int,
                                          path: inout [PathComponent], depth: Int,
                                          firstLine: (written: Bool, trailing: String?) = (false, nil)) {
        entries.withUnsafeBufferPointer { entries in
        guard let base = entries.baseAddress else { return }
        for k in entries.indices {
            let entry = base + (permutation?[k] ?? k)
            // Stored properties: their pointers are constant offsets, never nil.
            guard let key = entry.pointer(to: \.key), let value = entry.pointer(to: \.value) else { continue }
            let inline = firstLine.written && k == 0
            let hasKeyComments = !key.pointee.comments.isEmpty
            if !inline {
                if hasKeyComments { emitTrivia(key.pointee.comments.leading, indent: indent, allowBlank: depth == 0) }
                out.appendSpaces(indent)
            }
            let keyText = Self.keyText(entry)
            var trailing = inline ? firstLine.trailing : hasKeyComments ? key.pointee.comments.trailing : nil
            if writeKey(key, text: keyText) {
                // libyaml reads implicit keys of up to 1024 characters; longer ones need `? key` / `: value`.
                // The comment beside the key stays on the key's line: after the `:` it reads back as the
                // value's.
                writeTrailing(trailing)
                trailing = nil
                out.append(UInt8(ascii: "\n"))
                out.appendSpaces(indent)
            }
            out.append(UInt8(ascii: ":"))
            path.append(.key(keyText))
            emitInlineOrBlockValue(value, indent: indent, path: &path, trailing: trailing, afterKey: true)
            emitNestedEndOfBlock(value, indent: indent + 2)
            path.removeLast()
        }
        }
    }

    /// With `firstItemHoisted`, the caller already took the comments before the first item's first line
    /// (`takeCommentsBeforeFirstLine` works down the whole chain of first items at once, so each level
    /// taking them again made deep nesting quadratic).
    private mutating func emitSequenceBody(_ items: [Node], indent: Int, path: inout [PathComponent], depth: Int,
                                           firstItemHoisted: Bool = false) {
        items.withUnsafeBufferPointer { items in
        guard let base = items.baseAddress else { return }
        for i in items.indices {
            let item = base + i
            path.append(.index(i))
            defer { path.removeLast() }
            // `if case`, not `switch`: see `emitInlineOrBlockValue`.
            if case .mapping(let entries) = item.pointee.kind, !entries.isEmpty {
                emitMappingItem(item, entries, indent: indent, path: &path, depth: depth)
                continue
            }
            if case .sequence(let nested) = item.pointee.kind, !nested.isEmpty {
                // Comments between this `-` line and the nested sequence's first line: a re-read puts
                // them above the `-`, so they are written there (found by the fuzzer, with an anchor).
                var node = item.pointee  // changed below; nested sequences in sequences are rare
                var leading = node.comments.leading
                if !(i == 0 && firstItemHoisted) {
                    leading += takeCommentsBeforeFirstLine(of: &node, path: &path)
                }
                emitTrivia(leading, indent: indent, allowBlank: false)
                out.appendSpaces(indent)
                out.append(UInt8(ascii: "-"))
                withUnsafePointer(to: node) { node in
                    emitInlineOrBlockValue(node, indent: indent, path: &path, trailing: node.pointee.comments.trailing,
                                           afterKey: true, firstItemHoisted: true)
                    emitNestedEndOfBlock(node, indent: indent + 2)
                }
                continue
            }
            let comments = item.pointee.comments
            if !comments.isEmpty { emitTrivia(comments.leading, indent: indent, allowBlank: false) }
            out.appendSpaces(indent)
            out.append(UInt8(ascii: "-"))
            emitInlineOrBlockValue(item, indent: indent, path: &path, trailing: comments.trailing, afterKey: true)
            emitNestedEndOfBlock(item, indent: indent + 2)
        }
        }
    }

    /// A mapping as a list item starts on its `- ` line, so the comments above its first key go above the
    /// dash, where a re-read puts them back — and the item's own end-of-line comment too when the first
    /// key has one (a line holds one comment).
    private mutating func emitMappingItem(_ item: UnsafePointer<Node>, _ entries: [Entry], indent: Int,
                                          path: inout [PathComponent], depth: Int) {
        let permutation = canonicalOrder(entries, path: path)
        let itemComments = item.pointee.comments
        let firstKeyComments = entries[permutation?[0] ?? 0].key.comments
        var firstTrailing: String? = nil
        if !itemComments.isEmpty || !firstKeyComments.isEmpty {
            let hoisted = Self.hoistAboveDash(firstKey: firstKeyComments, itemTrailing: itemComments.trailing)
            // The `- key: value` line holds the first key's end-of-line comment, else the item's.
            firstTrailing = firstKeyComments.trailing ?? hoisted.itemTrailing
            emitTrivia(itemComments.leading + hoisted.above, indent: indent, allowBlank: false)
        }
        out.appendSpaces(indent)
        out.append(UInt8(ascii: "-"))
        out.append(UInt8(ascii: " "))
        emitMappingBody(entries, order: permutation, indent: indent + 2, path: &path, depth: depth + 1,
                        firstLine: (true, firstTrailing))
        if !itemComments.isEmpty { emitTrivia(itemComments.endOfBlock, indent: indent + 2, allowBlank: false) }
    }

    /// `emitMappingItem`'s move of comments above the dash, on a copy of the entries (for
    /// `takeCommentsBeforeFirstLine`, which hands the changed item on): takes them out of `entries` and
    /// `itemTrailing`.
    private func takeCommentsAboveDash(_ entries: inout [Entry], itemTrailing: inout String?) -> [TriviaLine] {
        let hoisted = Self.hoistAboveDash(firstKey: entries[0].key.comments, itemTrailing: itemTrailing)
        // Written only when there is something to take: a write copies the whole (shared) entry array.
        if !entries[0].key.comments.leading.isEmpty { entries[0].key.comments.leading = [] }
        itemTrailing = hoisted.itemTrailing
        return hoisted.above
    }

    /// The rule both item paths follow: the first key's own-line comments go above the dash, and so does
    /// the item's end-of-line comment when the first key has one (a line holds one comment). Returns
    /// what goes above the dash (after the item's own comments) and the item's comment left for its line.
    private static func hoistAboveDash(firstKey: NodeComments, itemTrailing: String?) -> (above: [TriviaLine], itemTrailing: String?) {
        var above = firstKey.leading
        guard firstKey.trailing != nil, let extra = itemTrailing else { return (above, itemTrailing) }
        above.append(.comment(extra))
        return (above, nil)
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
    private mutating func emitInlineOrBlockValue(_ node: UnsafePointer<Node>, indent: Int, path: inout [PathComponent],
                                                 trailing: String?, afterKey: Bool, firstItemHoisted: Bool = false) {
        lastWasKeepBlock = false
        // Payloads are bound one case at a time, and a scalar only for its string: binding the whole
        // scalar (or testing its value with a `switch`) made the compiler copy it, retaining each string.
        switch node.pointee.kind {
        case .scalar:
            if afterKey { out.append(UInt8(ascii: " ")) }
            if let s = Self.stringValue(node) {
                writeString(s, blockIndent: indent + 2, trailing: trailing)
                return
            }
            writeScalar(node)
            writeTrailing(trailing)
            out.append(UInt8(ascii: "\n"))
        case .mapping(let entries):
            writeCollectionLineEnd(empty: entries.isEmpty ? "{}" : nil, afterKey: afterKey, trailing: trailing)
            if !entries.isEmpty {
                emitMappingBody(entries, order: canonicalOrder(entries, path: path), indent: indent + 2, path: &path,
                                depth: path.count)
            }
        case .sequence(let items):
            writeCollectionLineEnd(empty: items.isEmpty ? "[]" : nil, afterKey: afterKey, trailing: trailing)
            if !items.isEmpty {
                emitSequenceBody(items, indent: indent + 2, path: &path, depth: path.count,
                                 firstItemHoisted: firstItemHoisted)
            }
        }
    }

    /// A string scalar's value. A function of its own, so that only the string is copied out of the node
    /// (inlined, the compiler copied the whole scalar, several times).
    @inline(never)
    private static func stringValue(_ node: UnsafePointer<Node>) -> String? {
        if case .scalar(let scalar) = node.pointee.kind, case .string(let s) = scalar.value { return s }
        return nil
    }

    /// A string value and the end of its line: a literal block (lines at `blockIndent`) when it has several
    /// lines and can be one, else plain or double-quoted. Not inlined: inlined, the strings it reads were
    /// retained again for its closure.
    @inline(never)
    private mutating func writeString(_ s: String, blockIndent: Int, trailing: String?) {
        ByteScan.withUTF8(s) { bytes in
            if let block = LiteralBlock(s, bytes: bytes) {
                writeLiteralBlock(block, bytes, indent: blockIndent, trailing: trailing)
                return
            }
            writeInline(s, bytes)
            writeTrailing(trailing)
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// The header and lines of a literal block, its content indented by `indent`.
    private mutating func writeLiteralBlock(_ block: LiteralBlock, _ bytes: UnsafeBufferPointer<UInt8>, indent: Int,
                                            trailing: String?) {
        out.append(UInt8(ascii: "|"))
        out.append(block.chomping)
        writeTrailing(trailing)
        out.append(UInt8(ascii: "\n"))
        let body = UnsafeBufferPointer(rebasing: bytes[..<block.bodyLength])
        var lineStart = 0
        while true {
            let lineEnd = ByteScan.index(of: UInt8(ascii: "\n"), in: body, from: lineStart) ?? body.count
            if lineEnd > lineStart {
                out.appendSpaces(indent)
                out.append(UnsafeBufferPointer(rebasing: body[lineStart..<lineEnd]))
            }
            out.append(UInt8(ascii: "\n"))
            if lineEnd == body.count { break }
            lineStart = lineEnd + 1
        }
        out.append(UInt8(ascii: "\n"), count: block.extraNewlines)
        lastWasKeepBlock = block.extraNewlines > 0
    }

    /// Ends the `key:` or `-` line of a collection: inline `[]`/`{}` when empty, then its comment.
    private mutating func writeCollectionLineEnd(empty: StaticString?, afterKey: Bool, trailing: String?) {
        if let empty {
            if afterKey { out.append(UInt8(ascii: " ")) }
            out.append(empty)
        }
        writeTrailing(trailing)
        out.append(UInt8(ascii: "\n"))
    }

    private mutating func emitNestedEndOfBlock(_ node: UnsafePointer<Node>, indent: Int) {
        guard !node.pointee.comments.isEmpty else { return }
        if case .scalar = node.pointee.kind {
            // A scalar has no block of its own; its stray comments follow it at the parent's level.
            emitTrivia(node.pointee.comments.endOfBlock, indent: max(0, indent - 2), allowBlank: false)
        } else {
            emitTrivia(node.pointee.comments.endOfBlock, indent: indent, allowBlank: false)
        }
    }

    // MARK: Comments and blank lines

    /// Own-line comments and blank lines. Blank lines are kept (collapsed to one) only between
    /// top-level entries; never at the very top of the file or after a keep-chomped block.
    private mutating func emitTrivia(_ trivia: [TriviaLine], indent: Int, allowBlank: Bool) {
        for line in trivia {
            switch line {
            case .blank:
                guard allowBlank, !out.isEmpty, !lastWasKeepBlock, !out.endsWithBlankLine else { continue }
                out.append(UInt8(ascii: "\n"))
            case .comment(let text):
                out.appendSpaces(indent)
                write(text)
                out.append(UInt8(ascii: "\n"))
                lastWasKeepBlock = false
            }
        }
    }

    private mutating func write(_ text: String) {
        ByteScan.withUTF8(text) { out.append($0) }
    }

    private mutating func writeTrailing(_ comment: String?) {
        guard let comment else { return }
        out.append(UInt8(ascii: " "), count: 2)
        write(comment)
    }

    // MARK: Scalars

    /// Writes a key; returns true when it was written as an explicit `? key` (too long for an implicit one).
    private mutating func writeKey(_ node: UnsafePointer<Node>, text key: String) -> Bool {
        let start = out.count
        if Self.isNonStringScalar(node) {
            // `1:`, `true:`, `~:`, `0x1F:` keep their type and their text (the text is the key in the
            // JSON data the schema checks); quoting would make them strings.
            if !key.isEmpty, Self.isPlain(node), Self.isNonString(ScalarResolver.resolvePlain(key)) {
                write(key)
            } else {
                writeScalar(node)
            }
        } else {
            ByteScan.withUTF8(key) { writeInline(key, $0) }
        }
        // libyaml's limit is on the key as written: quotes and escapes count (a key of 600 backslashes
        // is written with 1,200). Bytes are never fewer than characters.
        let explicit = out.count - start > 1000
        if explicit { out.insert("? ", at: start) }
        return explicit
    }

    private static func isNonString(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .integer, .number: return true
        case .string, .array, .object: return false
        }
    }

    /// A scalar holding null, a boolean or a number. (Asked with `if case`: `isNonString(scalar.value)`
    /// here made the compiler copy the whole scalar.)
    private static func isNonStringScalar(_ node: UnsafePointer<Node>) -> Bool {
        guard case .scalar(let scalar) = node.pointee.kind else { return false }
        let value = scalar.value
        if case .string = value { return false }
        if case .array = value { return false }
        if case .object = value { return false }
        return true
    }

    private static func isPlain(_ node: UnsafePointer<Node>) -> Bool {
        if case .scalar(let scalar) = node.pointee.kind { return scalar.style == .plain }
        return false
    }

    /// A string on one line: plain when that reads back as the same string, else double-quoted.
    private mutating func writeInline(_ s: String, _ bytes: UnsafeBufferPointer<UInt8>) {
        // At the start of a line (a top-level key), `... x` would end the document.
        // (`---` is never plain: a leading `-` is quoted anyway.)
        if ScalarResolver.isPlainSafe(s, bytes: bytes) && !(out.isAtLineStart && ByteScan.isDocumentMarker(bytes, at: 0, UInt8(ascii: "."))) {
            out.append(bytes)
        } else {
            writeDoubleQuoted(s, bytes)
        }
    }


    /// A scalar on one line. (Its value is tested one case at a time: see `isNonStringScalar`.)
    private mutating func writeScalar(_ node: UnsafePointer<Node>) {
        guard case .scalar(let scalar) = node.pointee.kind else { return }  // scalars only
        let value = scalar.value
        if case .null = value {
            out.append("null")
        } else if case .bool(let b) = value {
            out.append(b ? "true" : "false")
        } else if case .integer(let i) = value {
            writeInteger(i)
        } else if case .number(let d) = value {
            if let digits = Self.bigInteger(scalar) {
                write(digits)  // beyond 64 bits: keep the integer, not a float
            } else {
                write(Self.canonicalFloat(d))
            }
        } else if case .string(let s) = value {
            ByteScan.withUTF8(s) { writeInline(s, $0) }
        }
    }

    /// `String(i)`'s digits, without making the string.
    private mutating func writeInteger(_ i: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in  // Int.min has 19 digits
            var magnitude = i.magnitude
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if i < 0 { out.append(UInt8(ascii: "-")) }
            out.append(UnsafeBufferPointer(rebasing: digits[start...]))
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

    private mutating func writeDoubleQuoted(_ s: String, _ bytes: UnsafeBufferPointer<UInt8>) {
        out.append(UInt8(ascii: "\""))
        if bytes.contains(where: { $0 >= 0x80 }) {
            for scalar in s.unicodeScalars { writeQuoted(scalar) }
        } else {
            // ASCII: the runs between characters to escape are copied whole.
            var runStart = 0
            for i in bytes.indices {
                let byte = bytes[i]
                if byte >= 0x20 && byte != 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") { continue }
                out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                writeQuoted(Unicode.Scalar(byte))
                runStart = i + 1
            }
            out.append(UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// One character inside double quotes.
    private mutating func writeQuoted(_ scalar: Unicode.Scalar) {
        switch scalar {
        case "\"": out.append("\\\"")
        case "\\": out.append("\\\\")
        case "\n": out.append("\\n")
        case "\t": out.append("\\t")
        case "\r": out.append("\\r")
        case "\u{0}": out.append("\\0")
        case "\u{7}": out.append("\\a")
        case "\u{8}": out.append("\\b")
        case "\u{B}": out.append("\\v")
        case "\u{C}": out.append("\\f")
        case "\u{1B}": out.append("\\e")
        case "\u{85}": out.append("\\N")
        case "\u{A0}": out.append("\\_")
        case "\u{2028}": out.append("\\L")
        case "\u{2029}": out.append("\\P")
        default:
            if ScalarResolver.isPlainPrintable(scalar) {
                // Encoded in place: a String per character cost more than the rest of the quoting.
                UTF8.encode(scalar) { out.append($0) }
            } else if scalar.value <= 0xFF {
                write("\\x\(hexByte(UInt8(scalar.value)))")
            } else {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                let padded = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                out.append(hex.count <= 4 ? "\\u" : "\\U000")
                write(hex.count <= 4 ? padded : String(repeating: "0", count: max(0, 5 - hex.count)) + hex)
            }
        }
    }
}

/// A multi-line string as a literal block (`|`, `|-`, `|+`), when its content allows one:
/// no trailing whitespace on any line, no leading space on the first line (that would need an
/// indentation indicator), only printable characters, at least one non-empty line.
struct LiteralBlock {
    /// The string's first `bodyLength` bytes are the lines, the rest the trailing line breaks.
    let bodyLength: Int
    let chomping: StaticString
    let extraNewlines: Int

    /// `bytes`: the UTF-8 of `s`.
    init?(_ s: String, bytes: UnsafeBufferPointer<UInt8>) {
        // Asked of every string, so one pass over the contiguous bytes, no String indices, no lines array.
        guard let shape = Self.shape(of: bytes) else { return nil }
        if shape.hasNonASCII,
           s.unicodeScalars.contains(where: { $0 != "\n" && $0 != "\t" && !ScalarResolver.isPlainPrintable($0) }) {
            return nil
        }
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
        let raw = UnsafeRawBufferPointer(u)
        var i = 0
        while i < bodyLength {
            // Eight bytes at a time while none is a control character, DEL or non-ASCII: the loop does
            // nothing else with them.
            if i + 8 <= bodyLength {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if ByteScan.hasByteBelow(word, 0x20) | ByteScan.hasByte(word, 0x7F) | ByteScan.hasHighByte(word) == 0 {
                    previous = u[i + 7]
                    i += 8
                    continue
                }
            }
            let b = u[i]
            i += 1
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

/// The emitter's output, a byte buffer grown by hand: `[UInt8].append` checks the array's uniqueness
/// and capacity on every call, and the emitter writes a byte or a few at a time. Owned by one `emit`,
/// which frees it.
private struct ByteSink: ~Copyable {
    private var storage = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// Nothing written yet on the current line.
    var isAtLineStart: Bool { count == 0 || storage[count - 1] == UInt8(ascii: "\n") }

    /// The last two bytes written are line breaks.
    var endsWithBlankLine: Bool {
        count >= 2 && storage[count - 1] == UInt8(ascii: "\n") && storage[count - 2] == UInt8(ascii: "\n")
    }

    var bytes: [UInt8] { Array(UnsafeBufferPointer(rebasing: storage[..<count])) }

    mutating func reserve(_ capacity: Int) {
        guard capacity > storage.count else { return }
        let grown = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: capacity)
        if let old = storage.baseAddress, let new = grown.baseAddress { new.initialize(from: old, count: count) }
        storage.deallocate()
        storage = grown
    }

    deinit { storage.deallocate() }

    /// Room for `n` more bytes.
    @inline(__always) private mutating func makeRoom(_ n: Int) {
        if storage.count - count < n { grow(n) }
    }

    @inline(never) private mutating func grow(_ n: Int) {
        reserve(Swift.max(storage.count * 2, count + n, 256))
    }

    @inline(__always) mutating func append(_ byte: UInt8) {
        makeRoom(1)
        storage[count] = byte
        count += 1
    }

    mutating func append(_ byte: UInt8, count n: Int) {
        guard n > 0 else { return }
        makeRoom(n)
        if let base = storage.baseAddress { (base + count).initialize(repeating: byte, count: n) }
        count += n
    }

    @inline(__always) mutating func appendSpaces(_ n: Int) { append(UInt8(ascii: " "), count: n) }

    @inline(__always) mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        makeRoom(bytes.count)
        if let base = storage.baseAddress { (base + count).initialize(from: source, count: bytes.count) }
        count += bytes.count
    }

    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Inserts `text` before the bytes from `position` on (rare: they move).
    mutating func insert(_ text: StaticString, at position: Int) {
        let n = text.utf8CodeUnitCount
        makeRoom(n)
        guard let base = storage.baseAddress else { return }
        (base + position + n).update(from: base + position, count: count - position)  // overlapping: memmove
        (base + position).update(from: text.utf8Start, count: n)
        count += n
    }
}
