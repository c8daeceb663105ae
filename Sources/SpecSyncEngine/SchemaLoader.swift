import SpecSyncCore


/// Reads the JSON Schema the specs are checked against: a JSON or YAML file, or the built-in
/// Tandemonium task-spec schema (the same text as config/task-spec.schema.json).
enum SchemaLoader {
    static func load(path: String?) throws(EngineError) -> Schema {
        guard let path else {
            do { return try Schema.load(json: Array(BuiltinSchema.json.utf8), source: "<built-in task-spec schema>") } catch {
                throw .schema(path: "<built-in task-spec schema>", message: "\(error)")
            }
        }
        let bytes: [UInt8]
        switch SettingsFile.read(path, limit: SettingsFile.schemaLimit) {
        case .success(let read): bytes = read
        case .failure(let error): throw .schema(path: path, message: "cannot read the file: \(error.reason)")
        }
        let isJSON = path.hasSuffix(".json") || bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{")
        do {
            if isJSON { return try Schema.load(json: bytes, source: path) }
            switch YAMLParser.parse(bytes) {
            case .failure(let diagnostics):
                throw EngineError.schema(path: path, message: diagnostics.map { "\($0.line):\($0.column): \($0.message)" }.joined(separator: "; "))
            case .document(let document):
                if let d = document.diagnostics.first {
                    throw EngineError.schema(path: path, message: "\(d.line):\(d.column): \(d.message)")
                }
                return try Schema(document.root.json, source: path)
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw .schema(path: path, message: "\(error)")
        }
    }
}
