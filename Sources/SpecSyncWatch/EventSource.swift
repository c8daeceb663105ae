import SystemPackage

/// Identifies one directory watch of an `EventSource` (an inotify watch descriptor, or a fake one).
public struct WatchID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public var description: String { "watch \(rawValue)" }
}

/// What happened, in the watcher's own vocabulary (the inotify bits, without C types).
public struct EventKind: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// An entry was created in the watched directory (IN_CREATE).
    public static let created = EventKind(rawValue: 1 << 0)
    /// A file opened for writing was closed: its content is final (IN_CLOSE_WRITE).
    public static let closedAfterWrite = EventKind(rawValue: 1 << 1)
    /// An entry was renamed away from the watched directory (IN_MOVED_FROM).
    public static let movedFrom = EventKind(rawValue: 1 << 2)
    /// An entry was renamed into the watched directory: its content is final (IN_MOVED_TO).
    public static let movedTo = EventKind(rawValue: 1 << 3)
    /// An entry was deleted from the watched directory (IN_DELETE).
    public static let deleted = EventKind(rawValue: 1 << 4)
    /// The watched directory itself was deleted (IN_DELETE_SELF).
    public static let directoryDeleted = EventKind(rawValue: 1 << 5)
    /// The watched directory itself was renamed (IN_MOVE_SELF).
    public static let directoryMoved = EventKind(rawValue: 1 << 6)
    /// The file system holding the watched directory was unmounted (IN_UNMOUNT).
    public static let unmounted = EventKind(rawValue: 1 << 7)
    /// The kernel dropped the watch (IN_IGNORED): the directory is gone or the watch was removed.
    public static let watchRemoved = EventKind(rawValue: 1 << 8)
    /// The kernel's event queue overflowed and events were lost (IN_Q_OVERFLOW).
    public static let overflow = EventKind(rawValue: 1 << 9)
    /// The entry named by the event is a directory (IN_ISDIR).
    public static let isDirectory = EventKind(rawValue: 1 << 10)
    /// A file was written or truncated through an open descriptor (IN_MODIFY): content not final until
    /// the writer closes it.
    public static let modified = EventKind(rawValue: 1 << 11)

    public var description: String {
        let names: [(EventKind, String)] = [
            (.created, "created"), (.closedAfterWrite, "closedAfterWrite"), (.movedFrom, "movedFrom"),
            (.movedTo, "movedTo"), (.deleted, "deleted"), (.directoryDeleted, "directoryDeleted"),
            (.directoryMoved, "directoryMoved"), (.unmounted, "unmounted"), (.watchRemoved, "watchRemoved"),
            (.overflow, "overflow"), (.isDirectory, "isDirectory"), (.modified, "modified"),
        ]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ",") + "]"
    }
}

/// One kernel event, as an `EventSource` reports it.
public struct RawEvent: Equatable, Sendable, CustomStringConvertible {
    /// The directory watch the event belongs to; nil for a queue overflow.
    public var watch: WatchID?
    public var kind: EventKind
    /// The entry's name inside the watched directory; empty for events about the directory itself.
    public var name: String
    /// Pairs the two halves of a rename (IN_MOVED_FROM/IN_MOVED_TO); 0 otherwise.
    public var cookie: UInt32

    public init(watch: WatchID?, kind: EventKind, name: String = "", cookie: UInt32 = 0) {
        self.watch = watch
        self.kind = kind
        self.name = name
        self.cookie = cookie
    }

    public var description: String {
        "\(watch.map { String($0.rawValue) } ?? "-") \(kind) \(name.isEmpty ? "" : "'\(name)'")"
    }
}

/// Where file-system events come from. Everything but `wake()` is called from one thread only
/// (the watcher's reader thread): libinotifytools keeps one global, unsynchronized instance.
public protocol EventSource: AnyObject {
    /// Starts watching the entries of one directory (never a single file, never through a symlink).
    /// Adding a directory whose inode is already watched returns the existing watch.
    func addWatch(directory path: String) throws(EventSourceError) -> WatchID

    /// Stops watching; events already queued for the watch may still arrive.
    func removeWatch(_ watch: WatchID)

    /// Blocks until at least one event is available or `wake()` is called, then returns every event
    /// that can be taken without blocking again (possibly none after a wake-up).
    func nextBatch() throws(EventSourceError) -> [RawEvent]

    /// Makes a blocked or the next `nextBatch()` return. Safe from any thread.
    func wake()

    /// Releases the kernel resources. Called on the reader thread after its last `nextBatch()`.
    func close()
}

/// A source whose bookkeeping grows with directory churn and can start over. libinotifytools keeps
/// its record of every watch the kernel dropped by itself (a deleted directory): it can only free
/// them by removing the watch, which fails — with a line on stderr — once the kernel has dropped it.
public protocol RenewableEventSource: EventSource {
    /// Records kept for watches that no longer exist.
    var abandonedRecords: Int { get }
    /// Starts over with a fresh instance and no directory watches. Events not yet read are lost: the
    /// caller rescans.
    func renew() throws(EventSourceError)
}

public enum EventSourceError: Error, Equatable, CustomStringConvertible {
    /// libinotifytools has one global instance per process and another watcher is using it.
    case instanceInUse
    /// inotify_init failed (EMFILE: the per-user instance limit).
    case cannotInitialize(Errno)
    /// inotify_add_watch reported ENOSPC: the per-user watch limit is reached.
    case watchLimitReached(path: String)
    /// inotify_add_watch failed for another reason (ENOENT, ENOTDIR for a symlink, EACCES, …).
    case cannotWatch(path: String, Errno)
    /// Reading events failed.
    case readFailed(Errno)
    /// The private file used to wake the blocked reader could not be set up.
    case wakeChannelUnavailable(path: String, Errno)

    public var description: String {
        switch self {
        case .instanceInUse:
            return "the inotify event source is already in use in this process (libinotifytools keeps one "
                + "global instance); stop the other watcher first"
        case .cannotInitialize(let errno):
            if errno == .tooManyOpenFiles {
                return "cannot create an inotify instance: \(errno) — the per-user limit "
                    + "fs.inotify.max_user_instances (currently \(InotifyLimits.maxUserInstances.map(String.init) ?? "unknown")) "
                    + "is reached; close other watchers or raise it with `sysctl fs.inotify.max_user_instances=<n>`"
            }
            return "cannot create an inotify instance: \(errno)"
        case .watchLimitReached(let path):
            return "cannot watch \(path): the inotify watch limit "
                + InotifyLimits.describeWatchLimit(InotifyLimits.maxUserWatches) + " is reached; raise it with "
                + "`sudo sysctl fs.inotify.max_user_watches=524288` (persist it in /etc/sysctl.d/)"
        case .cannotWatch(let path, let errno):
            return "cannot watch \(path): \(errno)"
        case .readFailed(let errno):
            return "reading inotify events failed: \(errno)"
        case .wakeChannelUnavailable(let path, let errno):
            return "cannot set up the private wake-up file in \(path): \(errno); set TMPDIR to a writable directory"
        }
    }
}

/// The kernel's inotify limits, read from /proc/sys/fs/inotify (nil where unreadable).
public enum InotifyLimits {
    public static var maxUserWatches: Int? { readProcInteger("/proc/sys/fs/inotify/max_user_watches") }
    public static var maxUserInstances: Int? { readProcInteger("/proc/sys/fs/inotify/max_user_instances") }
    public static var maxQueuedEvents: Int? { readProcInteger("/proc/sys/fs/inotify/max_queued_events") }
    /// The limit of this user namespace (containers can set it lower than the system's).
    public static var namespaceMaxWatches: Int? { readProcInteger("/proc/sys/user/max_inotify_watches") }

    /// "fs.inotify.max_user_watches (currently N)", plus the user namespace's own limit when lower.
    static func describeWatchLimit(_ limit: Int?) -> String {
        var text = "fs.inotify.max_user_watches (currently \(limit.map(String.init) ?? "unknown"))"
        if let namespace = namespaceMaxWatches, let limit, namespace < limit {
            text += " — in this user namespace user.max_inotify_watches (currently \(namespace)) is lower and applies"
        }
        return text
    }
}
