#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys

/// File names for the CLI, which sees only the engine (see `FileName` in SpecSyncSys): bytes that are
/// not UTF-8 travel escaped inside Strings and are shown as `\xNN`.
public enum PathNames {
    /// A command-line argument, byte for byte.
    public static func argument(_ cString: UnsafePointer<CChar>) -> String { FileName.decode(cString: cString) }
    /// A path for people: escaped bytes as `\xNN`.
    public static func displayed(_ path: String) -> String { FileName.displayed(path) }
}

/// Path arithmetic as Foundation's NSString did it on Linux (`appendingPathComponent`,
/// `deletingLastPathComponent`, `resolvingSymlinksInPath`, `standardizingPath`), so paths in messages
/// and comparisons stay as they were without linking full Foundation.
extension PathNames {
    /// `base` + "/" + `component`; either alone when the other is empty, one slash when `base` ends in one.
    public static func appending(_ base: String, _ component: String) -> String {
        if component.isEmpty { return base }
        if base.isEmpty { return component }
        return base.endsWithSlash ? base + component : base + "/" + component
    }

    /// The path without its last component: "/a/b" → "/a", "/a" → "/", "a" → "" (repeated and trailing
    /// slashes first collapsed).
    public static func parent(_ path: String) -> String {
        let fixed = fixingSlashes(path)
        if fixed == "/" || fixed.isEmpty { return fixed }
        guard let slash = fixed.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        if slash == fixed.utf8.startIndex { return "/" }
        return String(fixed[..<slash])
    }

    /// Symlinks resolved component by component, "." and (in absolute paths) ".." removed; a component
    /// that does not exist, and everything after it, stays as written.
    public static func resolvingSymlinks(_ path: String) -> String {
        var components = self.components(path)
        guard !components.isEmpty else { return path }
        if components.count > 1 && components.last == "/" { components.removeLast() }
        let isAbsolute = path.isAbsolutePath
        var resolved = components.removeFirst()
        for component in components {
            switch component {
            case "", ".":
                continue
            case ".." where isAbsolute:
                resolved = parent(resolved)
            default:
                resolved = appending(resolved, component)
                if let status = try? Sys.lstat(resolved), status.identity.isSymlink,
                   let target = try? Sys.realpath(resolved) {
                    resolved = target
                }
            }
        }
        return resolved
    }

    /// Whether `path` starts with the byte "/" (not the Character: see SpecSyncSys's PathBytes).
    public static func isAbsolute(_ path: String) -> Bool { path.isAbsolutePath }

    /// What follows `directory + "/"` in `path`, compared byte for byte; nil when `path` is not inside.
    public static func relative(_ path: String, to directory: String) -> String? { path.bytesAfter(directory + "/") }

    /// A leading "~" expanded to $HOME, then `resolvingSymlinks`.
    public static func standardized(_ path: String) -> String {
        resolvingSymlinks(expandingTilde(path))
    }

    /// "~" and "~/…" only (NSString also knew "~user/…", which no caller passes: every path reaching
    /// here is absolute or joined onto an absolute directory first).
    static func expandingTilde(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = getenv("HOME").map({ String(cString: $0) }) else { return path }
        return fixingSlashes(home + path.dropFirst(), compress: false)
    }

    /// "/" first for an absolute path, then the non-empty components, then "/" for a trailing slash.
    static func components(_ path: String) -> [String] {
        guard !path.isEmpty else { return [] }
        var result = path.isAbsolutePath ? ["/"] : []
        result += FileName.components(path)
        if path.utf8.count > 1 && path.endsWithSlash { result.append("/") }
        return result
    }

    /// Runs of slashes collapsed to one, then one trailing slash removed (except from "/" itself).
    static func fixingSlashes(_ path: String, compress: Bool = true) -> String {
        if path == "/" { return path }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(path.utf8.count)
        for byte in path.utf8 where !(compress && byte == UInt8(ascii: "/") && bytes.last == UInt8(ascii: "/")) {
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "/") && (bytes.count > 1 || compress) { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension PathNames {
    /// Whether `path` is a directory, following symlinks.
    public static func isDirectory(_ path: String) -> Bool { DirectoryListing.isDirectory(path) }
}
