#if canImport(Glibc)
import Glibc
#endif

/// A path glob: `*`, `?`, `[...]` within one path segment (fnmatch), `**` across any number of segments.
public struct Glob: Sendable, Hashable {
    public let pattern: String
    private let segments: [String]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// `relativePath` uses `/` separators and no leading `./`.
    public func matches(_ relativePath: String) -> Bool {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        return Glob.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            var remaining = path
            while true {
                if match(rest, remaining) { return true }
                guard !remaining.isEmpty else { return false }
                remaining = remaining.dropFirst()
            }
        }
        guard let name = path.first, fnmatch(head, name, FNM_PERIOD) == 0 else { return false }
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
