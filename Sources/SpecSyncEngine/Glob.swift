#if canImport(Glibc)
import Glibc
#endif

/// A path glob: `*`, `?`, `[...]` within one path segment (fnmatch), `**` across any number of segments.
public struct Glob: Sendable, Hashable {
    public let pattern: String
    private let segments: [Segment]

    /// One segment of the pattern. The shapes configurations use (`**`, `*.yaml`, `drafts`) are matched
    /// on the name's bytes; anything else goes to fnmatch(3), whose locale-aware matching costs
    /// thousands of instructions a name — more than reading the spec, when it ran for every file.
    private enum Segment: Sendable, Hashable {
        case anyDepth
        case literal([UInt8])
        /// `*` followed by literal bytes: a name ending in them that does not start with `.`.
        case starSuffix([UInt8])
        case fnmatch(String)

        init(_ text: Substring) {
            let bytes = Array(text.utf8)
            if text == "**" {
                self = .anyDepth
            } else if !bytes.contains(where: Self.isSpecial) {
                self = .literal(bytes)
            } else if bytes.first == UInt8(ascii: "*"), !bytes.dropFirst().contains(where: Self.isSpecial) {
                self = .starSuffix(Array(bytes.dropFirst()))
            } else {
                self = .fnmatch(String(text))
            }
        }

        private static func isSpecial(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "*") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "\\")
        }

        func matches(_ name: Substring) -> Bool {
            switch self {
            case .anyDepth:
                return true  // handled by the caller; as a plain segment it would match one name
            case .literal(let bytes):
                return name.utf8.elementsEqual(bytes)
            case .starSuffix(let suffix):
                // FNM_PERIOD: a leading `.` is matched only by a `.` in the pattern, never by `*`.
                let utf8 = name.utf8
                guard utf8.first != UInt8(ascii: "."), utf8.count >= suffix.count else { return false }
                return utf8.suffix(suffix.count).elementsEqual(suffix)
            case .fnmatch(let pattern):
                return Glibc.fnmatch(pattern, String(name), FNM_PERIOD) == 0
            }
        }
    }

    public init(_ pattern: String) {
        self.pattern = pattern
        // On the byte "/", as `matches` splits paths: a "/" before a combining mark is no Character "/".
        self.segments = pattern.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map { Segment(Substring($0)) }
    }

    /// `relativePath` uses `/` separators and no leading `./`.
    public func matches(_ relativePath: String) -> Bool {
        // `**/*.yaml`, the usual include: only the last name can match the one segment after `**`.
        if segments.count == 2, segments[0] == .anyDepth, segments[1] != .anyDepth {
            let utf8 = relativePath.utf8
            let nameStart = utf8.lastIndex(of: UInt8(ascii: "/")).map { utf8.index(after: $0) } ?? utf8.startIndex
            if nameStart != utf8.endIndex { return segments[1].matches(Substring(utf8[nameStart...])) }
        }
        // Split on the bytes: splitting the String compares Characters, grapheme breaking and all.
        let parts = relativePath.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map(Substring.init)
        return Glob.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == .anyDepth {
            let rest = pattern.dropFirst()
            var remaining = path
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let name = path.first, head.matches(name) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }
}
/// Which files under the specs directory are specs.
public struct SpecFilter: Sendable {
    public var include: [Glob]
    public var exclude: [Glob]

    public init(include: [String], exclude: [String]) {
        self.include = include.map(Glob.init)
        self.exclude = exclude.map(Glob.init)
    }

    public func isSpec(relativePath: String) -> Bool {
        include.contains { $0.matches(relativePath) } && !exclude.contains { $0.matches(relativePath) }
    }
}
