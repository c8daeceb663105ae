// The document model shared by the parser, the schema validator and the canonical emitter.
// Pure values: no I/O, no paths, no clock.

/// A place in the source text. `line` and `column` are 1-based; `column` counts Unicode scalars,
/// as libyaml does. `offset` is the 0-based byte offset into the UTF-8 input.
public struct SourcePosition: Hashable, Sendable, Comparable {
    // Line and column are kept in 32 bits (clamped: a file of 2^31 lines is far beyond any limit), so
    // a node's two positions take 32 bytes, not 48 — nodes are copied often while a tree is built.
    private var line32: Int32
    private var column32: Int32
    public var offset: Int

    public var line: Int {
        get { Int(line32) }
        set { line32 = Int32(clamping: newValue) }
    }

    public var column: Int {
        get { Int(column32) }
        set { column32 = Int32(clamping: newValue) }
    }

    public init(line: Int, column: Int, offset: Int) {
        self.line32 = Int32(clamping: line)
        self.column32 = Int32(clamping: column)
        self.offset = offset
    }

    public static let start = SourcePosition(line: 1, column: 1, offset: 0)

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line32, a.column32, a.offset) < (b.line32, b.column32, b.offset)
    }
}

/// A JSON data value, the common ground of YAML documents and JSON Schemas.
/// Objects keep their key order (schema `properties` order drives the canonical key order).
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// An insertion-ordered string-keyed map.
public struct JSONObject: Hashable, Sendable {
    public private(set) var keys: [String] = []
    public private(set) var storage: [String: JSONValue] = [:]

    public init() {}

    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
    public var pairs: [(key: String, value: JSONValue)] { keys.map { ($0, storage[$0]!) } }

    // Key order matters for schemas and emitters, but not for data equality.
    public static func == (a: JSONObject, b: JSONObject) -> Bool { a.storage == b.storage }
    public func hash(into hasher: inout Hasher) { hasher.combine(storage) }
}

/// One step of a path into a document; renders as a JSON Pointer (RFC 6901).
public enum PathComponent: Hashable, Sendable {
    case key(String)
    case index(Int)
}

extension Array where Element == PathComponent {
    /// `/acceptance_criteria/0/id`; the root is the empty string.
    public var jsonPointer: String {
        var out = ""
        for component in self {
            out.append("/")
            switch component {
            case .index(let i): out.append(String(i))
            case .key(let k) where !k.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }):
                out.append(k)  // nearly every key: nothing to escape
            case .key(let k):
                for ch in k.unicodeScalars {
                    switch ch {
                    case "~": out.append("~0")
                    case "/": out.append("~1")
                    default: out.unicodeScalars.append(ch)
                    }
                }
            }
        }
        return out
    }
}

public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// A node of a parsed YAML document with the source span it came from.
public struct Node: Sendable {
    public enum Kind: Sendable {
        case scalar(Scalar)
        case sequence([Node])
        case mapping([Entry])
    }

    public var kind: Kind
    public var start: SourcePosition
    public var end: SourcePosition
    /// Comments attached to this node by the comment layer (empty for nodes built in code).
    public var comments: NodeComments

    public init(kind: Kind, start: SourcePosition, end: SourcePosition, comments: NodeComments = NodeComments()) {
        self.kind = kind
        self.start = start
        self.end = end
        self.comments = comments
    }
}

public struct Scalar: Sendable {
    /// The scalar's content after unescaping/folding, as libyaml delivers it.
    public var text: String
    public var style: ScalarStyle
    /// Explicit tag, e.g. `tag:yaml.org,2002:str`, or nil.
    public var tag: String?
    /// The value under the YAML 1.2 core schema, except for ambiguous plain scalars the schema reads as
    /// strings (`DocumentValidator.resolveAmbiguousScalars`).
    public var value: JSONValue

    public init(text: String, style: ScalarStyle, tag: String?, value: JSONValue) {
        self.text = text
        self.style = style
        self.tag = tag
        self.value = value
    }
}

public struct Entry: Sendable {
    public var key: Node
    public var value: Node

    public init(key: Node, value: Node) {
        self.key = key
        self.value = value
    }

    /// The key as a string (keys of spec documents are scalars).
    public var keyText: String {
        if case .scalar(let s) = key.kind { return s.text }
        return ""
    }
}

/// Comments and blank lines kept next to a node so the canonical emitter can put them back.
/// Most nodes have none: those hold one nil reference, so every copy of a node (the tree builder and
/// the emitter make many) costs no reference counting for its comments.
public struct NodeComments: Sendable, Hashable {
    private final class Storage: Sendable {
        let leading: [TriviaLine]
        let trailing: String?
        let endOfBlock: [TriviaLine]

        init(leading: [TriviaLine], trailing: String?, endOfBlock: [TriviaLine]) {
            self.leading = leading
            self.trailing = trailing
            self.endOfBlock = endOfBlock
        }
    }

    private var storage: Storage?

    public init() {}

    public init(leading: [TriviaLine], trailing: String?, endOfBlock: [TriviaLine]) {
        update(leading: leading, trailing: trailing, endOfBlock: endOfBlock)
    }

    /// Own-line comments (and single blank-line markers) written above the node or entry.
    public var leading: [TriviaLine] {
        get { storage?.leading ?? [] }
        set { update(leading: newValue, trailing: trailing, endOfBlock: endOfBlock) }
    }

    /// A comment at the end of the node's first line (`key: value  # note`).
    public var trailing: String? {
        get { storage?.trailing }
        set { update(leading: leading, trailing: newValue, endOfBlock: endOfBlock) }
    }

    /// Own-line comments after the last child of a block, before the block ends.
    public var endOfBlock: [TriviaLine] {
        get { storage?.endOfBlock ?? [] }
        set { update(leading: leading, trailing: trailing, endOfBlock: newValue) }
    }

    public var isEmpty: Bool { storage == nil }

    private mutating func update(leading: [TriviaLine], trailing: String?, endOfBlock: [TriviaLine]) {
        storage = leading.isEmpty && trailing == nil && endOfBlock.isEmpty
            ? nil : Storage(leading: leading, trailing: trailing, endOfBlock: endOfBlock)
    }

    public static func == (a: NodeComments, b: NodeComments) -> Bool {
        a.leading == b.leading && a.trailing == b.trailing && a.endOfBlock == b.endOfBlock
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(leading)
        hasher.combine(trailing)
        hasher.combine(endOfBlock)
    }
}

public enum TriviaLine: Sendable, Hashable {
    case blank
    /// Comment text including the leading `#`, trailing whitespace removed.
    case comment(String)
}

extension Node {
    /// The JSON data of this node (YAML 1.2 core schema reading).
    public var json: JSONValue {
        switch kind {
        case .scalar(let s): return s.value
        case .sequence(let items): return .array(items.map(\.json))
        case .mapping(let entries):
            var object = JSONObject()
            for entry in entries { object[entry.keyText] = entry.value.json }
            return .object(object)
        }
    }

    public var mappingEntries: [Entry]? {
        if case .mapping(let e) = kind { return e }
        return nil
    }
}

/// A finding about a document: syntax, structure, limits or schema.
public struct Diagnostic: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case syntax, duplicateKey = "duplicate-key", tab, encoding, multipleDocuments = "multiple-documents"
        case limit, unsupported, schema
        /// A git conflict marker left in the file (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`).
        case conflictMarker = "conflict-marker"
    }

    public var kind: Kind
    public var line: Int
    public var column: Int
    /// JSON Pointer of the offending value ("" for the document root).
    public var pointer: String
    public var message: String

    public init(kind: Kind, line: Int, column: Int, pointer: String, message: String) {
        self.kind = kind
        self.line = line
        self.column = column
        self.pointer = pointer
        self.message = message
    }

    public init(kind: Kind, at position: SourcePosition, pointer: String, message: String) {
        self.init(kind: kind, line: position.line, column: position.column, pointer: pointer, message: message)
    }

    /// Where it points (a diagnostic keeps no byte offset: 0).
    public var position: SourcePosition { SourcePosition(line: line, column: column, offset: 0) }

    /// Input over `limits.max_file_bytes`. `size` nil: the size is unknown (a pipe, or a file that grew
    /// while read) and only "more than the limit" is known — readers stop at limit + 1 bytes.
    public static func tooLarge(size: Int64?, limit: Int) -> Diagnostic {
        let what = size.map { "file is \($0) bytes" } ?? "input is"
        return Diagnostic(kind: .limit, line: 1, column: 1, pointer: "",
                          message: "\(what)\(size == nil ? "" : ",") more than the limit of \(limit) bytes (raise limits.max_file_bytes in .specsync.yaml if this is intended)")
    }

    /// The last diagnostic of a file with more problems than `limits.max_diagnostics`: where the
    /// first one not listed is.
    public static func omitted(after count: Int, from position: SourcePosition) -> Diagnostic {
        Diagnostic(kind: .limit, line: position.line, column: position.column, pointer: "",
                   message: "more problems from here on are not listed, only the first \(count) (limits.max_diagnostics); fix these and check again, or raise the limit")
    }

    /// `path:line:column: error: message (at /pointer)`
    public func rendered(path: String) -> String {
        "\(path):\(line):\(column): error: \(message) (at \(pointer.isEmpty ? "/" : pointer))"
    }
}

extension Diagnostic: Comparable {
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.line, a.column, a.pointer, a.message) < (b.line, b.column, b.pointer, b.message)
    }
}
