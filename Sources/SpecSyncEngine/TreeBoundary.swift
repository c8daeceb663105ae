import SpecSyncSys
import Synchronization

/// The rule for writing through symlinks, shared by the watcher, `fmt`, `check --fix` and `write`: a
/// spec that resolves to a file outside the tree being processed is checked but never written — a
/// cloned repository must not be able to make specsync rewrite files elsewhere.
public enum TreeBoundary {
    /// Where `path` leads when that is outside `tree`; nil when it stays inside. A file that does not
    /// exist (yet, or any more) is judged by its directory; a dangling symlink is outside (its target
    /// could be created anywhere).
    public static func outside(_ path: String, tree: String) -> String? {
        Judge(tree: tree).outside(path)
    }

    /// The rule over many files of one tree (a run of `fmt`, a batch of the watcher): the tree and each
    /// directory are resolved once, and a file's own name then costs one lstat. Resolving every path in
    /// full took a readlink per path component (and a getcwd for a relative path) for each file written.
    /// A directory replaced by a symlink after one of its files was judged is not noticed for the others
    /// of the same run — the rule is against links a repository brings, and a swap between judging and
    /// writing was never excluded — so a judge lives for one run or batch, not longer.
    public final class Judge: Sendable {
        public let tree: String
        private let resolvedTree: String?
        /// Resolved directories, shared by the threads judging one batch; keyed by bytes (as String keys,
        /// the directories "é" and "e\u{301}" shared one entry, and a link to outside could pass for the
        /// other). One that did not resolve is not kept: it may be created before the next file.
        private let directories = Mutex<[PathKey: String]>([:])

        /// A tree that does not resolve keeps everything outside.
        public init(tree: String) {
            self.tree = tree
            resolvedTree = try? Sys.realpath(tree)
        }

        public func outside(_ path: String) -> String? {
            guard let root = resolvedTree else { return tree }
            let split = FileName.splitLast(path)
            let parent = split.map { $0.head.isEmpty ? "/" : $0.head } ?? "."
            let name = split?.name ?? path
            let resolved: String
            if name.isEmpty || name == "." || name == ".." {
                guard let full = try? Sys.realpath(path) else { return nil }
                resolved = full
            } else if let status = try? Sys.lstat(path), status.identity.isSymlink {
                guard let full = try? Sys.realpath(path) else {
                    return (try? Sys.readlink(path)) ?? path  // dangling: always outside
                }
                resolved = full
            } else {
                // A file (or nothing: one renamed away between the read and the write) is where its
                // directory leads.
                guard let directory = resolvedDirectory(parent) else { return nil }
                resolved = directory == "/" ? "/" + name : directory + "/" + name
            }
            return resolved.hasBytePrefix(root == "/" ? "/" : root + "/") ? nil : resolved
        }

        private func resolvedDirectory(_ directory: String) -> String? {
            let key = PathKey(directory)
            if let known = directories.withLock({ $0[key] }) { return known }
            guard let resolved = try? Sys.realpath(directory) else { return nil }
            directories.withLock { $0[key] = resolved }
            return resolved
        }
    }

    /// The message for a file left alone by this rule.
    public static func refusal(_ path: String, resolved: String, tree: String,
                               outcome: String = "checked, not rewritten", flagHint: Bool) -> String {
        "\(path) is a symlink to a file outside \(tree) (\(resolved)); \(outcome)"
            + (flagHint ? " (pass --follow-symlinks-outside to write files outside the tree)" : "")
    }
}
