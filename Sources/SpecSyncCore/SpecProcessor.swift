/// What checks a document's data: the JSON Schema in practice (a protocol so the core's
/// parsing and emitting can be tested without one).
public protocol DocumentValidator: Sendable {
    /// Every violation, sorted by position.
    func validate(_ root: Node) -> [Diagnostic]
    /// Canonical key order of the mapping at an instance location.
    func propertyOrder(at path: [PathComponent]) -> [String]
    /// Settles plain scalars the readers of specs disagree on, before validation and emitting
    /// (SpecSyncSchema's `Schema.resolveAmbiguousScalars`).
    func resolveAmbiguousScalars(_ root: inout Node)
}

extension DocumentValidator {
    public func resolveAmbiguousScalars(_ root: inout Node) {}
}

/// The outcome of reading one spec: its problems and, when it could be read, its canonical bytes.
public struct SpecAnalysis: Sendable {
    public var diagnostics: [Diagnostic]
    /// The canonical form; nil when the bytes are not one readable YAML document (syntax,
    /// encoding, limits, duplicate keys), because there is no data to write back.
    public var canonical: [UInt8]?
    public var document: YAMLDocument?

    /// The document's data (YAML 1.2 reading), when it could be read. Computed on demand: the
    /// check path never needs it.
    public var data: JSONValue? { canonical == nil ? nil : document?.root.json }

    public var isValid: Bool { diagnostics.isEmpty }

    public func isCanonical(_ input: [UInt8]) -> Bool { canonical.map { $0 == input } ?? false }
}

/// Bytes in, diagnostics and canonical bytes out. Pure and thread-safe: one value serves all threads.
public struct SpecProcessor: Sendable {
    public let validator: (any DocumentValidator)?
    public let limits: ParseLimits

    public init(validator: (any DocumentValidator)?, limits: ParseLimits = ParseLimits()) {
        self.validator = validator
        self.limits = limits
    }

    public func analyze(_ bytes: [UInt8]) -> SpecAnalysis {
        // A file with conflict markers is half of two versions: never read as data, never rewritten.
        let markers = ConflictMarkers.diagnostics(in: bytes)
        if !markers.isEmpty { return SpecAnalysis(diagnostics: markers, canonical: nil, document: nil) }
        switch YAMLParser.parse(bytes, limits: limits) {
        case .failure(let diagnostics):
            return SpecAnalysis(diagnostics: diagnostics.sorted(), canonical: nil, document: nil)
        case .document(var document):
            validator?.resolveAmbiguousScalars(&document.root)
            var diagnostics = document.diagnostics
            if document.mayHoldNumbersOutOfRange { diagnostics += NumberRange.diagnostics(in: document.root) }
            let readable = !diagnostics.contains { $0.kind == .duplicateKey }
            if let validator { diagnostics += validator.validate(document.root) }
            let canonical: [UInt8]?
            if readable {
                let order: CanonicalEmitter.KeyOrder = validator.map { v in { v.propertyOrder(at: $0) } } ?? { _ in [] }
                canonical = CanonicalEmitter.emit(document, keyOrder: order)
            } else {
                canonical = nil
            }
            return SpecAnalysis(diagnostics: diagnostics.sorted(), canonical: canonical, document: document)
        }
    }
}
