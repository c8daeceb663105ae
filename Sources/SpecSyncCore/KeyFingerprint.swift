/// Length, first four and last three bytes of a key: equal for equal keys, rarely for different ones.
/// Comparing two of these is one integer comparison; hashing a String is a hundred instructions and more.
package enum KeyFingerprint {
    package static func of(_ key: String) -> UInt64 {
        ByteScan.withUTF8(key) { of(bytes: $0) }
    }

    /// The fingerprint of a key's UTF-8 bytes (every key of every spec comes through here: no bounds
    /// checks, no loops for keys of four bytes or more).
    @inline(__always)
    package static func of(bytes u: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = u.count
        var print = UInt64(truncatingIfNeeded: n) << 56
        guard let p = u.baseAddress, n > 0 else { return print }
        if n >= 4 {
            print |= UInt64(UnsafeRawPointer(p).loadUnaligned(as: UInt32.self).littleEndian)
            // Bytes n-3, n-2, n-1 as one little-endian load of the last four, shifted: last byte lowest.
            let tail = UnsafeRawPointer(p + (n - 4)).loadUnaligned(as: UInt32.self).littleEndian
            let last3 = UInt64((tail >> 24) & 0xFF) | (UInt64((tail >> 16) & 0xFF) << 8) | (UInt64((tail >> 8) & 0xFF) << 16)
            return print | (last3 << 32)
        }
        for k in 0..<n { print |= UInt64(p[k]) << (8 * UInt64(k)) }
        for k in 0..<min(3, n) { print |= UInt64(p[n - 1 - k]) << (32 + 8 * UInt64(k)) }
        return print
    }
}
