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
/// inside `withLock`) therefore reuses the held lock instead of deadlocking against itself; other
/// threads still wait as other processes do.
struct LockHandle: ~Copyable {
    private let descriptor: Descriptor?
    private let key: HeldLockKey

    private init(descriptor: Descriptor?, key: HeldLockKey) {
        self.descriptor = descriptor
        self.key = key
    }

    /// Ends the lock (closing the lock file releases the flock).
    consuming func release() {}

    deinit {
        heldLocks.withLock { held in
            let remaining = (held[key] ?? 1) - 1
            held[key] = remaining > 0 ? remaining : nil
        }
        if let descriptor { Sys.closeIgnoringErrors(descriptor) }
    }

    static func acquire(for path: String, timeout: Duration) throws -> LockHandle {
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
            guard let count = held[key] else { return false }
            held[key] = count + 1
            return true
        }
        if nested {
            Sys.closeIgnoringErrors(descriptor)
            return LockHandle(descriptor: nil, key: key)
        }
        do {
            try waitForLock(descriptor, lockPath: lockPath, path: path, timeout: timeout, status: status)
        } catch {
            Sys.closeIgnoringErrors(descriptor)
            throw error
        }
        heldLocks.withLock { $0[key] = 1 }
        return LockHandle(descriptor: descriptor, key: key)
    }

    /// Opens (creating if missing) the lock file without following a symlink. Falls back to read-only
    /// when the lock file exists but is not writable by us: flock needs only an open descriptor.
    private static func openLockFile(_ lockPath: String, for path: String) throws -> Descriptor {
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

    /// Polls LOCK_EX|LOCK_NB with a growing pause (1 ms to 20 ms) until the deadline. Polling keeps the
    /// timeout exact without signals or extra threads; a waiting writer costs a few wakeups a second.
    private static func waitForLock(_ descriptor: Descriptor, lockPath: String, path: String,
                                    timeout: Duration, status: FileStatus) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(1)
        while true {
            do {
                if try Sys.flock(descriptor, .exclusive, nonBlocking: true) { return }
            } catch {
                throw StoreError.mapping(error, path: path)
            }
            let now = clock.now
            if now >= deadline {
                throw StoreError.lockTimeout(lockPath: lockPath, timeout: timeout,
                                             holderPID: LockHolders.holder(of: status.identity))
            }
            Sys.sleep(for: min(pause, deadline - now))
            pause = min(pause * 2, .milliseconds(20))
        }
    }
}

struct HeldLockKey: Hashable {
    let thread: UInt
    let device: UInt64
    let inode: UInt64
}

private let heldLocks = Mutex<[HeldLockKey: Int]>([:])

/// Who holds a flock, from /proc/locks (best effort: nil when not visible).
enum LockHolders {
    static func holder(of identity: FileIdentity) -> Int32? {
        guard let descriptor = try? Sys.open("/proc/locks", .readOnly) else { return nil }
        defer { Sys.closeIgnoringErrors(descriptor) }
        guard let bytes = try? Sys.readAll(descriptor) else { return nil }
        let major = ((identity.device >> 8) & 0xfff) | ((identity.device >> 32) & ~0xfff)
        let minor = (identity.device & 0xff) | ((identity.device >> 12) & ~0xff)
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
