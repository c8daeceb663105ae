import SpecSyncCore

/// Why a JSON Schema could not be loaded. `pointer` is the JSON Pointer of the offending place
/// in the schema document ("" for its root).
public struct SchemaLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// The schema file is not valid JSON.
        case invalidJSON(JSONParseError)
        /// The schema file is not one readable YAML document (the first problems found).
        case invalidYAML([Diagnostic])
        /// A schema must be an object or a boolean.
        case notASchema(found: String)
        /// A keyword specsync does not implement; never silently ignored.
        case unsupportedKeyword(String, note: String)
        case invalidKeywordValue(keyword: String, expected: String)
        /// `$schema` names a dialect other than draft 2020-12.
        case unsupportedDialect(String)
        /// `$id` below the root would change how `$ref`s resolve.
        case nestedID(String)
        case unsupportedFormat(String)
        case invalidPattern(pattern: String, problem: String, offset: Int)
        case externalRef(String)
        case anchorRef(String)
        case unresolvedRef(String, hint: String)
        case refTargetNotSchema(String)
        /// `$ref`/`allOf`/`anyOf`/`oneOf`/`not` lead back to themselves without descending into the
        /// instance: validation would never end. Lists the schema pointers around the loop.
        case refCycle([String])
        case tooComplex(String)
    }

    public var source: String
    public var pointer: String
    public var reason: Reason

    public init(source: String, pointer: String, reason: Reason) {
        self.source = source
        self.pointer = pointer
        self.reason = reason
    }

    public var description: String {
        if case .invalidJSON(let e) = reason {
            return "\(source):\(e.position.line):\(e.position.column): invalid JSON in schema: \(e.reasonText)"
        }
        if case .invalidYAML = reason { return "\(source): invalid YAML in schema: \(reasonText)" }
        return "\(source): schema error at \(pointer.isEmpty ? "/" : pointer): \(reasonText)"
    }

    /// The reason alone, without source and pointer.
    public var reasonText: String {
        switch reason {
        case .invalidJSON(let e):
            return e.description
        case .invalidYAML(let diagnostics):
            return diagnostics.map { "\($0.line):\($0.column): \($0.message)" }.joined(separator: "; ")
        case .notASchema(let found):
            return "expected a schema (an object or true/false), found \(found)"
        case .unsupportedKeyword(let keyword, let note):
            return "unsupported keyword \"\(keyword)\"\(note.isEmpty ? "" : "; \(note)")"
        case .invalidKeywordValue(let keyword, let expected):
            return "\"\(keyword)\" must be \(expected)"
        case .unsupportedDialect(let uri):
            return "$schema is \"\(uri)\", but specsync implements JSON Schema draft 2020-12; "
                + "set \"$schema\": \"https://json-schema.org/draft/2020-12/schema\" and check the keywords"
        case .nestedID(let id):
            return "$id \"\(id)\" below the schema root is not supported (it would change how $ref resolves); "
                + "remove it and refer to this part with \"#/$defs/…\""
        case .unsupportedFormat(let format):
            return "format \"\(format)\" is not supported; specsync checks only \"date-time\" "
                + "(remove the format or use a pattern)"
        case .invalidPattern(let pattern, let problem, let offset):
            return "pattern \(quotedForMessage(pattern)) cannot be used: \(problem) (at character \(offset + 1))"
        case .externalRef(let ref):
            return "$ref \"\(ref)\" points outside this file; only references within it are supported "
                + "(\"#\", \"#/$defs/name\", or another JSON Pointer starting with \"#/\")"
        case .anchorRef(let ref):
            return "$ref \"\(ref)\" uses a named anchor, which is not supported; refer to the schema by "
                + "JSON Pointer instead, e.g. \"#/$defs/name\""
        case .unresolvedRef(let ref, let hint):
            return "$ref \"\(ref)\" does not resolve to anything in this file\(hint.isEmpty ? "" : "; \(hint)")"
        case .refTargetNotSchema(let ref):
            return "$ref \"\(ref)\" points at something that is not a schema; point it at a schema, e.g. \"#/$defs/name\""
        case .refCycle(let pointers):
            return "reference cycle that never descends into the data: "
                + pointers.map { $0.isEmpty ? "#" : "#\($0)" }.joined(separator: " → ")
                + "; validation would never end"
        case .tooComplex(let what):
            return "schema is too complex: \(what)"
        }
    }
}
