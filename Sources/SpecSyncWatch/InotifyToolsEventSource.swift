#if canImport(Glibc)
import Glibc
#endif
import CInotifyTools
import SpecSyncSys
import SystemPackage

/// The real event source: inotify through libinotifytools 3.22 (Debian 12).
///
/// The library keeps one global instance, is not thread-safe, offers whole-second timeouts only and
/// does not expose its file descriptor. So:
/// - only one `InotifyToolsEventSource` exists per process at a time (`instanceInUse` otherwise);
/// - all library calls happen on one thread at a time: `init` before the reader thread starts, then
///   only the reader (`addWatch`, `removeWatch`, `nextBatch`, `close`);
/// - `nextBatch` blocks in `inotifytools_next_event(-1)` — no timeout, no polling, no periodic
///   wake-ups. `wake()` unblocks it without calling the library: at start-up a private file is
///   created in $TMPDIR (or /dev/shm, /tmp), watched for IN_MODIFY, and unlinked at once while
///   kept open; `wake()` writes one byte into it, the kernel queues an IN_MODIFY for that watch, and
///   `nextBatch` swallows it. Nothing ever appears in the watched tree, a read-only tree works, and
///   the file vanishes with the process even after SIGKILL.
/// - `inotify_add_watch`'s watch descriptor is not returned by the library: the kernel allocates
///   descriptors cyclically upwards, so a new watch is the library's next-higher entry; when the
///   kernel instead returned an existing watch (the inode is already watched), it is found by inode.
public final class InotifyToolsEventSource: RenewableEventSource, @unchecked Sendable {  // unchecked: one per process (instanceLock); the watcher's threads take turns on it, the wake pipe is under wakeLock
    /// Directory events the watcher needs. IN_EXCL_UNLINK is deliberately absent: a writer that still
    /// holds a replaced (renamed-over) file open and closes it later then reports IN_CLOSE_WRITE for
    /// the name, which prompts the engine to look at the displaced inode at once.
    public static let directoryMask: Int32 = IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE
        | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW

    private static let instanceLock = ConditionLock()
    nonisolated(unsafe) private static var instanceClaimed = false

    private struct InodeKey: Hashable {
        var device: UInt64
        var inode: UInt64
    }

    private let wakeLock = ConditionLock()
    private var wakeDescriptor: Int32 = -1
    private var wakeWatch: Int32 = -1
    private var highestKnownWatch: Int32 = 0
    private var watchByInode: [InodeKey: Int32] = [:]
    private var inodeByWatch: [Int32: InodeKey] = [:]
    private var closed = false
    public private(set) var abandonedRecords = 0
    /// Whether this object holds the library's global instance (a refused one must not clean it up).
    private var owner = false

    public init(wakeDirectory: String? = nil) throws(EventSourceError) {
        let claimed = Self.instanceLock.withLock { () -> Bool in
            if Self.instanceClaimed { return false }
            Self.instanceClaimed = true
            return true
        }
        guard claimed else { throw .instanceInUse }
        owner = true
        guard inotifytools_initialize() != 0 else {
            let failure = Errno(rawValue: inotifytools_error())
            owner = false
            Self.instanceLock.withLock { Self.instanceClaimed = false }
            throw .cannotInitialize(failure)
        }
        do {
            try setUpWakeChannel(preferred: wakeDirectory)
        } catch {
            inotifytools_cleanup()
            owner = false
            Self.instanceLock.withLock { Self.instanceClaimed = false }
            throw error
        }
    }

    deinit { close() }

    private func setUpWakeChannel(preferred: String?) throws(EventSourceError) {
        var candidates: [String] = []
        if let preferred { candidates.append(preferred) }
        if let tmp = getenv("TMPDIR").map({ String(cString: $0) }), !tmp.isEmpty { candidates.append(tmp) }
        candidates += ["/dev/shm", "/tmp"]
        var lastFailure: (String, Errno) = (candidates.last ?? "/tmp", .noSuchFileOrDirectory)
        for directory in candidates {
            var template = Array("\(directory)/.specsync-wake-XXXXXX".utf8CString)
            let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard fd >= 0 else {
                lastFailure = (directory, Errno(rawValue: errno))
                continue
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let path = String(cString: template)
            let watched = inotifytools_watch_file(path, IN_MODIFY) != 0
            let failure = Errno(rawValue: inotifytools_error())
            unlink(path)
            guard watched, let watch = takeNewlyAllocatedWatch() else {
                _ = Glibc.close(fd)
                lastFailure = (directory, failure)
                continue
            }
            wakeDescriptor = fd
            wakeWatch = watch
            return
        }
        throw .wakeChannelUnavailable(path: lastFailure.0, lastFailure.1)
    }

    /// Advances past every watch the library has recorded since the last call; returns the newest.
    private func takeNewlyAllocatedWatch() -> Int32? {
        let before = highestKnownWatch
        while let name = inotifytools_filename_from_wd(highestKnownWatch &+ 1), name.pointee != 0 {
            highestKnownWatch &+= 1
        }
        return highestKnownWatch == before ? nil : highestKnownWatch
    }

    public func addWatch(directory path: String) throws(EventSourceError) -> WatchID {
        var st = stat()
        let key: InodeKey? = FileName.withCString(path, { lstat($0, &st) }) == 0
            ? InodeKey(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) : nil
        guard FileName.withCString(path, { inotifytools_watch_file($0, Self.directoryMask) }) != 0 else {
            let code = inotifytools_error()
            if code == ENOSPC { throw .watchLimitReached(path: path) }
            throw .cannotWatch(path: path, Errno(rawValue: code))
        }
        if let watch = takeNewlyAllocatedWatch() {
            if let key { record(watch, key) }
            return WatchID(rawValue: watch)
        }
        // No new descriptor: the kernel returned the watch that already exists for this inode (and the
        // library leaked the record it made for the second name).
        abandonedRecords += 1
        if let key, let watch = watchByInode[key] { return WatchID(rawValue: watch) }
        let byName = inotifytools_wd_from_filename(path.endsWithSlash ? path : path + "/")
        if byName > 0 { return WatchID(rawValue: byName) }
        throw .cannotWatch(path: path, .noSuchFileOrDirectory)
    }

    private func record(_ watch: Int32, _ key: InodeKey) {
        if let previous = inodeByWatch[watch] { watchByInode[previous] = nil }
        inodeByWatch[watch] = key
        watchByInode[key] = watch
    }

    private func forget(_ watch: Int32) {
        if let key = inodeByWatch.removeValue(forKey: watch), watchByInode[key] == watch {
            watchByInode[key] = nil
        }
    }

    public func removeWatch(_ watch: WatchID) {
        // Only watches the kernel still holds: the library prints to stderr when removal fails.
        guard inodeByWatch[watch.rawValue] != nil else { return }
        forget(watch.rawValue)
        inotifytools_remove_watch_by_wd(watch.rawValue)
    }

    public func nextBatch() throws(EventSourceError) -> [RawEvent] {
        var events: [RawEvent] = []
        // Block for the first event: -1 = no timeout (the library only knows whole seconds anyway).
        while true {
            if let event = inotifytools_next_event(-1) {
                if let raw = translate(event) { events.append(raw) }
                break
            }
            let code = inotifytools_error()
            if code == EINTR { continue }
            throw .readFailed(Errno(rawValue: code))
        }
        // Then take what is already queued without blocking (select with a zero timeout).
        while events.count < 4096, let event = inotifytools_next_events(0, 1) {
            if let raw = translate(event) { events.append(raw) }
        }
        return events
    }

    private func translate(_ event: UnsafeMutablePointer<inotify_event>) -> RawEvent? {
        let watch = event.pointee.wd
        let mask = event.pointee.mask
        if watch == wakeWatch && watch >= 0 { return nil }
        func has(_ bit: Int32) -> Bool { mask & UInt32(bitPattern: bit) != 0 }
        if has(IN_Q_OVERFLOW) { return RawEvent(watch: nil, kind: .overflow) }
        var kind: EventKind = []
        if has(IN_CREATE) { kind.insert(.created) }
        if has(IN_MODIFY) { kind.insert(.modified) }
        if has(IN_CLOSE_WRITE) { kind.insert(.closedAfterWrite) }
        if has(IN_MOVED_FROM) { kind.insert(.movedFrom) }
        if has(IN_MOVED_TO) { kind.insert(.movedTo) }
        if has(IN_DELETE) { kind.insert(.deleted) }
        if has(IN_DELETE_SELF) { kind.insert(.directoryDeleted) }
        if has(IN_MOVE_SELF) { kind.insert(.directoryMoved) }
        if has(IN_UNMOUNT) { kind.insert(.unmounted) }
        if has(IN_ISDIR) { kind.insert(.isDirectory) }
        if has(IN_IGNORED) {
            kind.insert(.watchRemoved)
            // Dropped by the kernel, not by us: the library keeps its record for good.
            if inodeByWatch[watch] != nil { abandonedRecords += 1 }
            forget(watch)
        }
        var name = ""
        let length = Int(event.pointee.len)
        if length > 0 {
            let bytes = UnsafeRawPointer(event).advanced(by: MemoryLayout<inotify_event>.size)
                .assumingMemoryBound(to: UInt8.self)
            let count = strnlen(UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self), length)
            // Bytes that are not UTF-8 are escaped, so the name still leads to its file (FileName).
            name = FileName.decode(UnsafeBufferPointer(start: bytes, count: count))
        }
        return RawEvent(watch: WatchID(rawValue: watch), kind: kind, name: name, cookie: event.pointee.cookie)
    }

    public func wake() {
        wakeLock.withLock {
            guard wakeDescriptor >= 0 else { return }
            var byte: UInt8 = 0x21
            // Offset 0 every time: the file stays one byte long however often we wake.
            _ = pwrite(wakeDescriptor, &byte, 1, 0)
        }
    }

    public func renew() throws(EventSourceError) {
        guard owner, !closed else { return }
        tearDownInstance()
        guard inotifytools_initialize() != 0 else { throw .cannotInitialize(Errno(rawValue: inotifytools_error())) }
        // The wake-up file is unlinked but still open: watch it again through its descriptor.
        let path = "/proc/self/fd/\(wakeDescriptor)"
        guard inotifytools_watch_file(path, IN_MODIFY) != 0, let watch = takeNewlyAllocatedWatch() else {
            throw .wakeChannelUnavailable(path: path, Errno(rawValue: inotifytools_error()))
        }
        wakeWatch = watch
    }

    /// libinotifytools keeps unread events in a static buffer that survives inotifytools_cleanup();
    /// a later instance would return them. Remove every watch (so the kernel queue ends with their
    /// IN_IGNORED events), read until nothing is left, then clean up.
    private func tearDownInstance() {
        for watch in Array(inodeByWatch.keys) { removeWatch(WatchID(rawValue: watch)) }
        if wakeWatch > 0 { inotifytools_remove_watch_by_wd(wakeWatch) }
        var drained = 0
        while drained < 1_000_000, inotifytools_next_events(0, 1) != nil { drained += 1 }
        inotifytools_cleanup()
        wakeWatch = -1
        highestKnownWatch = 0
        watchByInode.removeAll()
        inodeByWatch.removeAll()
        abandonedRecords = 0
    }

    public func close() {
        guard owner, !closed else { return }
        closed = true
        tearDownInstance()
        wakeLock.withLock {
            if wakeDescriptor >= 0 { _ = Glibc.close(wakeDescriptor) }
            wakeDescriptor = -1
        }
        Self.instanceLock.withLock { Self.instanceClaimed = false }
    }
}
