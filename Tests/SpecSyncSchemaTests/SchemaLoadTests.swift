import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema

/// Schemas that must not load, and the error each one gets: what, where (JSON pointer), how to fix.
final class SchemaLoadTests: XCTestCase {
    private func assertLoadError(_ json: String, pointer: String, _ reason: SchemaLoadError.Reason,
                                 file: StaticString = #filePath, line: UInt = #line) {
        guard let error = schemaLoadError(json, file: file, line: line) else { return }
        XCTAssertEqual(error.reason, reason, file: file, line: line)
        XCTAssertEqual(error.pointer, pointer, file: file, line: line)
        XCTAssertEqual(error.source, "test.schema.json", file: file, line: line)
    }

    func testUnknownKeywordsAreErrorsNamingKeywordAndPointer() {
        assertLoadError(##"{"properties": {"a": {"patternProperties": {}}}}"##, pointer: "/properties/a/patternProperties",
                        .unsupportedKeyword("patternProperties", note: "list the keys under \"properties\" or use \"additionalProperties\""))
        assertLoadError(##"{"requried": ["a"]}"##, pointer: "/requried",
                        .unsupportedKeyword("requried", note: "did you mean \"required\"?"))
        assertLoadError(##"{"$defs": {"x": {"if": {}}}}"##, pointer: "/$defs/x/if",
                        .unsupportedKeyword("if", note: "conditionals (if/then/else) are not implemented; express the rule with anyOf/oneOf"))
        assertLoadError(##"{"items": {"x-editor-hint": 1}}"##, pointer: "/items/x-editor-hint",
                        .unsupportedKeyword("x-editor-hint", note: "specsync rejects keywords it does not implement rather than ignore them; remove it (see docs/schema.md)"))
        let error = schemaLoadError(##"{"anyOf": [{"multipleOf": 2}]}"##)
        XCTAssertEqual(error?.description,
                       "test.schema.json: schema error at /anyOf/0/multipleOf: unsupported keyword \"multipleOf\"; specsync does not implement it")
    }

    func testKeywordValuesAreChecked() {
        let cases: [(String, String, String, String)] = [
            (##"{"type": "int"}"##, "/type", "type", "a type name (null, boolean, integer, number, string, array, object) or a list of them; \"int\" is not a type (did you mean \"integer\"?)"),
            (##"{"type": ["string", "string"]}"##, "/type/1", "type", "a list of distinct type names"),
            (##"{"type": []}"##, "/type", "type", "a type name (null, boolean, integer, number, string, array, object) or a list of them"),
            (##"{"minLength": -1}"##, "/minLength", "minLength", "a non-negative integer"),
            (##"{"maxItems": 1.5}"##, "/maxItems", "maxItems", "a non-negative integer"),
            (##"{"minimum": "1"}"##, "/minimum", "minimum", "a number"),
            (##"{"required": ["a", "a"]}"##, "/required/1", "required", "an array of distinct names (\"a\" repeats)"),
            (##"{"required": "a"}"##, "/required", "required", "an array of property names"),
            (##"{"enum": []}"##, "/enum", "enum", "a non-empty array of allowed values"),
            (##"{"anyOf": []}"##, "/anyOf", "anyOf", "a non-empty array of schemas"),
            (##"{"uniqueItems": "yes"}"##, "/uniqueItems", "uniqueItems", "true or false"),
            (##"{"items": [{}]}"##, "/items", "items", "a single schema in draft 2020-12 (for a tuple, use \"prefixItems\")"),
            (##"{"properties": []}"##, "/properties", "properties", "an object mapping property names to schemas"),
            (##"{"description": {"type": "string"}}"##, "/description", "description", "a string"),
            (##"{"pattern": 5}"##, "/pattern", "pattern", "a string (an ECMA-262 regular expression)"),
            (##"{"$ref": 5}"##, "/$ref", "$ref", "a string such as \"#/$defs/name\""),
        ]
        for (json, pointer, keyword, expected) in cases {
            assertLoadError(json, pointer: pointer, .invalidKeywordValue(keyword: keyword, expected: expected))
        }
        // Integral numbers written as 2.0 are integers.
        XCTAssertNoThrow(try loadSchema(##"{"minLength": 2.0}"##))
    }

    func testNonSchemasAreRejected() {
        assertLoadError(##"{"properties": {"a": 5}}"##, pointer: "/properties/a", .notASchema(found: "number 5"))
        assertLoadError(##"[]"##, pointer: "", .notASchema(found: "an array"))
        assertLoadError(##"{"$defs": {"a": "string"}}"##, pointer: "/$defs/a", .notASchema(found: "string \"string\""))
    }

    func testPatternsAreCompiledAtLoad() {
        assertLoadError(##"{"properties": {"id": {"pattern": "^(?=x)"}}}"##, pointer: "/properties/id/pattern",
                        .invalidPattern(pattern: "^(?=x)", problem: "lookahead (?=…) is not supported", offset: 1))
        let error = schemaLoadError(##"{"pattern": "[a"}"##)
        XCTAssertEqual(error?.description,
                       "test.schema.json: schema error at /pattern: pattern \"[a\" cannot be used: missing ']' for the class opened here (at character 1)")
    }

    func testFormatsOtherThanDateTimeAreRejected() {
        assertLoadError(##"{"format": "email"}"##, pointer: "/format", .unsupportedFormat("email"))
    }

    func testDialectAndIdentifiers() {
        assertLoadError(##"{"$schema": "http://json-schema.org/draft-07/schema#"}"##, pointer: "/$schema",
                        .unsupportedDialect("http://json-schema.org/draft-07/schema#"))
        assertLoadError(##"{"$defs": {"a": {"$id": "a.json"}}}"##, pointer: "/$defs/a/$id", .nestedID("a.json"))
        XCTAssertNoThrow(try loadSchema(##"{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:x"}"##))
    }

    func testReferencesMustResolveInsideTheFile() {
        assertLoadError(##"{"$defs": {"name": {}, "other": {}}, "$ref": "#/$defs/nam"}"##, pointer: "/$ref",
                        .unresolvedRef("#/$defs/nam", hint: "did you mean \"#/$defs/name\"?"))
        assertLoadError(##"{"$defs": {"alpha": {}, "beta": {}}, "properties": {"x": {"$ref": "#/$defs/gamma"}}}"##, pointer: "/properties/x/$ref",
                        .unresolvedRef("#/$defs/gamma", hint: "\"$defs\" defines: alpha, beta"))
        assertLoadError(##"{"$ref": "#/definitions/x"}"##, pointer: "/$ref",
                        .unresolvedRef("#/definitions/x", hint: "this schema has no \"definitions\""))
        assertLoadError(##"{"$ref": "#/nowhere/at/all"}"##, pointer: "/$ref", .unresolvedRef("#/nowhere/at/all", hint: ""))
        assertLoadError(##"{"$ref": "#/$defs/a~2"}"##, pointer: "/$ref",
                        .unresolvedRef("#/$defs/a~2", hint: "\"~\" must be written ~0 and \"/\" ~1"))
        assertLoadError(##"{"$ref": "other.json#/$defs/a"}"##, pointer: "/$ref", .externalRef("other.json#/$defs/a"))
        assertLoadError(##"{"$ref": "#node"}"##, pointer: "/$ref", .anchorRef("#node"))
        assertLoadError(##"{"properties": {"a": {}}, "$ref": "#/properties"}"##, pointer: "/$ref", .refTargetNotSchema("#/properties"))
        assertLoadError(##"{"examples": [{}], "$ref": "#/examples/0"}"##, pointer: "/$ref", .refTargetNotSchema("#/examples/0"))
    }

    func testReferenceCyclesThatConsumeNoInputAreRejected() {
        assertLoadError(##"{"$ref": "#"}"##, pointer: "", .refCycle(["", ""]))
        assertLoadError(##"{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}}}"##, pointer: "/$defs/a",
                        .refCycle(["/$defs/a", "/$defs/b", "/$defs/b/allOf/0", "/$defs/a"]))
        assertLoadError(##"{"not": {"anyOf": [{"$ref": "#"}]}}"##, pointer: "", .refCycle(["", "/not", "/not/anyOf/0", ""]))
        let error = schemaLoadError(##"{"oneOf": [{"$ref": "#"}]}"##)
        XCTAssertEqual(error?.description,
                       "test.schema.json: schema error at /: reference cycle that never descends into the data: # → #/oneOf/0 → #; validation would never end")
        // Recursion through properties or items descends into the data: allowed.
        XCTAssertNoThrow(try loadSchema(##"{"properties": {"child": {"$ref": "#"}}, "items": {"$ref": "#"}}"##))
    }

    func testInvalidJSONReportsLineAndColumn() {
        let error = schemaLoadError("{\n  \"type\": \"object\",\n}")
        XCTAssertEqual(error?.reason, .invalidJSON(JSONParseError(.unexpectedCharacter(found: "'}'", expected: "a key in double quotes"),
                                                                  at: SourcePosition(line: 3, column: 1, offset: 22))))
        XCTAssertEqual(error?.description, "test.schema.json:3:1: invalid JSON in schema: unexpected '}'; expected a key in double quotes")
    }
}
