#if canImport(Glibc)
import Glibc
#endif

/// File names are bytes, but String compares by Unicode canonical equivalence — NFC "é" equals NFD
/// "e\u{301}", two different files on Linux — and searches by Character, where a "/" followed by a
/// combining mark is one Character and not a "/". Paths are compared, tested and keyed with these.
extension String {
    /// Starts with the byte "/".
    public var isAbsolutePath: Bool { utf8.first == UInt8(ascii: "/") }

    /// Ends with the byte "/".
    public var endsWithSlash: Bool { utf8.last == UInt8(ascii: "/") }

    /// The same bytes (not merely canonically equivalent text).
    public func hasSameBytes(as other: String) -> Bool {
        utf8.count == other.utf8.count && hasBytePrefix(other)
    }

    /// Starts with exactly the bytes of `prefix`. One memcmp over native strings' contiguous bytes: a
    /// dictionary lookup compares keys at every occupied slot it probes, and the generic element-wise
    /// comparison cost fmt 20,000 instructions per file.
    public func hasBytePrefix(_ prefix: String) -> Bool {
        let count = prefix.utf8.count
        guard utf8.count >= count else { return false }
        if let same = utf8.withContiguousStorageIfAvailable({ mine in
            prefix.utf8.withContiguousStorageIfAvailable { theirs in
                guard let a = mine.baseAddress, let b = theirs.baseAddress else { return count == 0 }
                return memcmp(a, b, count) == 0
            }
        }), let same { return same }
        return utf8.starts(with: prefix.utf8)
    }

    /// What follows `prefix` when the path starts with exactly its bytes; nil otherwise.
    public func bytesAfter(_ prefix: String) -> String? {
        guard hasBytePrefix(prefix) else { return nil }
        return String(decoding: utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }
}

/// A path as a dictionary or set key, equal only to the same bytes (see above: as a String key, "é" and
/// "e\u{301}" would share one entry).
public struct PathKey: Hashable, Sendable, CustomStringConvertible {
    public let path: String

    public init(_ path: String) { self.path = path }

    public static func == (a: PathKey, b: PathKey) -> Bool { a.path.hasSameBytes(as: b.path) }

    public func hash(into hasher: inout Hasher) {
        var path = path
        path.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var description: String { path }
}
