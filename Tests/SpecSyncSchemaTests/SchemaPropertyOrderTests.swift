import Foundation
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

final class SchemaPropertyOrderTests: XCTestCase {
    func testOwnPropertiesThenRefAllOfAnyOfOneOfDeduplicated() throws {
        let schema = try loadSchema(##"""
        {"$defs": {"base": {"properties": {"r": {}, "a": {}}}},
         "properties": {"a": {}, "b": {}},
         "$ref": "#/$defs/base",
         "allOf": [{"properties": {"c": {}, "a": {}}}],
         "anyOf": [{"properties": {"d": {}}}, {"properties": {"b": {}, "e": {}}}],
         "oneOf": [{"properties": {"f": {}}}, true]}
        """##)
        XCTAssertEqual(schema.propertyOrder(at: []), ["a", "b", "r", "c", "d", "e", "f"])
    }

    func testWalksPropertiesAdditionalPropertiesItemsAndPrefixItems() throws {
        let schema = try loadSchema(##"""
        {"properties": {
            "list": {"prefixItems": [{"properties": {"x": {}}}], "items": {"properties": {"y": {}}}},
            "map": {"additionalProperties": {"properties": {"z": {}}}, "properties": {"fixed": {"properties": {"w": {}}}}},
            "leaf": {"type": "string"}}}
        """##)
        XCTAssertEqual(schema.propertyOrder(at: [.key("list"), .index(0)]), ["x"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("list"), .index(5)]), ["y"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("map")]), ["fixed"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("map"), .key("fixed")]), ["w"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("map"), .key("anything")]), ["z"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("leaf")]), [])
        XCTAssertEqual(schema.propertyOrder(at: [.key("unknown"), .key("deeper"), .index(3)]), [])
        XCTAssertEqual(schema.propertyOrder(at: [.index(0)]), [])
    }

    func testRecursiveSchemasAndBranchesThatDisagree() throws {
        let schema = try loadSchema(##"""
        {"properties": {"name": {}, "child": {"$ref": "#"},
                        "either": {"anyOf": [{"properties": {"k": {"properties": {"p": {}}}}},
                                             {"properties": {"k": {"properties": {"q": {}, "p": {}}}}}]}}}
        """##)
        XCTAssertEqual(schema.propertyOrder(at: [.key("child"), .key("child"), .key("child")]), ["name", "child", "either"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("either")]), ["k"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("either"), .key("k")]), ["p", "q"])
    }

    func testLocationStepsAgreeWithPaths() throws {
        let schema = try shippedSchema()
        let paths: [[PathComponent]] = [
            [], [.key("strategic_context")], [.key("acceptance_criteria"), .index(3)],
            [.key("files_to_modify"), .index(0)], [.key("user_story")], [.key("x-extension"), .key("a")],
        ]
        for path in paths {
            var location = schema.rootLocation
            for step in path { location = schema.location(location, step) }
            XCTAssertEqual(schema.propertyOrder(at: location), schema.propertyOrder(at: path), path.jsonPointer)
        }
    }

    func testShippedSchemaOrdersKeysAsTheIssueSpecifies() throws {
        let schema = try shippedSchema()
        XCTAssertEqual(schema.propertyOrder(at: []), [
            "id", "title", "status", "created_at", "quick_mode", "strategic_context", "user_story", "summary",
            "requirements", "acceptance_criteria", "files_to_modify", "complexity", "estimated_minutes", "priority",
            "review_feedback", "mvp_explanation", "mvp_override",
        ])
        XCTAssertEqual(schema.propertyOrder(at: [.key("strategic_context")]),
                       ["cuj_id", "cuj_name", "feature_id", "mvp_included", "mvp_status"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("user_story")]), ["text", "hash"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("acceptance_criteria"), .index(41)]), ["id", "description"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("files_to_modify"), .index(2)]), ["action", "path", "description"])
        XCTAssertEqual(schema.propertyOrder(at: [.key("requirements")]), [])
    }

    func testOneSchemaServesConcurrentCallers() throws {
        let schema = try shippedSchema()
        let root = try yamlDocument(TaskSpecExamples.broken)
        let expected = schema.validate(root)
        XCTAssertFalse(expected.isEmpty)
        let results = ResultBox(count: 64)
        DispatchQueue.concurrentPerform(iterations: 64) { i in
            let diagnostics = schema.validate(root)
            let order = schema.propertyOrder(at: [.key("files_to_modify"), .index(i)])
            results.set(i, diagnostics == expected && order == ["action", "path", "description"])
        }
        XCTAssertEqual(results.values, Array(repeating: true, count: 64))
    }
}

/// Collects per-iteration results from concurrent work.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Bool]

    init(count: Int) { storage = Array(repeating: false, count: count) }

    func set(_ i: Int, _ value: Bool) {
        lock.lock()
        storage[i] = value
        lock.unlock()
    }

    var values: [Bool] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
