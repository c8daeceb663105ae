import SpecSyncCore

extension Schema {
    /// Reads a schema from JSON or YAML text: the one way schemas are loaded. JSON when `source` ends in
    /// `.json` or the text starts with `{`, so JSON keeps its strict reader (and its precise errors);
    /// YAML otherwise, read as YAML 1.2 data.
    public static func load(_ bytes: [UInt8], source: String) throws(SchemaLoadError) -> Schema {
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if source.hasSuffix(".json") || firstByte == UInt8(ascii: "{") { return try load(json: bytes, source: source) }
        // The spec files' limits are not the schema's: its size is bounded by whoever read it (4 MiB for
        // a schema file), its nodes and depth as for JSON schemas.
        let limits = ParseLimits(maxBytes: .max, maxDepth: ParseLimits.maxSupportedDepth, maxAliasNodes: 10_000,
                                 maxNodes: .max, maxDiagnostics: .max)
        switch YAMLParser.parse(bytes, limits: limits) {
        case .failure(let diagnostics):
            throw SchemaLoadError(source: source, pointer: "", reason: .invalidYAML(diagnostics))
        case .document(let document):
            if let first = document.diagnostics.first {
                throw SchemaLoadError(source: source, pointer: "", reason: .invalidYAML([first]))
            }
            return try Schema(document.root.json, source: source)
        }
    }
}
