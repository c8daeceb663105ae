#if canImport(Glibc)
import Glibc
#endif

/// What checks a document's data: the JSON Schema in practice (a protocol so the core's
/// parsing and emitting can be tested without one).
public protocol DocumentValidator: Sendable {
    /// Every violation, sorted by position.
    func validate(_ root: Node) -> [Diagnostic]
    /// At most `maxDiagnostics` violations, sorted by position, and where the first left out is.
    func validate(_ root: Node, maxDiagnostics: Int) -> CappedDiagnostics
    /// Canonical key order of the mapping at an instance location.
    func propertyOrder(at path: [PathComponent]) -> [String]
    /// Every list `propertyOrder` returns names each key once (default false: the emitter checks).
    var propertyOrderIsUnique: Bool { get }
    /// Settles plain scalars the readers of specs disagree on, before validation and emitting
    /// (SpecSyncSchema's `Schema.resolveAmbiguousScalars`). `SpecProcessor` skips it for documents whose
    /// plain non-string scalars all read alike in every reader (`ScalarResolver.readsAlikeEverywhere`:
    /// `true`, `false`, `null`, `~`, empty, short decimal integers): those are never ambiguous.
    func resolveAmbiguousScalars(_ root: inout Node)
}

extension DocumentValidator {
    public func resolveAmbiguousScalars(_ root: inout Node) {}

    public var propertyOrderIsUnique: Bool { false }

    public func validate(_ root: Node, maxDiagnostics: Int) -> CappedDiagnostics {
        let all = validate(root)
        guard all.count > maxDiagnostics else { return CappedDiagnostics(diagnostics: all, firstOmitted: nil) }
        let omitted = all[maxDiagnostics]
        return CappedDiagnostics(diagnostics: Array(all.prefix(maxDiagnostics)),
                                 firstOmitted: omitted.position)
    }
}

/// Diagnostics up to a cap (`ParseLimits.maxDiagnostics`), and where the first one left out is.
public struct CappedDiagnostics: Sendable {
    public var diagnostics: [Diagnostic]
    public var firstOmitted: SourcePosition?

    public init(diagnostics: [Diagnostic], firstOmitted: SourcePosition?) {
        self.diagnostics = diagnostics
        self.firstOmitted = firstOmitted
    }
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

    public func isCanonical(_ input: [UInt8]) -> Bool {
        guard let canonical, canonical.count == input.count else { return false }
        // One memcmp: `==` on the arrays compared element by element.
        return canonical.withUnsafeBytes { a in input.withUnsafeBytes { b in
            a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
        } }
    }
}

/// Bytes in, diagnostics and canonical bytes out. Pure and thread-safe: one value serves all threads.
public struct SpecProcessor: Sendable {
    public let validator: (any DocumentValidator)?
    public let limits: ParseLimits

    public init(validator: (any DocumentValidator)?, limits: ParseLimits = ParseLimits()) {
        self.validator = validator
        self.limits = limits
    }

    private static func earlier(_ a: SourcePosition?, _ b: SourcePosition?) -> SourcePosition? {
        guard let a, let b else { return a ?? b }
        return min(a, b)
    }

    public func analyze(_ bytes: [UInt8]) -> SpecAnalysis {
        // A file with conflict markers is half of two versions: never read as data, never rewritten.
        let markers = ConflictMarkers.diagnostics(in: bytes)
        if !markers.isEmpty { return SpecAnalysis(diagnostics: markers, canonical: nil, document: nil) }
        switch YAMLParser.parse(bytes, limits: limits) {
        case .failure(let diagnostics):
            // Sorted by the parser, the note of any left out by the cap among them.
            return SpecAnalysis(diagnostics: diagnostics, canonical: nil, document: nil)
        case .document(var document):
            if document.mayHoldAmbiguousScalars { validator?.resolveAmbiguousScalars(&document.root) }
            var diagnostics = document.diagnostics
            var firstOmitted = document.firstOmittedDiagnostic
            if document.mayHoldNumbersOutOfRange { diagnostics += NumberRange.diagnostics(in: document.root) }
            let readable = !document.hasDuplicateKeys
            if let validator {
                // Each source stops at the cap; the first `maxDiagnostics` by position are kept below.
                let found = validator.validate(document.root, maxDiagnostics: limits.maxDiagnostics)
                diagnostics += found.diagnostics
                firstOmitted = Self.earlier(firstOmitted, found.firstOmitted)
            }
            diagnostics.sort()
            if diagnostics.count > limits.maxDiagnostics {
                firstOmitted = Self.earlier(firstOmitted, diagnostics[limits.maxDiagnostics].position)
                diagnostics.removeSubrange(limits.maxDiagnostics...)
            }
            if let firstOmitted { diagnostics.append(.omitted(after: limits.maxDiagnostics, from: firstOmitted)) }
            let canonical: [UInt8]?
            if readable {
                let order: CanonicalEmitter.KeyOrder = validator.map { v in { v.propertyOrder(at: $0) } } ?? { _ in [] }
                canonical = CanonicalEmitter.emit(document, keyOrder: order,
                                                  keyOrderIsUnique: validator?.propertyOrderIsUnique ?? true)
            } else {
                canonical = nil
            }
            return SpecAnalysis(diagnostics: diagnostics, canonical: canonical, document: document)
        }
    }
}
