import SystemPackage

/// What the watcher reports to its consumer (the engine). Paths are absolute, under `Watcher.root`.
public enum WatchEvent: Equatable, Sendable {
    /// A file found by the start-up scan (the engine applies its start-up policy to these).
    case existing(path: String)
    /// The start-up scan is complete and every directory that could be watched is watched.
    case ready(directories: Int, files: Int)
    /// A file's content is final (closed after writing, renamed into place, or found by a scan of a
    /// directory that appeared or of the whole tree after an overflow) and quiet for the settle
    /// window. `firstEvent`/`lastEvent`: arrival of the first and the last raw event of the burst.
    case changed(path: String, firstEvent: ContinuousClock.Instant, lastEvent: ContinuousClock.Instant)
    /// The file was deleted or renamed away (checked: nothing is at the path any more).
    case removed(path: String)
    /// Events were lost (queue overflow); every file is reported again as `changed`, vanished ones as
    /// `removed`.
    case rescanned(reason: String)
    /// Something is not watched as it should be; the watcher carries on with the rest.
    case warning(WatchWarning)
    /// The root was deleted, moved or unmounted; `run` returns after this event.
    case rootGone(reason: String)
    /// Git started (`inProgress`) or finished an operation in the repository holding the tree, as its
    /// markers (`WatchConfiguration.gitMarkers`) say. While in progress, `reason` names the most telling
    /// marker present (it may be reported again when that changes); at the end, the last one.
    case gitOperation(inProgress: Bool, reason: String)
    /// A git command updated the index (its `index.lock` came and went) too quickly to be seen in
    /// progress: merge conflicts may have been resolved (`git add`) or recorded.
    case gitIndexChanged
}

public enum WatchWarning: Equatable, Sendable, CustomStringConvertible {
    /// inotify_add_watch failed with ENOSPC for `unwatchedDirectories` directories (the first is named).
    case watchLimitReached(directory: String, unwatchedDirectories: Int, limit: Int?)
    /// A directory could not be watched for another reason (its files are still reported by scans).
    case cannotWatch(directory: String, reason: String)
    /// A directory could not be listed (e.g. EACCES); nothing below it is watched.
    case cannotList(directory: String, Errno)

    public var description: String {
        switch self {
        case let .watchLimitReached(directory, count, limit):
            let others = count > 1 ? " and \(count - 1) more director\(count == 2 ? "y" : "ies")" : ""
            return "not watching \(directory)\(others): the inotify watch limit "
                + InotifyLimits.describeWatchLimit(limit) + " is reached. Raise it, e.g. "
                + "`sudo sysctl fs.inotify.max_user_watches=524288` (persist it in /etc/sysctl.d/), and restart; "
                + "changes there are missed until then, everything else is still watched"
        case let .cannotWatch(directory, reason):
            return "not watching \(directory): \(reason)"
        case let .cannotList(directory, errno):
            return "cannot list \(directory): \(errno); nothing below it is watched"
        }
    }
}

public enum WatcherError: Error, Equatable, CustomStringConvertible {
    /// The root does not exist or cannot be resolved.
    case rootUnavailable(path: String, Errno)
    /// The root is not a directory.
    case rootNotADirectory(path: String)
    /// The root itself cannot be watched or listed.
    case cannotWatchRoot(path: String, reason: String)
    /// The event source failed (could not start, or reading events failed).
    case eventSource(EventSourceError)
    /// The reader thread could not be started (process or memory limits).
    case cannotStartThread
    /// `run` was called a second time.
    case alreadyRan

    public var description: String {
        switch self {
        case let .rootUnavailable(path, errno):
            return "cannot watch \(path): \(errno); pass an existing directory"
        case let .rootNotADirectory(path):
            return "cannot watch \(path): not a directory; pass the directory that holds the specs"
        case let .cannotWatchRoot(path, reason):
            return "cannot watch \(path): \(reason)"
        case let .eventSource(error):
            return error.description
        case .cannotStartThread:
            return "cannot start the inotify reader thread (process or memory limits reached)"
        case .alreadyRan:
            return "Watcher.run was called twice; create a new Watcher"
        }
    }
}
