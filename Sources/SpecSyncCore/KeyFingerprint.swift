/// Length, first four and last three bytes of a key: equal for equal keys, rarely for different ones.
/// Comparing two of these is one integer comparison; hashing a String is a hundred instructions and more.
package enum KeyFingerprint {
    package static func of(_ key: String) -> UInt64 {
        var key = key
        return key.withUTF8 { u in
            var print = UInt64(truncatingIfNeeded: u.count) << 56
            for k in 0..<min(4, u.count) { print |= UInt64(u[k]) << (8 * UInt64(k)) }
            for k in 0..<min(3, u.count) { print |= UInt64(u[u.count - 1 - k]) << (32 + 8 * UInt64(k)) }
            return print
        }
    }
}
