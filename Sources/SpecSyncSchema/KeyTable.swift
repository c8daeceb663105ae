import SpecSyncCore

/// A string-keyed table for the few keys of a schema object: looked up by a scan over fingerprints while
/// small (the key is not hashed; texts are compared only when fingerprints match), through a Dictionary
/// beyond `scanLimit` keys. Looked up once or more for every key of every spec. (In this module, not
/// Core, so it is specialized for each value type: called generically it was slower than a Dictionary.)
struct KeyTable<Value: Sendable>: Sendable {
    private var prints: [UInt64] = []
    private var keys: [String] = []
    private var values: [Value] = []
    /// Position of each key in `keys`, once there are more than `scanLimit`.
    private var positions: [String: Int]?

    static var scanLimit: Int { 32 }

    init() {}

    var count: Int { keys.count }

    private func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        let print = KeyFingerprint.of(key)
        for i in prints.indices where prints[i] == print && keys[i] == key { return i }
        return nil
    }

    subscript(key: String) -> Value? {
        get {
            guard let i = position(of: key) else { return nil }
            return values[i]
        }
        set {
            if let i = position(of: key) {
                if let newValue {
                    values[i] = newValue
                } else {
                    prints.remove(at: i)
                    keys.remove(at: i)
                    values.remove(at: i)
                    reindex()
                }
            } else if let newValue {
                prints.append(KeyFingerprint.of(key))
                keys.append(key)
                values.append(newValue)
                if positions != nil { positions?[key] = keys.count - 1 } else { reindex() }
            }
        }
    }

    private mutating func reindex() {
        guard keys.count > Self.scanLimit else {
            positions = nil
            return
        }
        var table: [String: Int] = [:]
        for (i, key) in keys.enumerated() { table[key] = i }
        positions = table
    }
}
