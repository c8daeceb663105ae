import SpecSyncSys

/// The rule for writing through symlinks, shared by the watcher, `fmt`, `check --fix` and `write`: a
/// spec that resolves to a file outside the tree being processed is checked but never written — a
/// cloned repository must not be able to make specsync rewrite files elsewhere.
public enum TreeBoundary {
    /// Where `path` leads when that is outside `tree`; nil when it stays inside. A file that does not
    /// exist (yet, or any more) is judged by its directory; a dangling symlink is outside (its target
    /// could be created anywhere).
    public static func outside(_ path: String, tree: String) -> String? {
        outside(path, tree: tree, resolvedTree: try? Sys.realpath(tree))
    }

    /// The same, with the tree's own resolution done once by a caller that checks many files in it
    /// (`fmt` of a big tree resolved the tree again for every file: five system calls each). A tree that
    /// does not resolve (`resolvedTree` nil) keeps everything outside.
    public static func outside(_ path: String, tree: String, resolvedTree: String?) -> String? {
        guard let root = resolvedTree else { return tree }
        let resolved: String
        do {
            resolved = try Sys.realpath(path)
        } catch {
            if let status = try? Sys.lstat(path), status.identity.isSymlink {
                return (try? Sys.readlink(path)) ?? path
            }
            let slash = path.lastIndex(of: "/")
            let parent = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
            let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            guard let directory = try? Sys.realpath(parent) else { return nil }
            resolved = directory == "/" ? "/" + name : directory + "/" + name
        }
        return resolved.hasPrefix(root == "/" ? "/" : root + "/") ? nil : resolved
    }

    /// The message for a file left alone by this rule.
    public static func refusal(_ path: String, resolved: String, tree: String,
                               outcome: String = "checked, not rewritten", flagHint: Bool) -> String {
        "\(path) is a symlink to a file outside \(tree) (\(resolved)); \(outcome)"
            + (flagHint ? " (pass --follow-symlinks-outside to write files outside the tree)" : "")
    }
}
