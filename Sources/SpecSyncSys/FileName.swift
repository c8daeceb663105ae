/// File names are bytes; Swift strings are Unicode. So that every name round-trips, a byte that is not
/// part of valid UTF-8 is carried in a String as the scalar U+10FF00 + byte (plane 16, private use) and
/// turned back into that byte at the system call; `displayed` shows it as `\xNN`. (A name that really
/// contains U+10FF80…U+10FFFF would be misread; no tool produces those.)
public enum FileName {
    static let escapeBase: UInt32 = 0x10FF00

    /// A name or path from the kernel, as a String that `withCString` gives back byte for byte.
    public static func decode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        var out = String.UnicodeScalarView()
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var pending = Array(bytes)[...]
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                out.append(Unicode.UTF8.decode(encoded))
                pending = pending.dropFirst(encoded.count)
            case .error(let length):
                for byte in pending.prefix(length) { out.append(Unicode.Scalar(escapeBase + UInt32(byte))!) }
                pending = pending.dropFirst(length)
            case .emptyInput:
                return String(out)
            }
        }
    }

    /// Decodes a NUL-terminated C string (from readdir, realpath, …).
    public static func decode(cString: UnsafePointer<CChar>) -> String {
        // The common case without the generic validation above, whose first use at start-up costs
        // more than the decoding (run-time generic metadata).
        if let valid = String(validatingCString: cString) { return valid }
        return decode(UnsafeRawBufferPointer(start: cString, count: strlen(cString)))
    }

    /// False when `path` holds no escaped byte: every escape (U+10FF80…U+10FFFF) is written in UTF-8 with
    /// a lead byte 0xF4, which few paths have. A scan of the bytes, not of decoded scalars: it runs
    /// before every system call on a path.
    static func mayHoldEscapes(_ path: String) -> Bool {
        path.utf8Contains(0xF4)
    }

    /// Calls `body` with the path's bytes for the kernel, escapes turned back into the original bytes.
    public static func withCString<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        guard mayHoldEscapes(path) else {
            return try path.withCString(body)
        }
        var bytes: [CChar] = []
        bytes.reserveCapacity(path.utf8.count + 1)
        for scalar in path.unicodeScalars {
            if scalar.value >= escapeBase + 0x80 {
                bytes.append(CChar(bitPattern: UInt8(scalar.value - escapeBase)))
            } else {
                bytes.append(contentsOf: String(scalar).utf8.map { CChar(bitPattern: $0) })
            }
        }
        bytes.append(0)
        return try bytes.withUnsafeBufferPointer { try body($0.baseAddress!) }
    }

    /// The parts of `path` between "/" bytes, empty ones dropped. Paths are split on the byte: a "/"
    /// followed by a combining mark is one Character, which a split or search by Character misses.
    public static func components(_ path: String) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
    }

    /// `path` split at its last "/" byte: what comes before it (empty for a path like "/name") and the
    /// name after it; nil when there is no "/".
    public static func splitLast(_ path: String) -> (head: String, name: String)? {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        return (String(decoding: path.utf8[..<slash], as: UTF8.self),
                String(decoding: path.utf8[path.utf8.index(after: slash)...], as: UTF8.self))
    }

    /// For people and logs: bytes that are not UTF-8 as `\xNN` (a backslash stays a backslash).
    public static func displayed(_ path: String) -> String {
        guard mayHoldEscapes(path) else { return path }
        var out = ""
        for scalar in path.unicodeScalars {
            if scalar.value >= escapeBase + 0x80 {
                let hex = String(scalar.value - escapeBase, radix: 16, uppercase: true)
                out += "\\x" + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
