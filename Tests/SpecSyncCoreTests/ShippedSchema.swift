import Foundation
import SpecSyncSchema

/// The repository root, found from this file's location.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped task-spec schema, for the tests that run the processor with a real validator.
func shippedSchema() throws -> Schema {
    let url = repositoryRoot.appendingPathComponent("config/task-spec.schema.json")
    let bytes = try [UInt8](Data(contentsOf: url))
    return try Schema.load(json: bytes, source: "config/task-spec.schema.json")
}
