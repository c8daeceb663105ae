import SpecSyncSys
import SpecSyncWatch

/// Where git keeps the entries that say it is mid-operation, for the repository or linked worktree
/// holding a directory, and whether one is there now. `check --fix` and `fmt` refuse to write then;
/// the watcher watches their directories and holds its rewrites (`GitMarker`, `.gitOperation`).
public struct GitOperations: Sendable {
    /// Names for `git rev-parse --git-path`, most telling first, with what each one means and how the
    /// user gets out of it. `index.lock` comes last: every operation above takes it too.
    static let known: [(name: String, operation: String, howToFinish: String)] = [
        ("rebase-merge", "a rebase", "`git rebase --continue` or `git rebase --abort`"),
        ("rebase-apply", "a rebase or `git am`", "`git rebase --continue`/`--abort` or `git am --continue`/`--abort`"),
        ("MERGE_HEAD", "a merge", "commit the resolution, or `git merge --abort`"),
        ("CHERRY_PICK_HEAD", "a cherry-pick", "`git cherry-pick --continue` or `git cherry-pick --abort`"),
        ("REVERT_HEAD", "a revert", "`git revert --continue` or `git revert --abort`"),
        ("sequencer", "a cherry-pick or revert sequence", "`git cherry-pick --continue`/`--abort` (or `git revert …`)"),
        ("BISECT_LOG", "a bisect", "`git bisect reset`"),
        ("index.lock", indexUpdate, "let the running git command finish (remove a stale index.lock only if no git process is running)"),
    ]

    static let indexUpdate = "an index update"

    /// The markers' absolute paths; empty outside a git work tree (and for a bare repository).
    public let markers: [GitMarker]

    /// One `git rev-parse` in `directory` (a `.git` file pointing elsewhere, as in a linked worktree,
    /// is followed by git itself).
    public init(directory: String) {
        let git = Git(workingDirectory: directory)
        var arguments = ["rev-parse", "--is-inside-work-tree"]
        for marker in Self.known { arguments += ["--git-path", marker.name] }
        guard let out = try? git.run(arguments) else {
            markers = []
            return
        }
        let lines = String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count == Self.known.count + 1, lines[0] == "true" else {
            markers = []
            return
        }
        markers = zip(Self.known, lines.dropFirst()).map { known, path in
            let absolute = path.isAbsolutePath ? path : PathNames.appending(directory, path)
            return GitMarker(path: PathNames.standardized(absolute), operation: known.operation)
        }
    }

    /// The operation under way now (the most telling marker present), if any.
    public func inProgress() -> (operation: String, marker: String, howToFinish: String)? {
        for (marker, known) in zip(markers, Self.known) where (try? Sys.lstat(marker.path)) != nil {
            return (known.operation, marker.path, known.howToFinish)
        }
        return nil
    }

    /// Spec paths below `directory` with unmerged index entries (`git ls-files -u`), absolute.
    public static func unmergedPaths(in directory: String) throws(EngineError) -> Set<PathKey> {
        let out = try Git(workingDirectory: directory).run(["ls-files", "-u", "-z"])
        var paths = Set<PathKey>()  // by bytes: twins spelled alike are two paths
        // "<mode> <object> <stage>\t<path>", NUL-terminated; one line per stage.
        for record in out.split(separator: 0) {
            guard let tab = record.firstIndex(of: 0x09) else { continue }
            let relative = String(decoding: record[(tab + 1)...], as: UTF8.self)
            paths.insert(PathKey(PathNames.appending(directory, relative)))
        }
        return paths
    }

    /// `check --fix` and `fmt`: an error naming the operation and the way out, if one is under way in
    /// the repository of any of `directories`.
    public static func refuseDuringOperation(in directories: [String], flag: String) throws(EngineError) {
        for directory in Set(directories) {
            guard let busy = GitOperations(directory: directory).inProgress() else { continue }
            throw .gitOperationInProgress("\(busy.operation) is in progress in this repository (\(busy.marker) exists); "
                + "rewriting specs now would mix with git's work. Finish it — \(busy.howToFinish) — and run "
                + "again, or pass \(flag) to write anyway")
        }
    }
}
