import SpecSyncCore

// One compiled (sub)schema. Children are indices into the schema's node table, so `$ref` cycles
// through the data (recursive schemas) need no reference cycles in memory.

/// Sentinel for "keyword absent" in index fields.
let noSchema: Int32 = -1

struct PropertyRef: Hashable, Sendable {
    var schema: Int32
    /// Bit in `SchemaNode.requiredMask` when the property is also `required`, else -1.
    var requiredBit: Int8
}

/// Mutable form used while compiling; frozen into `SchemaNode`.
struct SchemaDraft {
    var pointer: String
    var boolean: Bool?
    var types: JSONTypes?
    var properties: [(name: String, schema: Int32)] = []
    var required: [String] = []
    var additionalProperties: Int32 = noSchema
    var items: Int32 = noSchema
    var prefixItems: [Int32] = []
    var enumValues: [JSONValue]?
    var constValue: JSONValue?
    var pattern: ECMARegex?
    var minLength: Int?
    var maxLength: Int?
    var minimum: JSONNumber?
    var maximum: JSONNumber?
    var exclusiveMinimum: JSONNumber?
    var exclusiveMaximum: JSONNumber?
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false
    var minProperties: Int?
    var maxProperties: Int?
    var checksDateTime = false
    var ref: Int32 = noSchema
    var allOf: [Int32] = []
    var anyOf: [Int32] = []
    var oneOf: [Int32] = []
    var not: Int32 = noSchema
    var description: String?
    var staticTypes: JSONTypes = .all

    init(pointer: String) { self.pointer = pointer }
}

final class SchemaNode: Sendable {
    let pointer: String
    /// Non-nil for the boolean schemas `true` and `false`.
    let boolean: Bool?
    let types: JSONTypes?
    /// `properties` names in schema order (drives canonical key order).
    let propertyNames: [String]
    let propertyIndex: KeyTable<PropertyRef>
    /// All bits of required names that are also listed in `properties`.
    let requiredMask: UInt64
    /// Required names in declaration order, with their bit (or -1 when checked by scanning).
    let required: [(name: String, bit: Int8)]
    let additionalProperties: Int32
    let items: Int32
    let prefixItems: [Int32]
    let enumValues: [JSONValue]?
    let enumStrings: Set<String>?
    let constValue: JSONValue?
    let pattern: ECMARegex?
    let minLength: Int?
    let maxLength: Int?
    let minimum: JSONNumber?
    let maximum: JSONNumber?
    let exclusiveMinimum: JSONNumber?
    let exclusiveMaximum: JSONNumber?
    let minItems: Int?
    let maxItems: Int?
    let uniqueItems: Bool
    let minProperties: Int?
    let maxProperties: Int?
    let checksDateTime: Bool
    let ref: Int32
    let allOf: [Int32]
    let anyOf: [Int32]
    let oneOf: [Int32]
    let not: Int32
    let description: String?
    /// The instance types this schema can possibly accept (following `$ref`, `allOf`, `anyOf`, `oneOf`).
    let staticTypes: JSONTypes

    // Precomputed "anything to do here?" flags keep the hot path short.
    let hasValueChecks: Bool
    let hasStringChecks: Bool
    let hasNumberChecks: Bool
    let hasArrayChecks: Bool
    let hasObjectChecks: Bool
    let hasApplicators: Bool

    init(_ d: SchemaDraft) {
        pointer = d.pointer
        boolean = d.boolean
        types = d.types
        propertyNames = d.properties.map(\.name)
        var bits: [String: Int8] = [:]
        var mask: UInt64 = 0
        var required: [(String, Int8)] = []
        let listed = Set(d.properties.map(\.name))
        for name in d.required {
            if listed.contains(name), bits.count < 64 {
                let bit = Int8(bits.count)
                bits[name] = bit
                mask |= 1 << UInt64(bit)
                required.append((name, bit))
            } else {
                required.append((name, -1))
            }
        }
        self.required = required
        requiredMask = mask
        var index = KeyTable<PropertyRef>()
        for (name, schema) in d.properties {
            index[name] = PropertyRef(schema: schema, requiredBit: bits[name] ?? -1)
        }
        propertyIndex = index
        additionalProperties = d.additionalProperties
        items = d.items
        prefixItems = d.prefixItems
        enumValues = d.enumValues
        if let values = d.enumValues {
            var strings = Set<String>()
            var allStrings = true
            for v in values {
                if case .string(let s) = v { strings.insert(s) } else { allStrings = false }
            }
            enumStrings = allStrings ? strings : nil
        } else {
            enumStrings = nil
        }
        constValue = d.constValue
        pattern = d.pattern
        minLength = d.minLength
        maxLength = d.maxLength
        minimum = d.minimum
        maximum = d.maximum
        exclusiveMinimum = d.exclusiveMinimum
        exclusiveMaximum = d.exclusiveMaximum
        minItems = d.minItems
        maxItems = d.maxItems
        uniqueItems = d.uniqueItems
        minProperties = d.minProperties
        maxProperties = d.maxProperties
        checksDateTime = d.checksDateTime
        ref = d.ref
        allOf = d.allOf
        anyOf = d.anyOf
        oneOf = d.oneOf
        not = d.not
        description = d.description
        staticTypes = d.staticTypes

        hasValueChecks = d.enumValues != nil || d.constValue != nil
        hasStringChecks = d.pattern != nil || d.minLength != nil || d.maxLength != nil || d.checksDateTime
        hasNumberChecks = d.minimum != nil || d.maximum != nil || d.exclusiveMinimum != nil || d.exclusiveMaximum != nil
        hasArrayChecks = d.items != noSchema || !d.prefixItems.isEmpty || d.minItems != nil || d.maxItems != nil || d.uniqueItems
        hasObjectChecks = !d.properties.isEmpty || !d.required.isEmpty || d.additionalProperties != noSchema
            || d.minProperties != nil || d.maxProperties != nil
        hasApplicators = d.ref != noSchema || !d.allOf.isEmpty || !d.anyOf.isEmpty || !d.oneOf.isEmpty || d.not != noSchema
    }

    /// True for the schema `false`.
    var rejectsEverything: Bool { boolean == false }

    /// The in-place subschemas (evaluated at the same instance location).
    var inPlaceChildren: [Int32] {
        var out: [Int32] = []
        if ref != noSchema { out.append(ref) }
        out.append(contentsOf: allOf)
        out.append(contentsOf: anyOf)
        out.append(contentsOf: oneOf)
        return out
    }
}
