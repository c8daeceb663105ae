/// Three-way merge of specs by structure, for the git merge driver (`specsync merge`). Pure: bytes in,
/// bytes out. Works on the data the processor reads (after the ambiguous-scalar rule), so `5239e568` and
/// `"5239e568"` are the same value, and on the comment-carrying `Node` tree, so comments survive.
///
/// Rules: mapping keys merge independently; a value changed on one side takes that side; changed on
/// both sides to the same value is that value; to different values (or deleted on one side and changed
/// on the other) is a conflict. Sequences whose items all have an identity (a string item is its own
/// identity, a mapping item its `id`, else its `path`) merge item by item, keeping ours' order (theirs'
/// when only theirs changed the list) and appending the other side's new items; other sequences merge
/// as a whole.
public enum SpecMerge {
    public struct Conflict: Sendable, Hashable, CustomStringConvertible {
        public var pointer: String
        public var reason: String

        public var description: String { "\(pointer.isEmpty ? "/" : pointer): \(reason)" }
    }

    public enum Side: String, Sendable { case base, ours, theirs }

    public enum Outcome: Sendable {
        /// Merged cleanly: valid against the schema and canonical.
        case merged([UInt8])
        /// The canonical merge with conflict markers around the conflicting lines (or, when the merged
        /// spec would be invalid, around what the sides changed), the conflicts, and why a clean
        /// merge was refused when it was the schema.
        case conflicted([UInt8], conflicts: [Conflict], diagnostics: [Diagnostic])
        /// A side is not one readable, marker-free YAML document: the caller falls back to a text merge.
        case unreadable(Side, [Diagnostic])
    }

    public static func merge(base: [UInt8], ours: [UInt8], theirs: [UInt8], processor: SpecProcessor,
                             labels: ConflictMarkers.Labels = ConflictMarkers.Labels()) -> Outcome {
        var documents: [YAMLDocument] = []
        var canonical: [[UInt8]] = []
        for (side, bytes) in [(Side.base, base), (.ours, ours), (.theirs, theirs)] {
            let analysis = processor.analyze(bytes)
            guard let document = analysis.document, let bytes = analysis.canonical else {
                return .unreadable(side, analysis.diagnostics)
            }
            documents.append(document)
            canonical.append(bytes)
        }
        var merger = TreeMerger()
        let root = merger.merge(documents[0].root, documents[1].root, documents[2].root, path: [])
        let leading = TreeMerger.mergeTrivia(documents[0].leadingComments, documents[1].leadingComments,
                                             documents[2].leadingComments)
        func emit(_ node: Node?) -> [UInt8] {
            let document = YAMLDocument(root: node ?? Node(kind: .mapping([]), start: .start, end: .start),
                                        leadingComments: leading, diagnostics: [])
            return processor.canonicalBytes(of: document)
        }
        if merger.conflicts.isEmpty {
            let bytes = emit(root.ours)
            let check = processor.analyze(bytes)
            if check.isValid && check.isCanonical(bytes) { return .merged(bytes) }
            // Each change is fine alone but not together (or a side was already invalid): leave it to the
            // user, with markers around what each side changed.
            let text = ConflictMarkers.merge(base: string(canonical[0]), ours: string(canonical[1]),
                                             theirs: string(canonical[2]), labels: labels, everyChangeConflicts: true)
            let out = text.conflicts > 0 ? Array(text.text.utf8) : bytes
            return .conflicted(out, conflicts: [], diagnostics: check.isValid ? [] : check.diagnostics)
        }
        // The three versions differ only where the conflicts are, so a line merge of their canonical
        // forms puts markers around exactly the conflicting lines.
        let text = ConflictMarkers.merge(base: string(emit(root.base)), ours: string(emit(root.ours)),
                                         theirs: string(emit(root.theirs)), labels: labels, everyChangeConflicts: true)
        return .conflicted(Array(text.text.utf8), conflicts: merger.conflicts, diagnostics: [])
    }

    private static func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

extension SpecProcessor {
    /// The canonical bytes of a document built or changed in code (key order from the schema).
    public func canonicalBytes(of document: YAMLDocument) -> [UInt8] {
        let order: CanonicalEmitter.KeyOrder = validator.map { v in { v.propertyOrder(at: $0) } } ?? { _ in [] }
        return CanonicalEmitter.emit(document, keyOrder: order, keyOrderIsUnique: validator?.propertyOrderIsUnique ?? true)
    }
}

/// One merged place in three versions: identical unless a conflict lies inside.
struct Merged {
    var base: Node?
    var ours: Node?
    var theirs: Node?

    static func same(_ node: Node?) -> Merged { Merged(base: node, ours: node, theirs: node) }
}

struct TreeMerger {
    var conflicts: [SpecMerge.Conflict] = []

    mutating func merge(_ b: Node?, _ o: Node?, _ t: Node?, path: [PathComponent]) -> Merged {
        switch (o, t) {
        case (nil, nil):
            return .same(nil)
        case (nil, let t?):
            guard let b else { return .same(t) }  // added by theirs
            if t.json == b.json { return .same(nil) }  // deleted by ours
            return conflict(b, nil, t, path, "deleted in ours, changed in theirs")
        case (let o?, nil):
            guard let b else { return .same(o) }
            if o.json == b.json { return .same(nil) }
            return conflict(b, o, nil, path, "changed in ours, deleted in theirs")
        case (let o?, let t?):
            return mergePresent(b, o, t, path: path)
        }
    }

    private mutating func mergePresent(_ b: Node?, _ o: Node, _ t: Node, path: [PathComponent]) -> Merged {
        let comments = Self.mergeComments(b?.comments, o.comments, t.comments)
        switch (o.kind, t.kind) {
        case (.mapping(let oEntries), .mapping(let tEntries)):
            let bEntries = b?.mappingEntries
            return mergeMapping(bEntries ?? [], oEntries, tEntries, template: o, comments: comments, path: path)
        case (.sequence(let oItems), .sequence(let tItems)):
            var bItems: [Node]? = nil
            if let b, case .sequence(let items) = b.kind { bItems = items }
            if let keyed = mergeByIdentity(bItems ?? [], oItems, tItems, oursUnchanged: bItems != nil && o.json == b?.json,
                                           template: o, comments: comments, path: path) {
                return keyed
            }
            if o.json == t.json, oItems.count == tItems.count {
                // Same data: pair items by position so comments from both sides survive.
                let bPaired = bItems.flatMap { $0.count == oItems.count && o.json == b?.json ? $0 : nil }
                var items: [Node] = []
                for index in oItems.indices {
                    let merged = merge(bPaired?[index], oItems[index], tItems[index], path: path + [.index(index)])
                    if let node = merged.ours { items.append(node) }
                }
                return .same(Self.rebuilt(o, .sequence(items), comments))
            }
            return mergeWhole(b, o, t, comments: comments, path: path)
        default:
            return mergeWhole(b, o, t, comments: comments, path: path)
        }
    }

    /// Scalars, type changes and sequences without identities: one side's version, or a conflict.
    private mutating func mergeWhole(_ b: Node?, _ o: Node, _ t: Node, comments: NodeComments,
                                     path: [PathComponent]) -> Merged {
        let oj = o.json, tj = t.json
        if oj == tj { return .same(Self.with(o, comments)) }
        if let b {
            let bj = b.json
            if oj == bj { return .same(Self.with(t, comments)) }
            if tj == bj { return .same(Self.with(o, comments)) }
        }
        return conflict(b, o, t, path, b == nil ? "added differently on both sides" : "changed differently on both sides")
    }

    private mutating func conflict(_ b: Node?, _ o: Node?, _ t: Node?, _ path: [PathComponent], _ reason: String) -> Merged {
        conflicts.append(SpecMerge.Conflict(pointer: path.jsonPointer, reason: reason))
        return Merged(base: b, ours: o, theirs: t)
    }

    private mutating func mergeMapping(_ bEntries: [Entry], _ oEntries: [Entry], _ tEntries: [Entry], template: Node,
                                       comments: NodeComments, path: [PathComponent]) -> Merged {
        func index(_ entries: [Entry]) -> [String: Entry] {
            var map: [String: Entry] = [:]
            for entry in entries where map[entry.keyText] == nil { map[entry.keyText] = entry }
            return map
        }
        let bMap = index(bEntries), oMap = index(oEntries), tMap = index(tEntries)
        var keys = oEntries.map(\.keyText)
        var seen = Set(keys)
        for entry in tEntries where seen.insert(entry.keyText).inserted { keys.append(entry.keyText) }
        var result: (base: [Entry], ours: [Entry], theirs: [Entry]) = ([], [], [])
        for key in keys {
            let bEntry = bMap[key], oEntry = oMap[key], tEntry = tMap[key]
            let value = merge(bEntry?.value, oEntry?.value, tEntry?.value, path: path + [.key(key)])
            // The key node carries the entry's comments (above it, and at the end of its line).
            guard var keyNode = oEntry?.key ?? tEntry?.key ?? bEntry?.key else { continue }
            keyNode.comments = Self.mergeComments(bEntry?.key.comments, oEntry?.key.comments, tEntry?.key.comments)
            if let v = value.base { result.base.append(Entry(key: keyNode, value: v)) }
            if let v = value.ours { result.ours.append(Entry(key: keyNode, value: v)) }
            if let v = value.theirs { result.theirs.append(Entry(key: keyNode, value: v)) }
        }
        return Merged(base: Self.rebuilt(template, .mapping(result.base), comments),
                      ours: Self.rebuilt(template, .mapping(result.ours), comments),
                      theirs: Self.rebuilt(template, .mapping(result.theirs), comments))
    }

    /// Item-by-item merge of sequences whose items all have a distinct identity; nil when they do not.
    private mutating func mergeByIdentity(_ bItems: [Node], _ oItems: [Node], _ tItems: [Node], oursUnchanged: Bool,
                                          template: Node, comments: NodeComments, path: [PathComponent]) -> Merged? {
        guard let bMap = Self.byIdentity(bItems), let oMap = Self.byIdentity(oItems), let tMap = Self.byIdentity(tItems),
              !(oItems.isEmpty && tItems.isEmpty) else { return nil }
        // Ours' order, unless only theirs touched the list (then theirs' order, reordering included).
        let (first, second) = oursUnchanged ? (tItems, oItems) : (oItems, tItems)
        var ids = first.compactMap(Self.identity)
        var seen = Set(ids)
        for id in second.compactMap(Self.identity) where seen.insert(id).inserted { ids.append(id) }
        var result: (base: [Node], ours: [Node], theirs: [Node]) = ([], [], [])
        for id in ids {
            let merged = merge(bMap[id], oMap[id], tMap[id], path: path + [.index(result.ours.count)])
            if let n = merged.base { result.base.append(n) }
            if let n = merged.ours { result.ours.append(n) }
            if let n = merged.theirs { result.theirs.append(n) }
        }
        return Merged(base: Self.rebuilt(template, .sequence(result.base), comments),
                      ours: Self.rebuilt(template, .sequence(result.ours), comments),
                      theirs: Self.rebuilt(template, .sequence(result.theirs), comments))
    }

    /// A string item is its own identity; a mapping item is known by its `id`, else its `path` (a file
    /// to modify written as a plain path or as a mapping is the same file).
    static func identity(_ node: Node) -> String? {
        switch node.kind {
        case .scalar(let s):
            if case .string(let text) = s.value { return text }
            return nil
        case .mapping(let entries):
            for key in ["id", "path"] {
                if let entry = entries.first(where: { $0.keyText == key }), case .scalar(let s) = entry.value.kind,
                   case .string(let text) = s.value {
                    return text
                }
            }
            return nil
        case .sequence:
            return nil
        }
    }

    private static func byIdentity(_ items: [Node]) -> [String: Node]? {
        var map: [String: Node] = [:]
        for item in items {
            guard let id = identity(item), map[id] == nil else { return nil }
            map[id] = item
        }
        return map
    }

    private static func with(_ node: Node, _ comments: NodeComments) -> Node {
        var node = node
        node.comments = comments
        return node
    }

    private static func rebuilt(_ template: Node, _ kind: Node.Kind, _ comments: NodeComments) -> Node {
        Node(kind: kind, start: template.start, end: template.end, comments: comments)
    }

    // MARK: Comments

    /// Comments of a node both sides kept: each side's additions and removals.
    static func mergeComments(_ b: NodeComments?, _ o: NodeComments?, _ t: NodeComments?) -> NodeComments {
        guard let o else { return t ?? NodeComments() }
        guard let t else { return o }
        let base = b ?? NodeComments()
        var out = NodeComments()
        out.leading = mergeTrivia(base.leading, o.leading, t.leading)
        out.endOfBlock = mergeTrivia(base.endOfBlock, o.endOfBlock, t.endOfBlock)
        if o.trailing == t.trailing || t.trailing == base.trailing {
            out.trailing = o.trailing
        } else if o.trailing == base.trailing {
            out.trailing = t.trailing
        } else {
            // Both changed the end-of-line comment: ours stays there, theirs goes on its own line above.
            out.trailing = o.trailing
            if let theirs = t.trailing, !out.leading.contains(.comment(theirs)) { out.leading.append(.comment(theirs)) }
        }
        return out
    }

    /// Own-line comments: ours' lines, without the comments theirs deleted, with theirs' new comments
    /// (that ours did not add too) appended.
    static func mergeTrivia(_ b: [TriviaLine], _ o: [TriviaLine], _ t: [TriviaLine]) -> [TriviaLine] {
        if o == t || t == b { return o }
        if o == b { return t }
        var result = o
        var remaining = counts(t)
        for line in b {
            guard case .comment = line else { continue }
            if let n = remaining[line], n > 0 { remaining[line] = n - 1; continue }
            if let at = result.firstIndex(of: line) { result.remove(at: at) }
        }
        var inBase = counts(b)
        var inOurs = counts(o)
        for line in t {
            guard case .comment = line else { continue }
            if let n = inBase[line], n > 0 { inBase[line] = n - 1; continue }
            if let n = inOurs[line], n > 0 { inOurs[line] = n - 1; continue }
            result.append(line)
        }
        return result
    }

    private static func counts(_ lines: [TriviaLine]) -> [TriviaLine: Int] {
        var map: [TriviaLine: Int] = [:]
        for line in lines { map[line, default: 0] += 1 }
        return map
    }
}
