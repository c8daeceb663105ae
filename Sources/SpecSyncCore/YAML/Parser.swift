import CYAML

/// Bounds that keep hostile input from costing more than a spec ever needs.
public struct ParseLimits: Sendable, Hashable {
    public var maxBytes: Int
    public var maxDepth: Int
    /// Nodes that aliases may add to the document when expanded (alias-bomb guard).
    public var maxAliasNodes: Int
    /// Nodes (scalars, keys, collections) in the written document. With `maxBytes`, this is what bounds
    /// the time one file can take: every node costs its share of the tree, validation and output.
    public var maxNodes: Int
    /// Problems reported per file; past it, one more diagnostic says where the rest begin. Collecting
    /// stops there too, so 100,000 broken items cost no more than 100.
    public var maxDiagnostics: Int

    /// Deeper trees are refused whatever the configuration says: every later pass recurses.
    public static let maxSupportedDepth = 256

    /// The defaults are those of config/specsync.yaml: a task spec is a few KB and a few hundred nodes;
    /// within them any input is processed in well under 100 ms (scripts/bench-worst).
    public init(maxBytes: Int = 256 << 10, maxDepth: Int = 64, maxAliasNodes: Int = 10_000,
                maxNodes: Int = 50_000, maxDiagnostics: Int = 100) {
        self.maxBytes = maxBytes
        self.maxDepth = min(maxDepth, Self.maxSupportedDepth)
        self.maxAliasNodes = maxAliasNodes
        self.maxNodes = maxNodes
        self.maxDiagnostics = max(1, maxDiagnostics)
    }
}

/// A parsed YAML document: the data with positions and the comments attached to it.
public struct YAMLDocument: Sendable {
    public var root: Node
    /// Comments (and blank-line markers) before the first content of the file; they stay first.
    public var leadingComments: [TriviaLine]
    /// Problems that do not prevent building the tree (duplicate keys, unsupported tags).
    public var diagnostics: [Diagnostic]
    /// Where the first problem left out by `ParseLimits.maxDiagnostics` is, if any was.
    public var firstOmittedDiagnostic: SourcePosition?
    /// A mapping has a key twice: the data is not decided, so there is nothing to write back. Kept apart
    /// from `diagnostics`, which the cap may have cut before the duplicate.
    public var hasDuplicateKeys = false
    /// False when the parser read no number that could be out of a 64-bit float's range (no infinity,
    /// no zero): then `NumberRange` has nothing to look for and skips its walk.
    var mayHoldNumbersOutOfRange = true
    /// False when every plain scalar the parser read as a non-string is `true`, `false`, `null` or a
    /// short decimal integer, which every reader of specs reads alike: then no scalar is ambiguous and
    /// `DocumentValidator.resolveAmbiguousScalars` has nothing to settle.
    var mayHoldAmbiguousScalars = true
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

/// What the comment layer needs to know about a node, kept beside the tree: the nodes themselves go
/// straight into the final `Node` values as events stream in (one tree, not a tree of build objects
/// frozen into a second one). Nodes are numbered in event order, which is the tree's pre-order.
struct NodeInfo {
    var start: SourcePosition
    var end: SourcePosition
    var isBlock: Bool
    /// A sequence or mapping (for an alias: whether its target is one).
    var isCollection: Bool
    var isAlias: Bool
    /// Collections: the enclosing collection, or -1.
    var parent: Int32 = -1
    /// Collections: the anchor point they hang from (the key of their entry, or themselves as an item).
    var owner: Int32 = -1
    /// Keys: their value.
    var value: Int32 = -1
    /// Some comment was attached to it (most nodes have none: their tables need no look-up).
    var hasComments = false
    /// Collections other than aliases (-1 otherwise; read only for nodes the comment walk enters): one
    /// past the number of their last descendant (pre-order numbers a subtree contiguously), so the walk
    /// can step over a subtree with nothing to attach.
    var subtreeEnd: Int32 = -1
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
    var node: Int32
    /// The collection holding it; its ancestors follow `NodeInfo.parent`.
    var container: Int32
}

/// A class, not a struct: its methods run inside `withUnsafeBufferPointer`, where every call on a
/// captured struct `self` copied all of its tables (a retain storm that dominated large inputs).
final class TreeBuilder {
    let source: SourceText
    let limits: ParseLimits

    /// An anchored node as an alias expands it: its tree (shared, copy-on-write) and what it counts.
    private struct Anchored {
        var node: Node
        var expandedCount: Int
        var isCollection: Bool
    }

    // The tables below are touched several times per event. A builder is one parse on one thread and
    // never hands out references into them, so the run-time exclusivity checks a class property gets
    // on every access (3 % of `check`) are switched off for them.
    @exclusivity(unchecked) private var anchors: [String: Anchored] = [:]
    @exclusivity(unchecked) private var info: [NodeInfo] = []
    @exclusivity(unchecked) private var anchorPoints: [AnchorPoint] = []
    /// Comments attached to nodes, by node number (few nodes have any).
    @exclusivity(unchecked) private var trailing: [Int32: String] = [:]
    @exclusivity(unchecked) private var rawLeading: [Int32: [RawComment]] = [:]
    @exclusivity(unchecked) private var rawEndOfBlock: [Int32: [RawComment]] = [:]
    /// Byte ranges of scalar text, where a `#` is content, not a comment.
    @exclusivity(unchecked) private var scalarSpans: [ScalarSpan] = []
    /// Lines that look blank but are scalar content (inside quoted/plain scalars, or kept by `|+`).
    @exclusivity(unchecked) private var contentLines = Set<Int>()
    /// First line of a comment block moved from the file's head to the first key (its blank line stays with the head).
    private var movedLeadingLine: Int?
    /// Problems that do not stop the parse, within `limits.maxDiagnostics` (a message is built only for
    /// those kept: a hostile file can have a duplicate key on every line).
    private let diagnostics: DiagnosticCollector
    private var sawDuplicateKey = false
    /// A scalar read as an infinite or zero float (what `NumberRange` checks) was seen.
    private var sawInfiniteOrZero = false
    /// A plain scalar read as a non-string that some reader might read otherwise was seen.
    private var sawAmbiguityCandidate = false
    private var aliasNodes = 0
    /// The block scanner read the events: it reads no explicit keys (`? key`), so no entry's `?` is looked for.
    private var readByBlockScanner = false

    private struct ScalarSpan {
        var start: Int
        var end: Int
    }

    /// An open collection with the path to it. Frames live in `stack` and are changed in place there.
    private struct Frame {
        let id: Int32
        let isSequence: Bool
        let start: SourcePosition
        let isBlock: Bool
        let anchor: String?
        /// The step from the enclosing collection to this one (nil for the root, or a collection used as
        /// a key). Paths are put together only for diagnostics: a copy per frame cost depth² per line of
        /// deeply nested flow collections.
        let step: PathComponent?
        /// Where its children begin in `openItems` (a sequence) or `openEntries` (a mapping), and its
        /// keys' fingerprints in `openKeyPrints`.
        let childBase: Int
        let printBase: Int
        /// The key waiting for its value (its node is on top of `pendingKeys`), or -1.
        var pendingKeyID: Int32 = -1
        /// Nodes below this one once aliases are expanded.
        var expandedCount = 1
        /// The keys seen so far, once there are too many to scan their fingerprints (a hostile
        /// mapping may hold 100k keys).
        var keyTable: [String: SourcePosition]?

        init(id: Int32, isSequence: Bool, start: SourcePosition, isBlock: Bool, anchor: String?, step: PathComponent?,
             childBase: Int, printBase: Int) {
            self.id = id
            self.isSequence = isSequence
            self.start = start
            self.isBlock = isBlock
            self.anchor = anchor
            self.step = step
            self.childBase = childBase
            self.printBase = printBase
        }
    }

    /// The children of the open collections, each one's on top of its enclosing one's (see `MoveStack`),
    /// and the fingerprints of the open mappings' keys (`openEntries[childBase + i]`'s key is
    /// `openKeyPrints[printBase + i]`).
    private let openItems = MoveStack<Node>(capacity: 64)
    /// The keys of open mappings waiting for their values, the innermost mapping's on top: a key is
    /// pushed when it arrives and taken when its value ends, and every collection opened in between has
    /// closed by then. Kept out of `Frame`: an optional `Node` there was destroyed through the
    /// type's value witness on every key and value (a call each).
    private let pendingKeys = MoveStack<Node>(capacity: 16)
    private let openEntries = MoveStack<Entry>(capacity: 64)
    private let openKeyPrints = MoveStack<UInt64>(capacity: 64)

    /// Where `key` was first seen in the mapping `frame`, or nil after recording it as seen at `start`.
    /// Asked when a key arrives, so every earlier key of the mapping has its entry by then. Fingerprints
    /// are scanned while the mapping is small (most are) — integers compared, the texts only when they
    /// match —, a table is used beyond that.
    private func firstSighting(of key: String, at start: SourcePosition, in frame: inout Frame) -> SourcePosition? {
        if frame.keyTable == nil {
            let print = KeyFingerprint.of(key)
            // Pushed whatever is found: a repeated key still gets its entry.
            defer { openKeyPrints.push(print) }
            for j in frame.printBase..<openKeyPrints.count where openKeyPrints[j] == print {
                let entry = frame.childBase + (j - frame.printBase)
                if openEntries[entry].keyText == key { return openEntries[entry].key.start }
            }
            if openKeyPrints.count - frame.printBase >= 64 {
                var table: [String: SourcePosition] = [key: start]
                for i in frame.childBase..<openEntries.count where table[openEntries[i].keyText] == nil {
                    table[openEntries[i].keyText] = openEntries[i].key.start
                }
                frame.keyTable = table
            }
            return nil
        }
        if let first = frame.keyTable?[key] { return first }
        frame.keyTable?[key] = start
        return nil
    }

    init(source: SourceText, limits: ParseLimits) {
        self.source = source
        self.limits = limits
        diagnostics = DiagnosticCollector(limit: limits.maxDiagnostics)
    }

    func run() -> YAMLParseResult {
        // About one node per 8 bytes in a spec: one allocation instead of a dozen growing copies (never
        // more than 64k ahead: a long scalar in a file allowed to be large is few nodes).
        let expectedNodes = min(source.bytes.count / 8, limits.maxNodes, 65_536) + 16
        info.reserveCapacity(expectedNodes)
        scalarSpans.reserveCapacity(expectedNodes)
        anchorPoints.reserveCapacity(expectedNodes / 2)
        return source.bytes.withUnsafeBufferPointer { whole -> YAMLParseResult in
            // Most specs are in the plain block subset BlockScanner reads, with the events libyaml gives.
            if source.bomLength == 0, let scanned = BlockScanner.scan(whole) {
                readByBlockScanner = true
                return scanned.decoded.withUnsafeBufferPointer { decoded -> YAMLParseResult in
                    var state = BuildState()
                    for event in scanned.events {
                        if let result = handle(event, value: event.value(in: whole, decoded: decoded), anchor: nil, tag: nil,
                                               plainImplicit: event.style == .plain, &state) { return result }
                    }
                    return .failure([Diagnostic(kind: .syntax, line: 1, column: 1, pointer: "", message: "the YAML stream has no end")])
                }
            }
            return runLibYAML(whole)
        }
    }

    /// The tree built as events come in: locals of the loop, not properties, so the many accesses per
    /// event need no run-time exclusivity checks (class properties get one per access).
    private struct BuildState {
        var root: Node?
        /// Open collections.
        var stack: [Frame] = []
        var documents = 0
    }

    private func runLibYAML(_ whole: UnsafeBufferPointer<UInt8>) -> YAMLParseResult {
        var state = BuildState()
        // libyaml would count a byte-order mark as a character of line 1: hand it the text after it.
        return Self.readLibYAML(UnsafeBufferPointer(rebasing: whole[source.bomLength...]), failed: { parser in
            guard let parser else {
                return .failure([Diagnostic(kind: .syntax, line: 1, column: 1, pointer: "", message: "could not initialise the YAML parser (out of memory)")])
            }
            return .failure([syntaxDiagnostic(parser)])
        }) { event, value, anchor, tag, plainImplicit in
            handle(event, value: value, anchor: anchor, tag: tag, plainImplicit: plainImplicit, &state)
        }
    }

    /// Runs libyaml over `input`, handing each event (as `convert` gives it, with the value and the anchor
    /// and tag it points to, valid until the next) to `body` until `body` returns a result. `failed` makes
    /// the result when libyaml cannot start (nil) or finds an error (its parser, which says where and why).
    static func readLibYAML<Result>(_ input: UnsafeBufferPointer<UInt8>, failed: (yaml_parser_t?) -> Result,
                                    _ body: (ParseEvent, UnsafeBufferPointer<UInt8>, UnsafePointer<UInt8>?,
                                             UnsafePointer<UInt8>?, Bool) -> Result?) -> Result {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return failed(nil) }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, input.baseAddress ?? UnsafePointer(bitPattern: 1)!, input.count)
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { return failed(parser) }
            defer { yaml_event_delete(&event) }
            let (converted, value, anchor, tag, plainImplicit) = convert(event)
            if let result = body(converted, value, anchor, tag, plainImplicit) { return result }
        }
    }

    /// A libyaml event as the builder reads it, with the C strings it points to (valid until it is deleted).
    private static func convert(_ event: yaml_event_t) -> (ParseEvent, UnsafeBufferPointer<UInt8>, UnsafePointer<UInt8>?,
                                                           UnsafePointer<UInt8>?, Bool) {
        let kind: ParseEvent.Kind
        var value = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var anchor: UnsafePointer<UInt8>?, tag: UnsafePointer<UInt8>?
        var plainImplicit = false, style = ScalarStyle.plain, isBlock = true
        switch event.type {
        case YAML_STREAM_START_EVENT: kind = .streamStart
        case YAML_STREAM_END_EVENT: kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: kind = .documentEnd
        case YAML_SCALAR_EVENT:
            kind = .scalar
            let s = event.data.scalar
            value = UnsafeBufferPointer(start: s.value, count: s.length)
            (anchor, tag, plainImplicit, style) = (UnsafePointer(s.anchor), UnsafePointer(s.tag), s.plain_implicit == 1, scalarStyle(s.style))
        case YAML_ALIAS_EVENT:
            kind = .alias
            anchor = UnsafePointer(event.data.alias.anchor)
        case YAML_SEQUENCE_START_EVENT:
            kind = .sequenceStart
            let s = event.data.sequence_start
            (anchor, tag, isBlock) = (UnsafePointer(s.anchor), UnsafePointer(s.tag), s.style != YAML_FLOW_SEQUENCE_STYLE)
        case YAML_MAPPING_START_EVENT:
            kind = .mappingStart
            let m = event.data.mapping_start
            (anchor, tag, isBlock) = (UnsafePointer(m.anchor), UnsafePointer(m.tag), m.style != YAML_FLOW_MAPPING_STYLE)
        case YAML_SEQUENCE_END_EVENT: kind = .sequenceEnd
        case YAML_MAPPING_END_EVENT: kind = .mappingEnd
        default: kind = .streamStart  // YAML_NO_EVENT: libyaml gives none after a success; read as nothing
        }
        let converted = ParseEvent(kind: kind, startLine: Int32(truncatingIfNeeded: event.start_mark.line),
                                   startColumn: Int32(truncatingIfNeeded: event.start_mark.column),
                                   endLine: Int32(truncatingIfNeeded: event.end_mark.line),
                                   endColumn: Int32(truncatingIfNeeded: event.end_mark.column), style: style, isBlock: isBlock)
        return (converted, value, anchor, tag, plainImplicit)
    }

    /// One event into the tree: nil to go on, the result once the stream ends or the input fails.
    /// `anchor` is an alias's anchor name for `.alias`; `value`, `tag` and `plainImplicit` are a scalar's.
    @inline(__always)
    private func handle(_ event: ParseEvent, value bytes: UnsafeBufferPointer<UInt8>, anchor: UnsafePointer<UInt8>?,
                        tag tagPointer: UnsafePointer<UInt8>?, plainImplicit: Bool, _ state: inout BuildState) -> YAMLParseResult? {
        let start = source.position(line0: Int(event.startLine), column0: Int(event.startColumn))
        let end = source.position(line0: Int(event.endLine), column0: Int(event.endColumn))
        if info.count >= limits.maxNodes, event.makesNode {
            return failure(Diagnostic(kind: .limit, at: start, pointer: currentPath(state.stack).jsonPointer,
                message: "more than \(limits.maxNodes) nodes (limits.max_nodes); a task spec has a few hundred — split the file or raise the limit"))
        }
        switch event.kind {
        case .streamEnd:
            if var tree = state.root {
                state.root = nil  // the tree's only owner now, so the comment walk changes it in place
                return finish(&tree)
            }
            _ = newNode(NodeInfo(start: .start, end: .start, isBlock: true, isCollection: false, isAlias: false))
            var empty = Node(kind: .scalar(Scalar(text: "", style: .plain, tag: nil, value: .null)), start: .start, end: .start)
            return finish(&empty)
        case .documentStart:
            state.documents += 1
            if state.documents > 1 {
                return failure(Diagnostic(kind: .multipleDocuments, at: start, pointer: "",
                    message: "a second YAML document starts here; a spec file holds exactly one document (remove this `---` or split the file)"))
            }
        case .scalar:
            let text = String(decoding: bytes, as: UTF8.self)
            let style = event.style
            let tag = tagPointer.map { String(cString: $0) }
            var value: JSONValue
            if tag == nil {
                // The common case, resolved on the bytes in place.
                value = .string(text)
                if style == .plain, let resolved = ScalarResolver.resolvePlain(bytes: bytes) {
                    value = resolved
                    if !sawAmbiguityCandidate && !ScalarResolver.readsAlikeEverywhere(bytes) { sawAmbiguityCandidate = true }
                }
            } else {
                switch resolveTagged(text: text, style: style, tag: tag, plainImplicit: plainImplicit) {
                case .success(let v): value = v
                case .failure(let message):
                    diagnostics.add(start) { Diagnostic(kind: .unsupported, at: start, pointer: currentPath(state.stack).jsonPointer, message: message) }
                    value = .string(text)
                }
            }
            if case .number(let d) = value, d.isInfinite || d == 0 { sawInfiniteOrZero = true }
            // Only a key needs its text again (a copy of the string: a retain and a release, so values
            // are not given one).
            let scalarKey = isNextKey(state.stack) ? (text: text, isNull: text.isEmpty && style == .plain && tag == nil) : nil
            let node = Node(kind: .scalar(Scalar(text: consume text, style: style, tag: consume tag, value: consume value)),
                            start: start, end: end)
            let id = newNode(NodeInfo(start: start, end: end, isBlock: true, isCollection: false, isAlias: false))
            recordScalarSpan(start: start, end: end, style: style, hasProperties: anchor != nil || tagPointer != nil)
            if let anchor {
                anchors[String(cString: anchor)] = Anchored(node: node, expandedCount: 1, isCollection: false)
            }
            if let failure = add(node, id, expandedCount: 1, &state.root, &state.stack, scalarKey: scalarKey) { return failure }
        case .alias:
            let name = anchor.map { String(cString: $0) } ?? ""
            guard let target = anchors[name] else {
                return failure(Diagnostic(kind: .syntax, at: start, pointer: currentPath(state.stack).jsonPointer,
                    message: "alias *\(name) refers to no anchor defined before it (define &\(name) earlier in the file)"))
            }
            aliasNodes += target.expandedCount
            if aliasNodes > limits.maxAliasNodes {
                return failure(Diagnostic(kind: .limit, at: start, pointer: currentPath(state.stack).jsonPointer,
                    message: "aliases expand to more than \(limits.maxAliasNodes) nodes (limits.max_alias_nodes); expand them by hand or raise the limit"))
            }
            // Aliases are expanded: the anchored tree (its comments stay only at the anchor's site,
            // and it has none yet) at the alias's place.
            var node = target.node
            node.start = start
            node.end = end
            let id = newNode(NodeInfo(start: start, end: end, isBlock: true, isCollection: target.isCollection, isAlias: true))
            recordScalarSpan(start: start, end: end, style: .plain, hasProperties: false)
            if let failure = add(node, id, expandedCount: target.expandedCount, &state.root, &state.stack) { return failure }
        case .sequenceStart, .mappingStart:
            if state.stack.count >= limits.maxDepth {
                return failure(Diagnostic(kind: .limit, at: start, pointer: currentPath(state.stack).jsonPointer,
                    message: "nesting deeper than \(limits.maxDepth) levels (limits.max_depth)"))
            }
            let isSequence = event.kind == .sequenceStart
            if let tagPointer {
                let tag = String(cString: tagPointer)
                let expected = isSequence ? "tag:yaml.org,2002:seq" : "tag:yaml.org,2002:map"
                if tag != expected && tag != "!" {
                    diagnostics.add(start) { Diagnostic(kind: .unsupported, at: start, pointer: currentPath(state.stack).jsonPointer,
                        message: "unsupported tag \(tag); spec files hold plain JSON-like data (remove the tag)") }
                }
            }
            var nodeInfo = NodeInfo(start: start, end: end, isBlock: event.isBlock, isCollection: true, isAlias: false)
            nodeInfo.parent = state.stack.last?.id ?? -1
            let id = newNode(nodeInfo)
            let step = childStep(state.stack)
            registerAnchorPoint(id, start: start, state.stack)
            state.stack.append(Frame(id: id, isSequence: isSequence, start: start, isBlock: event.isBlock,
                                     anchor: anchor.map { String(cString: $0) }, step: step,
                                     childBase: isSequence ? openItems.count : openEntries.count,
                                     printBase: openKeyPrints.count))
        case .sequenceEnd, .mappingEnd:
            guard let frame = state.stack.popLast() else { break }
            info[Int(frame.id)].end = end
            info[Int(frame.id)].subtreeEnd = Int32(info.count)
            let kind: Node.Kind
            if frame.isSequence {
                kind = .sequence(openItems.popArray(from: frame.childBase))
            } else {
                kind = .mapping(openEntries.popArray(from: frame.childBase))
                openKeyPrints.truncate(to: frame.printBase)
            }
            let node = Node(kind: kind, start: frame.start, end: end)
            if let anchor = frame.anchor {
                anchors[anchor] = Anchored(node: node, expandedCount: frame.expandedCount, isCollection: true)
            }
            if let failure = add(node, frame.id, expandedCount: frame.expandedCount, &state.root, &state.stack, alreadyRegistered: true) { return failure }
        case .streamStart, .documentEnd:
            break
        }
        return nil
    }

    // MARK: Event helpers

    private func newNode(_ nodeInfo: NodeInfo) -> Int32 {
        info.append(nodeInfo)
        return Int32(info.count - 1)
    }

    /// A problem that stops the parse, after those recorded so far (and a note of any the cap left out).
    private func failure(_ fatal: Diagnostic) -> YAMLParseResult {
        var all = diagnostics.sorted() + [fatal]
        // The note goes where the problems it stands for begin: before the fatal one, which is listed.
        if let omitted = diagnostics.firstOmitted { all.append(.omitted(after: limits.maxDiagnostics, from: omitted)) }
        return .failure(all.sorted())
    }

    private func position(_ mark: yaml_mark_t) -> SourcePosition {
        source.position(line0: Int(mark.line), column0: Int(mark.column))
    }

    /// The path to the collection at `stack[depth - 1]` (the root for depth 0).
    private func path(_ stack: [Frame], depth: Int) -> [PathComponent] {
        var path: [PathComponent] = []
        for i in 0..<depth { if let step = stack[i].step { path.append(step) } }
        return path
    }

    /// The step from the innermost open collection to the node that comes next in it.
    private func childStep(_ stack: [Frame]) -> PathComponent? {
        guard let t = stack.indices.last else { return nil }
        if stack[t].isSequence { return .index(openItems.count - stack[t].childBase) }
        if stack[t].pendingKeyID >= 0, case .scalar(let s) = pendingKeys[pendingKeys.count - 1].kind {
            return .key(s.text)
        }
        return nil
    }

    private func currentPath(_ stack: [Frame]) -> [PathComponent] {
        var path = path(stack, depth: stack.count)
        if let step = childStep(stack) { path.append(step) }
        return path
    }

    private func registerAnchorPoint(_ id: Int32, start: SourcePosition, _ stack: [Frame]) {
        guard let t = stack.indices.last else { return }
        if stack[t].isSequence {
            let column = stack[t].isBlock ? stack[t].start.column : start.column
            anchorPoints.append(AnchorPoint(line: start.line, column: column, node: id, container: stack[t].id))
        } else if stack[t].pendingKeyID < 0 {
            // An entry written `? key` starts at its `?`: placed at the key (two columns on, or lines
            // below), it took the comments closing the block above it for its own.
            let at = stack[t].isBlock && !readByBlockScanner ? (source.explicitKeyIndicator(before: start) ?? start) : start
            anchorPoints.append(AnchorPoint(line: at.line, column: at.column, node: id, container: stack[t].id))
        }
    }

    /// Whether the node that comes next is a key: the innermost open collection is a mapping with no key pending.
    @inline(__always)
    private func isNextKey(_ stack: [Frame]) -> Bool {
        guard let t = stack.indices.last else { return false }
        return !stack[t].isSequence && stack[t].pendingKeyID < 0
    }

    /// Adds a finished node to the collection on top of the stack (or makes it the root).
    /// `scalarKey`: for a scalar that comes as a key (`isNextKey`), its text and whether it reads as null —
    /// what a key needs, handed over by the caller, which has them (matching the node's kind to get them
    /// copied the scalar).
    private func add(_ node: consuming Node, _ id: Int32, expandedCount: Int, _ root: inout Node?,
                     _ stack: inout [Frame], alreadyRegistered: Bool = false,
                     scalarKey: (text: String, isNull: Bool)? = nil) -> YAMLParseResult? {
        guard let t = stack.indices.last else {
            root = node
            return nil
        }
        if !alreadyRegistered { registerAnchorPoint(id, start: node.start, stack) }
        if stack[t].isSequence {
            openItems.push(consume node)
            stack[t].expandedCount += expandedCount
            info[Int(id)].owner = id
        } else if stack[t].pendingKeyID >= 0 {
            openEntries.push(Entry(key: pendingKeys.pop(), value: consume node))
            stack[t].expandedCount += 1 + expandedCount
            let keyID = stack[t].pendingKeyID
            stack[t].pendingKeyID = -1
            info[Int(keyID)].value = id
            info[Int(id)].owner = keyID
        } else {
            guard let keyScalar = scalarKey else {
                return failure(Diagnostic(kind: .unsupported, at: node.start, pointer: path(stack, depth: t + 1).jsonPointer,
                    message: "a mapping key must be a plain string, not a collection or alias"))
            }
            if keyScalar.isNull {
                // `? ` or `: value` with nothing before it: a null key, almost surely a slip, and
                // one that cannot be written back as it reads (`""` would make it a string).
                diagnostics.add(node.start) { Diagnostic(kind: .unsupported, at: node.start, pointer: path(stack, depth: t + 1).jsonPointer,
                    message: "empty mapping key (it reads as null); give the key a name, or write \"\" for an empty string") }
            }
            if let first = firstSighting(of: keyScalar.text, at: node.start, in: &stack[t]) {
                sawDuplicateKey = true
                diagnostics.add(node.start) {
                    var keyPath = path(stack, depth: t + 1)
                    keyPath.append(.key(keyScalar.text))
                    return Diagnostic(kind: .duplicateKey, at: node.start, pointer: keyPath.jsonPointer,
                        message: "duplicate key \"\(keyScalar.text)\" (first defined at line \(first.line), column \(first.column)); keep one of them")
                }
            }
            stack[t].pendingKeyID = id
            pendingKeys.push(consume node)
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
        scalarSpans.append(ScalarSpan(start: startOffset, end: max(startOffset, end.offset)))
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

    // MARK: Finishing: comments, trivia

    /// The root is node 0 (the first node of the event stream).
    private static let rootID: Int32 = 0

    private func finish(_ tree: inout Node) -> YAMLParseResult {
        var documentLeading: [RawComment] = []
        attachComments(documentLeading: &documentLeading)
        let leading = trivia(documentLeading, before: documentLeading.isEmpty ? nil : (movedLeadingLine ?? firstContentLine()),
                             blankBefore: false)
        // Anchored trees share storage with the tree: let go of them, so the tree is changed in place.
        anchors = [:]
        var next: Int32 = 0
        let marked = nodesWithTrivia()
        var cursor = 0
        applyComments(&tree, &next, marked, &cursor)
        var document = YAMLDocument(root: tree, leadingComments: leading, diagnostics: diagnostics.sorted())
        document.firstOmittedDiagnostic = diagnostics.firstOmitted
        document.hasDuplicateKeys = sawDuplicateKey
        document.mayHoldNumbersOutOfRange = sawInfiniteOrZero
        document.mayHoldAmbiguousScalars = sawAmbiguityCandidate
        return .document(document)
    }

    private func firstContentLine() -> Int {
        let rootLine = info[Int(Self.rootID)].start.line
        return anchorPoints.first.map { min($0.line, rootLine) } ?? rootLine
    }

    /// Enclosing collections of an anchor point, outermost first.
    private func containers(_ point: AnchorPoint) -> [Int32] {
        var chain: [Int32] = []
        var current = point.container
        while current >= 0 {
            chain.append(current)
            current = info[Int(current)].parent
        }
        return chain.reversed()
    }

    private func attachComments(documentLeading: inout [RawComment]) {
        let comments = CommentScanner.scan(source, spans: scalarSpans.map { ($0.start, $0.end) })
        guard !comments.isEmpty else { return }
        let points = anchorPoints
        let root = Self.rootID
        var next = 0  // first anchor point with line > comment line
        for var comment in comments {
            while next < points.count && points[next].line <= comment.line { next += 1 }
            if !comment.ownLine {
                switch comment.prefix {
                case .documentMarker:
                    // `--- # c` or `... # c`: the marker goes away, the comment stays on a line of its own.
                    comment.ownLine = true
                    comment.column = 1
                case .indicatorsOnly where next < points.count && trailing[points[next].node] == nil:
                    // `- # c` above a mapping item: it belongs to the item's first line.
                    trailing[points[next].node] = comment.text
                    info[Int(points[next].node)].hasComments = true
                    continue
                default:
                    if next > 0 {
                        let target = eolTarget(points[next - 1], line: comment.line)
                        if trailing[target] == nil {
                            trailing[target] = comment.text
                            info[Int(target)].hasComments = true
                            continue
                        }
                    }
                    if next == 0, trailing[root] == nil, !info[Int(root)].isCollection,
                       info[Int(root)].start.line == comment.line {
                        trailing[root] = comment.text
                        info[Int(root)].hasComments = true
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
            let value = info[Int(previous.node)].value
            if value >= 0, info[Int(value)].start.line > comment.line, !info[Int(value)].isCollection {
                rawLeading[previous.node, default: []].append(comment)
                info[Int(previous.node)].hasComments = true
                continue
            }
            let previousContainers = containers(previous)
            var container = previousContainers.first ?? root
            for candidate in previousContainers where info[Int(candidate)].start.column <= comment.column { container = candidate }
            if next < points.count {
                let following = points[next]
                if comment.column <= following.column || containers(following).contains(container) {
                    rawLeading[following.node, default: []].append(comment)
                    info[Int(following.node)].hasComments = true
                    continue
                }
            }
            rawEndOfBlock[container, default: []].append(comment)
            info[Int(container)].hasComments = true
        }
        splitDocumentLeading(&documentLeading, firstAnchor: points.first)
    }

    /// The node an end-of-line comment after `point` belongs to: the point itself, or — when the
    /// comment follows the closing bracket of a flow collection — the entry or item holding it.
    private func eolTarget(_ point: AnchorPoint, line: Int) -> Int32 {
        var target = point.node
        var container = point.container
        while container >= 0 {
            let flow = info[Int(container)]
            guard !flow.isBlock, flow.end.line == line, flow.owner >= 0 else { break }
            target = flow.owner
            container = flow.parent
        }
        return target
    }

    /// Comments before the first key: the file's leading comment stays first, but a block written
    /// directly above the first key (after a blank line or marker) belongs to that key and moves with it.
    private func splitDocumentLeading(_ leading: inout [RawComment], firstAnchor: AnchorPoint?) {
        guard let first = firstAnchor, let last = leading.last, last.line == first.line - 1 else { return }
        var blockStart = leading.count - 1
        while blockStart > 0 && leading[blockStart - 1].line == leading[blockStart].line - 1 { blockStart -= 1 }
        guard leading[blockStart].line != firstNonBlankLine() else { return }
        rawLeading[first.node, default: []].insert(contentsOf: leading[blockStart...], at: 0)
        info[Int(first.node)].hasComments = true
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

    /// The nodes, in pre-order, that get comments or a blank line above them: those with a comment
    /// attached, and those starting right below a separator blank line.
    private func nodesWithTrivia() -> [Int32] {
        // Lines right below a separator blank, ascending; node start lines ascend in pre-order too (events
        // come in document order: properties before their node, an empty scalar at its `?`/`:` mark), so
        // one merge-like walk matches the two.
        var belowBlank: [Int] = []
        if source.lineCount >= 2 {
            for line in 2...source.lineCount where isSeparatorBlank(line - 1) { belowBlank.append(line) }
        }
        var marked: [Int32] = []
        var k = 0
        info.withUnsafeBufferPointer { info in
            for id in info.indices {
                let line = info[id].start.line
                assert(id == 0 || line >= info[id - 1].start.line, "node start lines go back in pre-order")
                while k < belowBlank.count && belowBlank[k] < line { k += 1 }
                if info[id].hasComments || (k < belowBlank.count && belowBlank[k] == line) { marked.append(Int32(id)) }
            }
        }
        return marked
    }

    /// Gives every node its comments, walking the tree in pre-order (the order nodes were numbered in),
    /// changing it in place. An alias's expansion is one node here: comments stay at the anchor's site.
    /// `marked` (from `nodesWithTrivia`) lists the nodes to change; `cursor` is the first not reached.
    /// A subtree holding none of them is stepped over without touching its nodes.
    private func applyComments(_ node: inout Node, _ next: inout Int32, _ marked: [Int32], _ cursor: inout Int) {
        let id = next
        let nodeInfo = info[Int(id)]
        let isWalked = !nodeInfo.isAlias && nodeInfo.isCollection
        let end = isWalked ? nodeInfo.subtreeEnd : id + 1
        guard cursor < marked.count, marked[cursor] < end else {
            next = end
            return
        }
        next += 1
        if marked[cursor] == id {
            cursor += 1
            let anchorLine = nodeInfo.start.line
            if nodeInfo.hasComments {
                let raw = rawLeading[id] ?? []
                let blankBefore = raw.first.map { $0.line != movedLeadingLine } ?? true
                var leading = trivia(raw, before: anchorLine, blankBefore: blankBefore)
                if raw.isEmpty && isSeparatorBlank(anchorLine - 1) && anchorLine > 1 { leading = [.blank] }
                node.comments = NodeComments(leading: leading, trailing: trailing[id],
                                             endOfBlock: trivia(rawEndOfBlock[id] ?? [], before: nil, blankBefore: true))
            } else {
                // Marked without a comment: `nodesWithTrivia` found a separator blank line above it.
                node.comments.leading = [.blank]
            }
        }
        guard isWalked else { return }
        switch node.kind {
        case .scalar:
            break
        case .sequence(var items):
            node.kind = .sequence([])  // let `items` be the array's only owner while it changes
            for i in items.indices { applyComments(&items[i], &next, marked, &cursor) }
            node.kind = .sequence(items)
        case .mapping(var entries):
            node.kind = .mapping([])
            for i in entries.indices {
                applyComments(&entries[i].key, &next, marked, &cursor)
                applyComments(&entries[i].value, &next, marked, &cursor)
            }
            node.kind = .mapping(entries)
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
