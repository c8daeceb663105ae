// What the Core and Schema tests share: the repository, the shipped schema and a seeded generator.
import Foundation
import SpecSyncSchema
@_exported import struct SpecSyncSys.SplitMix64

/// The repository root, found from this file's location.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped task-spec schema, for the tests that run with a real validator.
public func shippedSchema() throws -> Schema {
    let url = repositoryRoot.appendingPathComponent("config/task-spec.schema.json")
    let bytes = try [UInt8](Data(contentsOf: url))
    return try Schema.load(json: bytes, source: "config/task-spec.schema.json")
}

/// The tests' seeded generator: the same sequence on every platform for a given seed.
public typealias SeededRandom = SplitMix64
