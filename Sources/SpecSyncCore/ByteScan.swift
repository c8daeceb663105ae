#if canImport(Glibc)
import Glibc
#endif

/// Byte searches every spec goes through before and while it is parsed: memchr for one byte, and
/// eight-bytes-at-a-time (SWAR) tests for loops that skip plain bytes.
enum ByteScan {
    /// The offset of the first `byte` at or after `start`, or nil.
    static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count,
              let hit = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Non-zero when some byte of `word` equals `byte` (a byte equal to it is a zero byte of
    /// `word ^ byte…byte`; the zero test may flag bytes above a true zero, never miss one).
    @inline(__always) static func hasByte(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    /// Non-zero when some byte of `word` is below `limit` (at most 0x80): `x - limit…` borrows into the
    /// high bit of such a byte.
    @inline(__always) static func hasByteBelow(_ word: UInt64, _ limit: UInt8) -> UInt64 {
        (word &- ones &* UInt64(limit)) & ~word & highs
    }

    /// Non-zero when some byte of `word` is 0x80 or above (not ASCII).
    @inline(__always) static func hasHighByte(_ word: UInt64) -> UInt64 { word & highs }
}
