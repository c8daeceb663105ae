#if canImport(Glibc)
import Glibc
#endif

/// Byte searches every spec goes through before and while it is parsed: memchr for one byte, and
/// eight-bytes-at-a-time (SWAR) tests for loops that skip plain bytes.
enum ByteScan {
    /// A string's bytes, in place where the string is contiguous (native strings are), else from a copy.
    @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var text = text
        return text.withUTF8(body)
    }

    /// A YAML document marker at `i`: `---` or `...` (`mark` three times) that ends there or is followed
    /// by a space, tab or line break — where a line starts, it starts or ends a document.
    static func isDocumentMarker(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, _ mark: UInt8) -> Bool {
        guard i + 3 <= bytes.count, bytes[i] == mark, bytes[i + 1] == mark, bytes[i + 2] == mark else { return false }
        return i + 3 == bytes.count || bytes[i + 3] == 0x20 || bytes[i + 3] == 0x09 || bytes[i + 3] == 0x0A
    }

    /// The scalar value and length of the well-formed UTF-8 sequence starting at `i` (a byte ≥ 0x80), or
    /// nil: a stray continuation byte, an overlong form, a surrogate, past U+10FFFF, or cut short.
    static func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int)? {
        let lead = bytes[i]
        let length: Int
        let minimum: UInt32
        if lead & 0xE0 == 0xC0 { length = 2; minimum = 0x80 }
        else if lead & 0xF0 == 0xE0 { length = 3; minimum = 0x800 }
        else if lead & 0xF8 == 0xF0 { length = 4; minimum = 0x10000 }
        else { return nil }
        guard i + length <= bytes.count else { return nil }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for k in 1..<length {
            let c = bytes[i + k]
            guard c & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(c & 0x3F)
        }
        if value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF) { return nil }
        return (value, length)
    }

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
