import CYAML

/// Bounds that keep hostile input from costing more than a spec ever needs.
public struct ParseLimits: Sendable, Hashable {
    public var maxBytes: Int
    public var maxDepth: Int
    /// Nodes that aliases may add to the document when expanded (alias-bomb guard).
    public var maxAliasNodes: Int

    /// Deeper trees are refused whatever the configuration says: every later pass recurses.
    public static let maxSupportedDepth = 256

    public init(maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxAliasNodes: Int = 10_000) {
        self.maxBytes = maxBytes
        self.maxDepth = min(maxDepth, Self.maxSupportedDepth)
        self.maxAliasNodes = maxAliasNodes
    }
}

/// A parsed YAML document: the data with positions and the comments attached to it.
public struct YAMLDocument: Sendable {
    public var root: Node
    /// Comments (and blank-line markers) before the first content of the file; they stay first.
    public var leadingComments: [TriviaLine]
    /// Problems that do not prevent building the tree (duplicate keys, unsupported tags).
    public var diagnostics: [Diagnostic]
    /// False when the parser read no number that could be out of a 64-bit float's range (no infinity,
    /// no zero): then `NumberRange` has nothing to look for and skips its walk.
    var mayHoldNumbersOutOfRange = true
}

public enum YAMLParseResult: Sendable {
    case document(YAMLDocument)
    /// The input could not be read as one YAML document; the diagnostics say where and why.
    case failure([Diagnostic])
}

public enum YAMLParser {
    public static func parse(_ bytes: [UInt8], limits: ParseLimits = ParseLimits()) -> YAMLParseResult {
        if bytes.count > limits.maxBytes {
            return .failure([.tooLarge(size: Int64(bytes.count), limit: limits.maxBytes)])
        }
        let source = SourceText(bytes)
        if let bad = source.firstInvalidUTF8() {
            let pos = source.position(ofByte: bad)
            return .failure([Diagnostic(kind: .encoding, at: pos, pointer: "",
                                        message: "invalid UTF-8 (byte 0x\(hexByte(bytes[bad])) at offset \(bad)); specs must be UTF-8 text — re-save the file as UTF-8")])
        }
        return TreeBuilder(source: source, limits: limits).run()
    }
}

func hexByte(_ b: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}

// MARK: - Tree building from libyaml events

/// Mutable node used while events stream in; comments are attached before freezing into `Node`.
final class BuildNode {
    enum Kind {
        case scalar(Scalar)
        case sequence([BuildNode])
        case mapping([BuildEntry])
        case alias(BuildNode)
    }

    var kind: Kind
    var start: SourcePosition
    var end: SourcePosition
    var isBlock: Bool
    var comments = NodeComments()
    /// Raw own-line comments with their lines, turned into trivia (with blank lines) at the end.
    var rawLeading: [RawComment] = []
    var rawEndOfBlock: [RawComment] = []
    /// Nodes in this subtree once aliases are expanded (bounded by `maxAliasNodes`).
    var expandedCount = 1
    // Back references are unowned(unsafe): the root keeps every node alive until the tree is frozen,
    // and weak references would cost a side-table allocation per node.
    /// The collection holding this one (collections only).
    unowned(unsafe) var parent: BuildNode?
    /// For a collection: the anchor point it hangs from (the key node of its entry, or itself as an item).
    unowned(unsafe) var owner: BuildNode?
    /// For a key node: its value.
    var valueNode: BuildNode?

    init(kind: Kind, start: SourcePosition, end: SourcePosition, isBlock: Bool) {
        self.kind = kind
        self.start = start
        self.end = end
        self.isBlock = isBlock
    }
}

/// A mapping entry while building. A struct, not a tuple: arrays of tuples are destroyed through the
/// runtime's generic tuple code, which showed up in profiles as a cost of its own.
struct BuildEntry {
    let key: BuildNode
    let value: BuildNode
}

struct RawComment {
    enum Prefix { case none, documentMarker, indicatorsOnly }
    var line: Int
    var column: Int
    var text: String
    var ownLine: Bool
    /// What precedes an end-of-line comment: `---`/`...`, or only `-`/`?`/`:` indicators.
    var prefix: Prefix = .none
}

/// A place comments can hang on: a mapping entry (its key node) or a sequence item.
struct AnchorPoint {
    var line: Int
    var column: Int
    // unowned(unsafe), like BuildNode's back references: the root holds every node until the tree is
    // frozen, and the comment layer reads anchor points only then; strong references cost a retain and
    // a release per point.
    unowned(unsafe) var node: BuildNode
    /// The collection holding it; its ancestors follow `parent`.
    unowned(unsafe) var container: BuildNode

    /// Enclosing collections, outermost first.
    var containers: [BuildNode] {
        var chain: [BuildNode] = []
        var current: BuildNode? = container
        while let c = current { chain.append(c); current = c.parent }
        return chain.reversed()
    }
}

/// A class, not a struct: its methods run inside `withUnsafeBufferPointer`, where every call on a
/// captured struct `self` copied all of its tables (a retain storm that dominated large inputs).
final class TreeBuilder {
    let source: SourceText
    let limits: ParseLimits

    private var anchors: [String: BuildNode] = [:]
    private var anchorPoints: [AnchorPoint] = []
    /// Byte ranges of scalar text, where a `#` is content, not a comment.
    private var scalarSpans: [(start: Int, end: Int, startLine: Int, endLine: Int, block: Bool, keep: Bool)] = []
    /// Lines that look blank but are scalar content (inside quoted/plain scalars, or kept by `|+`).
    private var contentLines = Set<Int>()
    /// First line of a comment block moved from the file's head to the first key (its blank line stays with the head).
    private var movedLeadingLine: Int?
    private var diagnostics: [Diagnostic] = []
    /// A scalar read as an infinite or zero float (what `NumberRange` checks) was seen.
    private var sawInfiniteOrZero = false
    private var aliasNodes = 0
    /// Every alias node built: an alias to an enclosing collection makes a reference cycle, broken when
    /// the parse ends (the frozen tree holds expanded copies, never these nodes).
    private var aliasesBuilt: [BuildNode] = []

    private struct SeenKey {
        let text: String
        let start: SourcePosition
    }

    /// Open collections with the path to them (a class: frames are updated in place, never copied).
    private final class Frame {
        let node: BuildNode
        var items: [BuildNode] = []
        var pendingKey: BuildNode?
        var entries: [BuildEntry] = []
        /// Keys seen so far and where, for duplicate detection: scanned while the mapping is small (most
        /// are), hashed beyond that (a hostile mapping may hold 100k keys).
        var keyList: [SeenKey] = []
        var keyTable: [String: SourcePosition]?

        /// Where `key` was first seen, or nil after recording it as seen at `start`.
        func firstSighting(of key: String, at start: SourcePosition) -> SourcePosition? {
            if keyTable == nil {
                for seen in keyList where seen.text == key { return seen.start }
                keyList.append(SeenKey(text: key, start: start))
                if keyList.count > 16 {
                    var table: [String: SourcePosition] = [:]
                    for seen in keyList where table[seen.text] == nil { table[seen.text] = seen.start }
                    keyTable = table
                    keyList = []
                }
                return nil
            }
            if let first = keyTable?[key] { return first }
            keyTable?[key] = start
            return nil
        }
        let anchor: String?
        let path: [PathComponent]

        init(node: BuildNode, anchor: String?, path: [PathComponent]) {
            self.node = node
            self.anchor = anchor
            self.path = path
        }
    }
    private var stack: [Frame] = []

    init(source: SourceText, limits: ParseLimits) {
        self.source = source
        self.limits = limits
    }

    func run() -> YAMLParseResult {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure([Diagnostic(kind: .syntax, line: 1, column: 1, pointer: "", message: "could not initialise the YAML parser (out of memory)")])
        }
        defer {
            yaml_parser_delete(&parser)
            for alias in aliasesBuilt { alias.kind = .sequence([]) }
            aliasesBuilt = []
        }
        let bytes = source.bytes
        return bytes.withUnsafeBufferPointer { whole -> YAMLParseResult in
            // libyaml would count a byte-order mark as a character of line 1: hand it the text after it.
            let skip = source.bomLength
            let buffer = UnsafeBufferPointer(rebasing: whole[skip...])
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            var root: BuildNode?
            var documents = 0
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    return .failure([syntaxDiagnostic(parser)])
                }
                defer { yaml_event_delete(&event) }
                let start = position(event.start_mark)
                let end = position(event.end_mark)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    let rootNode = root ?? BuildNode(kind: .scalar(Scalar(text: "", style: .plain, tag: nil, value: .null)),
                                                     start: .start, end: .start, isBlock: true)
                    return finish(rootNode)
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 {
                        return .failure(diagnostics + [Diagnostic(kind: .multipleDocuments, at: start, pointer: "",
                            message: "a second YAML document starts here; a spec file holds exactly one document (remove this `---` or split the file)")])
                    }
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    let bytes = UnsafeBufferPointer(start: s.value, count: s.length)
                    let text = String(decoding: bytes, as: UTF8.self)
                    let style = scalarStyle(s.style)
                    let tag = s.tag.map { String(cString: $0) }
                    var value: JSONValue
                    if tag == nil {
                        // The common case, resolved on libyaml's bytes in place.
                        value = .string(text)
                        if style == .plain, let resolved = ScalarResolver.resolvePlain(bytes: bytes) { value = resolved }
                    } else {
                        switch resolveTagged(text: text, style: style, tag: tag, plainImplicit: s.plain_implicit == 1) {
                        case .success(let v): value = v
                        case .failure(let message):
                            diagnostics.append(Diagnostic(kind: .unsupported, at: start, pointer: currentPath().jsonPointer, message: message))
                            value = .string(text)
                        }
                    }
                    if case .number(let d) = value, d.isInfinite || d == 0 { sawInfiniteOrZero = true }
                    let node = BuildNode(kind: .scalar(Scalar(text: text, style: style, tag: tag, value: value)),
                                         start: start, end: end, isBlock: true)
                    recordScalarSpan(start: start, end: end, style: style, hasProperties: s.anchor != nil || s.tag != nil)
                    if let anchor = s.anchor { anchors[String(cString: anchor)] = node }
                    if let failure = add(node, &root) { return failure }
                case YAML_ALIAS_EVENT:
                    let name = String(cString: event.data.alias.anchor)
                    guard let target = anchors[name] else {
                        return .failure(diagnostics + [Diagnostic(kind: .syntax, at: start, pointer: currentPath().jsonPointer,
                            message: "alias *\(name) refers to no anchor defined before it (define &\(name) earlier in the file)")])
                    }
                    aliasNodes += target.expandedCount
                    if aliasNodes > limits.maxAliasNodes {
                        return .failure(diagnostics + [Diagnostic(kind: .limit, at: start, pointer: currentPath().jsonPointer,
                            message: "aliases expand to more than \(limits.maxAliasNodes) nodes (limits.max_alias_nodes); expand them by hand or raise the limit")])
                    }
                    let node = BuildNode(kind: .alias(target), start: start, end: end, isBlock: true)
                    aliasesBuilt.append(node)
                    node.expandedCount = target.expandedCount
                    recordScalarSpan(start: start, end: end, style: .plain, hasProperties: false)
                    if let failure = add(node, &root) { return failure }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    if stack.count >= limits.maxDepth {
                        return .failure(diagnostics + [Diagnostic(kind: .limit, at: start, pointer: currentPath().jsonPointer,
                            message: "nesting deeper than \(limits.maxDepth) levels (limits.max_depth)")])
                    }
                    let isSequence = event.type == YAML_SEQUENCE_START_EVENT
                    let anchorPointer = isSequence ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    let tagPointer = isSequence ? event.data.sequence_start.tag : event.data.mapping_start.tag
                    let isBlock = isSequence ? event.data.sequence_start.style != YAML_FLOW_SEQUENCE_STYLE
                                             : event.data.mapping_start.style != YAML_FLOW_MAPPING_STYLE
                    if let tagPointer {
                        let tag = String(cString: tagPointer)
                        let expected = isSequence ? "tag:yaml.org,2002:seq" : "tag:yaml.org,2002:map"
                        if tag != expected && tag != "!" {
                            diagnostics.append(Diagnostic(kind: .unsupported, at: start, pointer: currentPath().jsonPointer,
                                message: "unsupported tag \(tag); spec files hold plain JSON-like data (remove the tag)"))
                        }
                    }
                    let node = BuildNode(kind: isSequence ? .sequence([]) : .mapping([]), start: start, end: end, isBlock: isBlock)
                    let path = currentPath()
                    registerAnchorPoint(for: node)
                    node.parent = stack.last?.node
                    stack.append(Frame(node: node, anchor: anchorPointer.map { String(cString: $0) }, path: path))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let frame = stack.popLast() else { break }
                    let node = frame.node
                    node.end = end
                    if case .sequence = node.kind {
                        node.kind = .sequence(frame.items)
                        node.expandedCount = 1 + frame.items.reduce(0) { $0 + $1.expandedCount }
                    } else {
                        node.kind = .mapping(frame.entries)
                        node.expandedCount = 1 + frame.entries.reduce(0) { $0 + $1.key.expandedCount + $1.value.expandedCount }
                    }
                    if let anchor = frame.anchor { anchors[anchor] = node }
                    if let failure = add(node, &root, alreadyRegistered: true) { return failure }
                default:
                    break
                }
            }
        }
    }

    // MARK: Event helpers

    private func position(_ mark: yaml_mark_t) -> SourcePosition {
        source.position(line0: Int(mark.line), column0: Int(mark.column))
    }

    private func currentPath() -> [PathComponent] {
        guard let top = stack.last else { return [] }
        var path = top.path
        if case .sequence = top.node.kind { path.append(.index(top.items.count)) }
        else if let key = top.pendingKey, case .scalar(let s) = key.kind { path.append(.key(s.text)) }
        return path
    }


    private func registerAnchorPoint(for node: BuildNode) {
        guard let top = stack.last else { return }
        switch top.node.kind {
        case .sequence:
            let column = top.node.isBlock ? top.node.start.column : node.start.column
            anchorPoints.append(AnchorPoint(line: node.start.line, column: column, node: node, container: top.node))
        case .mapping:
            if top.pendingKey == nil {
                anchorPoints.append(AnchorPoint(line: node.start.line, column: node.start.column, node: node, container: top.node))
            }
        default:
            break
        }
    }

    /// Adds a finished node to the collection on top of the stack (or makes it the root).
    private func add(_ node: BuildNode, _ root: inout BuildNode?, alreadyRegistered: Bool = false) -> YAMLParseResult? {
        guard !stack.isEmpty else {
            root = node
            return nil
        }
        if !alreadyRegistered { registerAnchorPoint(for: node) }
        let top = stack[stack.count - 1]
        switch top.node.kind {
        case .sequence:
            top.items.append(node)
            node.owner = node
        case .mapping:
            if let key = top.pendingKey {
                top.entries.append(BuildEntry(key: key, value: node))
                top.pendingKey = nil
                key.valueNode = node
                node.owner = key
            } else {
                guard case .scalar(let keyScalar) = node.kind else {
                    return .failure(diagnostics + [Diagnostic(kind: .unsupported, at: node.start, pointer: top.path.jsonPointer,
                        message: "a mapping key must be a plain string, not a collection or alias")])
                }
                if keyScalar.text.isEmpty, keyScalar.style == .plain, keyScalar.tag == nil {
                    // `? ` or `: value` with nothing before it: a null key, almost surely a slip, and
                    // one that cannot be written back as it reads (`""` would make it a string).
                    diagnostics.append(Diagnostic(kind: .unsupported, at: node.start, pointer: top.path.jsonPointer,
                        message: "empty mapping key (it reads as null); give the key a name, or write \"\" for an empty string"))
                }
                if let first = top.firstSighting(of: keyScalar.text, at: node.start) {
                    var path = top.path
                    path.append(.key(keyScalar.text))
                    diagnostics.append(Diagnostic(kind: .duplicateKey, at: node.start, pointer: path.jsonPointer,
                        message: "duplicate key \"\(keyScalar.text)\" (first defined at line \(first.line), column \(first.column)); keep one of them"))
                }
                top.pendingKey = node
            }
        default:
            break
        }
        return nil
    }

    private func recordScalarSpan(start: SourcePosition, end: SourcePosition, style: ScalarStyle, hasProperties: Bool) {
        var startOffset = start.offset
        var startLine = start.line
        if hasProperties {
            // The event starts at `!tag`/`&anchor`; a comment may follow them before the content begins.
            (startOffset, startLine) = source.skipProperties(from: startOffset, line: startLine, limit: end.offset)
        }
        let block = style == .literal || style == .folded
        var keep = false
        if block {
            keep = source.blockHeaderKeeps(at: startOffset)
            // The header line (`|-  # note`) may carry a comment: only the lines below are content.
            startLine += 1
            startOffset = source.lineStart(startLine)
        }
        scalarSpans.append((startOffset, max(startOffset, end.offset), startLine, end.line, block, keep))
        if block {
            if keep { for line in startLine..<max(startLine, end.line) { contentLines.insert(line) } }
        } else if end.line > startLine + 1 {
            for line in (startLine + 1)..<end.line { contentLines.insert(line) }
        }
    }

    private func syntaxDiagnostic(_ parser: yaml_parser_t) -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
        let mark = parser.problem_mark
        // Reader errors (control characters, bad encoding) carry a byte offset instead of a mark.
        let pos = parser.error == YAML_READER_ERROR
            ? source.position(ofByte: min(source.bytes.count, Int(parser.problem_offset) + source.bomLength))
            : source.position(line0: Int(mark.line), column0: Int(mark.column))
        if let tab = source.tabInIndentation(line: pos.line) {
            return Diagnostic(kind: .tab, at: tab, pointer: "",
                              message: "tab character in indentation; YAML indents with spaces only (replace the tab with spaces)")
        }
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            let cpos = source.position(line0: Int(parser.context_mark.line), column0: Int(parser.context_mark.column))
            message = "\(problem) \(context) at line \(cpos.line), column \(cpos.column)"
        }
        return Diagnostic(kind: .syntax, at: pos, pointer: "", message: "YAML syntax: \(message)")
    }

    // MARK: Finishing: comments, trivia, freezing

    private func finish(_ root: BuildNode) -> YAMLParseResult {
        var documentLeading: [RawComment] = []
        attachComments(root: root, documentLeading: &documentLeading)
        let leading = trivia(documentLeading, before: documentLeading.isEmpty ? nil : (movedLeadingLine ?? firstContentLine(root)),
                             blankBefore: false)
        let frozen = freeze(root, keepComments: true)
        var document = YAMLDocument(root: frozen, leadingComments: leading, diagnostics: diagnostics.sorted())
        document.mayHoldNumbersOutOfRange = sawInfiniteOrZero
        return .document(document)
    }

    private func firstContentLine(_ root: BuildNode) -> Int {
        anchorPoints.first.map { min($0.line, root.start.line) } ?? root.start.line
    }

    private func attachComments(root: BuildNode, documentLeading: inout [RawComment]) {
        let comments = CommentScanner.scan(source, spans: scalarSpans.map { ($0.start, $0.end) })
        guard !comments.isEmpty else { return }
        let points = anchorPoints
        var next = 0  // first anchor point with line > comment line
        for var comment in comments {
            while next < points.count && points[next].line <= comment.line { next += 1 }
            if !comment.ownLine {
                switch comment.prefix {
                case .documentMarker:
                    // `--- # c` or `... # c`: the marker goes away, the comment stays on a line of its own.
                    comment.ownLine = true
                    comment.column = 1
                case .indicatorsOnly where next < points.count && points[next].node.comments.trailing == nil:
                    // `- # c` above a mapping item: it belongs to the item's first line.
                    points[next].node.comments.trailing = comment.text
                    continue
                default:
                    if next > 0, let target = eolTarget(points[next - 1], line: comment.line), target.comments.trailing == nil {
                        target.comments.trailing = comment.text
                        continue
                    }
                    if next == 0, root.comments.trailing == nil, case .scalar = root.kind, root.start.line == comment.line {
                        root.comments.trailing = comment.text
                        continue
                    }
                    comment.ownLine = true
                }
            }
            guard next > 0 else {
                documentLeading.append(comment)
                continue
            }
            let previous = points[next - 1]
            // Between a key and its scalar value on a later line: it describes that entry.
            if let value = previous.node.valueNode, value.start.line > comment.line, !isCollection(value) {
                previous.node.rawLeading.append(comment)
                continue
            }
            var container: BuildNode = previous.containers.first ?? root
            for candidate in previous.containers where candidate.start.column <= comment.column { container = candidate }
            if next < points.count {
                let following = points[next]
                if comment.column <= following.column || following.containers.contains(where: { $0 === container }) {
                    following.node.rawLeading.append(comment)
                    continue
                }
            }
            container.rawEndOfBlock.append(comment)
        }
        splitDocumentLeading(&documentLeading, firstAnchor: points.first)
    }

    /// The node an end-of-line comment after `point` belongs to: the point itself, or — when the
    /// comment follows the closing bracket of a flow collection — the entry or item holding it.
    private func eolTarget(_ point: AnchorPoint, line: Int) -> BuildNode? {
        var target = point.node
        var container: BuildNode? = point.container
        while let flow = container, !flow.isBlock, flow.end.line == line, let owner = flow.owner {
            target = owner
            container = flow.parent
        }
        return target
    }

    private func isCollection(_ node: BuildNode) -> Bool {
        switch node.kind {
        case .sequence, .mapping: return true
        case .scalar: return false
        case .alias(let target): return isCollection(target)
        }
    }

    /// Comments before the first key: the file's leading comment stays first, but a block written
    /// directly above the first key (after a blank line or marker) belongs to that key and moves with it.
    private func splitDocumentLeading(_ leading: inout [RawComment], firstAnchor: AnchorPoint?) {
        guard let first = firstAnchor, let last = leading.last, last.line == first.line - 1 else { return }
        var blockStart = leading.count - 1
        while blockStart > 0 && leading[blockStart - 1].line == leading[blockStart].line - 1 { blockStart -= 1 }
        guard leading[blockStart].line != firstNonBlankLine() else { return }
        first.node.rawLeading.insert(contentsOf: leading[blockStart...], at: 0)
        movedLeadingLine = leading[blockStart].line
        leading.removeSubrange(blockStart...)
    }

    private func firstNonBlankLine() -> Int {
        var line = 1
        while line < source.lineCount && source.isBlankLine(line) { line += 1 }
        return line
    }

    /// Turns raw comments into trivia lines, marking single blank lines the author left between them.
    private func trivia(_ raw: [RawComment], before nextLine: Int?, blankBefore: Bool) -> [TriviaLine] {
        var out: [TriviaLine] = []
        guard let first = raw.first else {
            return []
        }
        if blankBefore && isSeparatorBlank(first.line - 1) { out.append(.blank) }
        for (i, c) in raw.enumerated() {
            if i > 0, c.line - 1 > raw[i - 1].line, isSeparatorBlank(c.line - 1) { out.append(.blank) }
            out.append(.comment(c.text))
        }
        if let nextLine, let last = raw.last, nextLine - 1 > last.line, isSeparatorBlank(nextLine - 1) {
            out.append(.blank)
        }
        return out
    }

    /// A blank line between pieces of content (not an empty line inside a multi-line scalar).
    private func isSeparatorBlank(_ line: Int) -> Bool {
        line >= 1 && source.isBlankLine(line) && !contentLines.contains(line)
    }

    private func freeze(_ node: BuildNode, keepComments: Bool) -> Node {
        var comments = NodeComments()
        if keepComments {
            comments = node.comments
            let anchorLine = node.start.line
            let blankBefore = node.rawLeading.first.map { $0.line != movedLeadingLine } ?? true
            var leading = trivia(node.rawLeading, before: anchorLine, blankBefore: blankBefore)
            if node.rawLeading.isEmpty && isSeparatorBlank(anchorLine - 1) && anchorLine > 1 { leading = [.blank] }
            comments.leading = leading
            comments.endOfBlock = trivia(node.rawEndOfBlock, before: nil, blankBefore: true)
        }
        switch node.kind {
        case .scalar(let s):
            return Node(kind: .scalar(s), start: node.start, end: node.end, comments: comments)
        case .sequence(let items):
            return Node(kind: .sequence(items.map { freeze($0, keepComments: keepComments) }),
                        start: node.start, end: node.end, comments: comments)
        case .mapping(let entries):
            return Node(kind: .mapping(entries.map { Entry(key: freeze($0.key, keepComments: keepComments),
                                                          value: freeze($0.value, keepComments: keepComments)) }),
                        start: node.start, end: node.end, comments: comments)
        case .alias(let target):
            // Aliases are expanded; comments stay only at the anchor's site.
            var copy = freeze(target, keepComments: false)
            copy.start = node.start
            copy.end = node.end
            copy.comments = comments
            return copy
        }
    }
}

private func scalarStyle(_ style: yaml_scalar_style_t) -> ScalarStyle {
    switch style {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
    case YAML_LITERAL_SCALAR_STYLE: return .literal
    case YAML_FOLDED_SCALAR_STYLE: return .folded
    default: return .plain
    }
}

private enum TagResolution {
    case success(JSONValue)
    case failure(String)
}

private func resolveTagged(text: String, style: ScalarStyle, tag: String?, plainImplicit: Bool) -> TagResolution {
    guard let tag, tag != "!" else {
        return .success(style == .plain && tag == nil ? ScalarResolver.resolvePlain(text) : .string(text))
    }
    let resolved = ScalarResolver.resolvePlain(text)
    switch tag {
    case "tag:yaml.org,2002:str": return .success(.string(text))
    case "tag:yaml.org,2002:null":
        if case .null = resolved { return .success(.null) }
    case "tag:yaml.org,2002:bool":
        if case .bool = resolved { return .success(resolved) }
    case "tag:yaml.org,2002:int":
        if case .integer = resolved { return .success(resolved) }
    case "tag:yaml.org,2002:float":
        if case .number = resolved { return .success(resolved) }
        if case .integer(let i) = resolved { return .success(.number(Double(i))) }
    default:
        return .failure("unsupported tag \(tag); spec files hold plain JSON-like data (remove the tag)")
    }
    return .failure("\"\(text)\" is not a valid value for tag \(tag)")
}
