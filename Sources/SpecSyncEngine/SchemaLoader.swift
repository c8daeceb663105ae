import SpecSyncSchema


/// Reads the JSON Schema the specs are checked against: a JSON or YAML file (`Schema.load` tells them
/// apart), or the built-in Tandemonium task-spec schema (the same text as config/task-spec.schema.json).
enum SchemaLoader {
    /// The schema, and a digest of what it was compiled from (for `VerdictCache`'s context).
    static func load(path: String?) throws(EngineError) -> (schema: Schema, digest: String) {
        guard let path else {
            do { return (try Schema(BuiltinSchemaValue.value, source: "<built-in task-spec schema>"), "built-in") } catch {
                throw .schema(path: "<built-in task-spec schema>", message: "\(error)")
            }
        }
        let bytes: [UInt8]
        switch SettingsFile.read(path, limit: SettingsFile.schemaLimit) {
        case .success(let read): bytes = read
        case .failure(let error): throw .schema(path: path, message: "cannot read the file: \(error.reason)")
        }
        do {
            return (try Schema.load(bytes, source: path), "\(bytes.count)-" + VerdictCache.hex(VerdictCache.fnv1a(bytes)))
        } catch {
            // YAML problems are reported as bare positions, the others name the file themselves.
            if case .invalidYAML = error.reason { throw .schema(path: path, message: error.reasonText) }
            throw .schema(path: path, message: "\(error)")
        }
    }
}
