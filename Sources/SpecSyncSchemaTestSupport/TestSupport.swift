// What the Core and Schema tests share: the repository, the shipped schema and a seeded generator.
import Foundation
import SpecSyncSchema

/// The repository root, found from this file's location.
public let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The shipped task-spec schema, for the tests that run with a real validator.
public func shippedSchema() throws -> Schema {
    let url = repositoryRoot.appendingPathComponent("config/task-spec.schema.json")
    let bytes = try [UInt8](Data(contentsOf: url))
    return try Schema.load(json: bytes, source: "config/task-spec.schema.json")
}

/// SplitMix64: small, fast, and the same sequence on every platform for a given seed.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
