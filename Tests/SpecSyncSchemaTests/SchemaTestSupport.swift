import Foundation
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
}

/// Parses YAML with the real parser; parse problems fail the test.
func yamlDocument(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws -> Node {
    switch YAMLParser.parse(Array(text.utf8)) {
    case .document(let document):
        XCTAssertEqual(document.diagnostics, [], "YAML test input has parse findings", file: file, line: line)
        return document.root
    case .failure(let diagnostics):
        throw TestSetupError(description: "YAML test input does not parse: \(diagnostics.map { $0.rendered(path: "input") })")
    }
}

func loadSchema(_ json: String) throws -> Schema {
    try Schema.load(json: Array(json.utf8), source: "test.schema.json")
}

/// The load error for a schema that must not load.
func schemaLoadError(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> SchemaLoadError? {
    do {
        _ = try Schema.load(json: Array(json.utf8), source: "test.schema.json")
        XCTFail("schema loaded but should not have", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// `line:column pointer message` for each diagnostic, the form the assertions compare.
func rendered(_ diagnostics: [Diagnostic]) -> [String] {
    diagnostics.map { "\($0.line):\($0.column) \($0.pointer.isEmpty ? "/" : $0.pointer) \($0.message)" }
}

/// Validates YAML against a schema given as JSON and returns the rendered diagnostics.
func check(_ schemaJSON: String, _ yaml: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
    let schema = try loadSchema(schemaJSON)
    let root = try yamlDocument(yaml, file: file, line: line)
    let diagnostics = schema.validate(root)
    XCTAssertTrue(diagnostics.allSatisfy { $0.kind == .schema }, file: file, line: line)
    XCTAssertEqual(diagnostics, diagnostics.sorted(), "diagnostics must come sorted by position", file: file, line: line)
    // The message-free fast path must agree with the full walk.
    XCTAssertEqual(schema.isValid(root), diagnostics.isEmpty, "isValid disagrees with validate", file: file, line: line)
    return rendered(diagnostics)
}

