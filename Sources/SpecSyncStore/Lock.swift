#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys
import Synchronization
import SystemPackage

/// An exclusive flock(2) on `<file>.lock`, held until the handle goes away.
///
/// flock locks belong to an open file description, so a second open of the same lock file in this
/// process would wait for the first. Nested locking of the same file on the same thread (e.g. `replace`
/// inside `withLock`, or two spellings of one path in `updateMany`) therefore shares the held lock
/// instead of deadlocking against itself; the lock file is closed when the last sharer releases, in
/// whatever order they do. Other threads still wait as other processes do.
struct LockHandle: ~Copyable {
    private let key: HeldLockKey

    private init(key: HeldLockKey) {
        self.key = key
    }

    /// Ends the lock (closing the lock file releases the flock).
    consuming func release() {}

    deinit {
        let descriptor = heldLocks.withLock { held -> Descriptor? in
            guard var entry = held[key] else { return nil }
            entry.count -= 1
            if entry.count > 0 {
                held[key] = entry
                return nil
            }
            held[key] = nil
            return entry.descriptor
        }
        if let descriptor { Sys.closeIgnoringErrors(descriptor) }
    }

    /// Waits at most `timeout`, or until `deadline` when given (`updateMany` shares one deadline across
    /// a chunk); the lock is tried at least once either way. A timeout error reports `timeout`.
    static func acquire(for path: String, timeout: Duration,
                        until deadline: ContinuousClock.Instant? = nil) throws(StoreError) -> LockHandle {
        let lockPath = SpecStore.lockPath(for: path)
        let descriptor = try openLockFile(lockPath, for: path)
        let status: FileStatus
        do {
            status = try Sys.fstat(descriptor)
        } catch {
            Sys.closeIgnoringErrors(descriptor)
            throw StoreError.mapping(error, path: path)
        }
        guard status.identity.isRegularFile else {
            Sys.closeIgnoringErrors(descriptor)
            throw StoreError.lockPathNotRegularFile(lockPath: lockPath)
        }
        let key = HeldLockKey(thread: UInt(pthread_self()), device: status.identity.device, inode: status.identity.inode)
        let nested = heldLocks.withLock { held -> Bool in
            guard held[key] != nil else { return false }
            held[key]?.count += 1
            return true
        }
        if nested {
            Sys.closeIgnoringErrors(descriptor)
            return LockHandle(key: key)
        }
        do {
            try waitForLock(descriptor, lockPath: lockPath, path: path, timeout: timeout,
                            deadline: deadline ?? ContinuousClock().now + timeout, status: status)
        } catch {
            Sys.closeIgnoringErrors(descriptor)
            throw error
        }
        heldLocks.withLock { $0[key] = HeldLockEntry(count: 1, descriptor: descriptor) }
        return LockHandle(key: key)
    }

    /// Opens (creating if missing) the lock file without following a symlink. Falls back to read-only
    /// when the lock file exists but is not writable by us: flock needs only an open descriptor.
    private static func openLockFile(_ lockPath: String, for path: String) throws(StoreError) -> Descriptor {
        do {
            return try Sys.open(lockPath, .readWrite, [.create, .noFollow, .nonBlocking], permissions: 0o644)
        } catch {
            switch error.errno {
            case .tooManySymbolicLinkLevels:
                if let status = try? Sys.lstat(lockPath), status.identity.isSymlink {
                    throw StoreError.lockPathIsSymlink(lockPath: lockPath)
                }
                throw StoreError.tooManySymlinks(path: path)
            case .isDirectory:
                throw StoreError.lockPathNotRegularFile(lockPath: lockPath)
            case .noSuchFileOrDirectory:
                throw StoreError.missingParentDirectory(path: path, directory: PathParts(lockPath).directory)
            case .permissionDenied, .readOnlyFileSystem:
                if let descriptor = try? Sys.open(lockPath, .readOnly, [.noFollow, .nonBlocking]) {
                    return descriptor
                }
                throw StoreError.mapping(error, path: path)
            default:
                throw StoreError.mapping(error, path: path)
            }
        }
    }

    /// Waits in the kernel (a blocking flock bounded by a timer), so specsync queues behind the
    /// current holder like any other flock waiter instead of losing every hand-over to them.
    private static func waitForLock(_ descriptor: Descriptor, lockPath: String, path: String,
                                    timeout: Duration, deadline: ContinuousClock.Instant,
                                    status: FileStatus) throws(StoreError) {
        let acquired: Bool
        do {
            acquired = try Sys.flockExclusive(descriptor, until: deadline)
        } catch {
            throw StoreError.mapping(error, path: path)
        }
        if !acquired {
            throw StoreError.lockTimeout(lockPath: lockPath, timeout: timeout,
                                         holderPID: LockHolders.holder(of: status.identity))
        }
    }
}

struct HeldLockKey: Hashable {
    let thread: UInt
    let device: UInt64
    let inode: UInt64
}

/// The open lock file behind a held lock and how many handles on this thread share it.
struct HeldLockEntry {
    var count: Int
    let descriptor: Descriptor
}

private let heldLocks = Mutex<[HeldLockKey: HeldLockEntry]>([:])

/// Who holds a flock, from /proc/locks (best effort: nil when not visible).
enum LockHolders {
    static func holder(of identity: FileIdentity) -> Int32? {
        guard let descriptor = try? Sys.open("/proc/locks", .readOnly) else { return nil }
        defer { Sys.closeIgnoringErrors(descriptor) }
        guard let bytes = try? Sys.readAll(descriptor) else { return nil }
        let (major, minor) = FileIdentity.deviceNumbers(identity.device)
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->" after the id.
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int32(fields[4]) else { continue }
            let location = fields[5].split(separator: ":")
            guard location.count == 3, UInt64(location[0], radix: 16) == major,
                  UInt64(location[1], radix: 16) == minor, UInt64(location[2]) == identity.inode else { continue }
            return pid
        }
        return nil
    }
}
