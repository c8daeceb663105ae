import SpecSyncCore

/// A JSON Schema (draft 2020-12) compiled once for repeated validation and key ordering.
///
/// Immutable after `init`, so one `Schema` can validate documents on several threads at once.
/// Supported keywords are listed in docs/schema.md; any other keyword is a load error.
public struct Schema: Sendable {
    /// Where the schema came from (a path or a name); used in load errors only.
    public let source: String
    let storage: SchemaStorage
    /// The schema's data, to compile an independent copy from (`independentCopy`).
    private let definition: JSONValue

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
        self.definition = root
    }

    /// The same schema compiled again: objects no other thread touches, so threads validating at once
    /// do not contend for the cache lines of shared reference counts. (It compiled once; should it
    /// somehow not compile again, this schema itself is returned.)
    public func independentCopy() -> Schema {
        (try? Schema(definition, source: source)) ?? self
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
        validate(root, maxDiagnostics: .max).diagnostics
    }

    /// The first `maxDiagnostics` violations by position, and where the first of the others is. Only
    /// those kept get a message, so a file with 100,000 broken items costs little more than one with 100.
    public func validate(_ root: Node, maxDiagnostics: Int) -> CappedDiagnostics {
        var validator = SchemaValidator(nodes: storage.nodes, limit: maxDiagnostics)
        _ = validator.validate(root, storage.root, collect: true)
        return CappedDiagnostics(diagnostics: validator.diagnostics, firstOmitted: validator.firstOmitted)
    }

    /// Whether the document satisfies the schema (stops at the first violation, builds no messages).
    public func isValid(_ root: Node) -> Bool {
        var validator = SchemaValidator(nodes: storage.nodes)
        return validator.validate(root, storage.root, collect: false)
    }

    // MARK: Ambiguous plain scalars

    /// Reads an ambiguous plain scalar — one the YAML 1.2 core schema, YAML 1.1 (PyYAML) and Go's
    /// yaml.v3 do not all read alike, such as the story hash `5239e568` — as its text where the schema
    /// admits a string there but not what YAML 1.2 reads. Everything else keeps its YAML 1.2 reading.
    /// This is what a typed reader does (yaml.v3 decoding into a Go string field), and the canonical
    /// form then quotes the string so every reader agrees. Rules: docs/canonical-form.md.
    public func resolveAmbiguousScalars(_ root: inout Node) {
        let order = storage.order
        guard needsResolution(root, order.root, order.rootTypes) else { return }
        resolve(&root, order.root, order.rootTypes)
    }

    /// Read-only first pass: most documents have nothing to change, and then nothing is copied.
    private func needsResolution(_ node: Node, _ state: Int32, _ admitted: JSONTypes) -> Bool {
        let order = storage.order
        switch node.kind {
        case .scalar(let scalar):
            return readsAsString(scalar, admitted)
        case .sequence(let items):
            for i in items.indices where mayNeedResolution(items[i]) {
                if needsResolution(items[i], order.step(state, .index(i)), order.types(state, .index(i))) { return true }
            }
            return false
        case .mapping(let entries):
            // Most values are strings or quoted: those are settled without looking anything up.
            for i in entries.indices where mayNeedResolution(entries[i].value) {
                let key = PathComponent.key(entries[i].keyText)
                if needsResolution(entries[i].value, order.step(state, key), order.types(state, key)) { return true }
            }
            return false
        }
    }

    /// False for scalars `readsAsString` rejects whatever the schema admits (strings, quoted, tagged).
    private func mayNeedResolution(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node.kind else { return true }
        guard scalar.style == .plain, scalar.tag == nil else { return false }
        if case .string = scalar.value { return false }
        return true
    }

    private func resolve(_ node: inout Node, _ state: Int32, _ admitted: JSONTypes) {
        let order = storage.order
        switch node.kind {
        case .scalar(var scalar):
            if readsAsString(scalar, admitted) {
                scalar.value = .string(scalar.text)
                node.kind = .scalar(scalar)
            }
        case .sequence(var items):
            node.kind = .sequence([])  // let `items` be the array's only owner while it changes
            for i in items.indices { resolve(&items[i], order.step(state, .index(i)), order.types(state, .index(i))) }
            node.kind = .sequence(items)
        case .mapping(var entries):
            node.kind = .mapping([])
            for i in entries.indices {
                let key = PathComponent.key(entries[i].keyText)
                resolve(&entries[i].value, order.step(state, key), order.types(state, key))
            }
            node.kind = .mapping(entries)
        }
    }

    private func readsAsString(_ scalar: Scalar, _ admitted: JSONTypes) -> Bool {
        guard scalar.style == .plain, scalar.tag == nil, admitted.contains(.string) else { return false }
        if case .string = scalar.value { return false }
        return !admitted.contains(JSONTypes.of(scalar.value)) && ScalarReaders.isAmbiguous(scalar.text)
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

    /// The lists are deduplicated when the table is built.
    public var propertyOrderIsUnique: Bool { true }
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
