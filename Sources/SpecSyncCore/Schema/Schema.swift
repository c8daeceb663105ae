/// A JSON Schema (draft 2020-12) compiled once for repeated validation and key ordering.
///
/// Immutable after `init`, so one `Schema` can validate documents on several threads at once.
/// Supported keywords are listed in docs/schema.md; any other keyword is a load error.
public struct Schema: Sendable {
    /// Where the schema came from (a path or a name); used in load errors only.
    public let source: String
    let storage: SchemaStorage

    public init(_ root: JSONValue, source: String) throws(SchemaLoadError) {
        var compiler = SchemaCompiler(root: root, source: source)
        let rootIndex = try compiler.compile(root, at: [])
        try compiler.resolveRefs()
        try compiler.checkCyclesAndComputeTypes()
        let nodes = compiler.drafts.map(SchemaNode.init)
        guard let order = PropertyOrderTable.build(nodes: nodes, root: rootIndex) else {
            throw SchemaLoadError(source: source, pointer: "", reason: .tooComplex(
                "its anyOf/oneOf combinations lead to more than \(PropertyOrderTable.maxStates) distinct key orders"))
        }
        self.source = source
        self.storage = SchemaStorage(nodes: nodes, root: rootIndex, order: order)
    }

    /// Reads a schema from JSON text.
    public static func load(json bytes: [UInt8], source: String) throws(SchemaLoadError) -> Schema {
        let value: JSONValue
        do {
            value = try JSONValue.parse(json: bytes)
        } catch {
            throw SchemaLoadError(source: source, pointer: "", reason: .invalidJSON(error))
        }
        return try Schema(value, source: source)
    }

    /// Every violation in the document (kind `.schema`), each at the offending node, sorted by position.
    public func validate(_ root: Node) -> [Diagnostic] {
        var validator = SchemaValidator(nodes: storage.nodes)
        _ = validator.validate(root, storage.root, collect: true)
        var diagnostics = validator.diagnostics
        guard diagnostics.count > 1 else { return diagnostics }
        diagnostics.sort()
        // allOf branches or repeated $refs can report the same thing twice.
        var unique: [Diagnostic] = []
        unique.reserveCapacity(diagnostics.count)
        for d in diagnostics where unique.last != d { unique.append(d) }
        return unique
    }

    /// Whether the document satisfies the schema (stops at the first violation, builds no messages).
    public func isValid(_ root: Node) -> Bool {
        var validator = SchemaValidator(nodes: storage.nodes)
        return validator.validate(root, storage.root, collect: false)
    }

    // MARK: Key order

    /// A place in a document as the schema sees it, for walking down while emitting.
    public struct Location: Hashable, Sendable {
        let state: Int32
    }

    public var rootLocation: Location { Location(state: storage.order.root) }

    /// The location one step below `location`.
    public func location(_ location: Location, _ step: PathComponent) -> Location {
        Location(state: storage.order.step(location.state, step))
    }

    /// The `properties` names (schema order, deduplicated) of every schema applying at `location`.
    public func propertyOrder(at location: Location) -> [String] {
        storage.order.states[Int(location.state)].order
    }

    /// The `properties` names (schema order, deduplicated) of every schema applying at `path`,
    /// following `$ref`, `allOf`, `anyOf`/`oneOf`, `properties`/`additionalProperties` and
    /// `prefixItems`/`items`. Empty when no schema there lists properties.
    public func propertyOrder(at path: [PathComponent]) -> [String] {
        var state = storage.order.root
        for step in path {
            state = storage.order.step(state, step)
            if state == PropertyOrderTable.empty { return [] }
        }
        return storage.order.states[Int(state)].order
    }
}

final class SchemaStorage: Sendable {
    let nodes: [SchemaNode]
    let root: Int32
    let order: PropertyOrderTable

    init(nodes: [SchemaNode], root: Int32, order: PropertyOrderTable) {
        self.nodes = nodes
        self.root = root
        self.order = order
    }
}

extension Schema: DocumentValidator {}
