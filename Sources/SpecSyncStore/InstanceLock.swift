#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys

/// One `specsync watch` per directory tree: an exclusive, non-blocking flock on a close-on-exec
/// file named after the tree's device and inode (so every spelling of the path, symlinks included,
/// maps to the same lock). Held until the value is gone; the kernel drops it if the process dies.
public final class InstanceLock: @unchecked Sendable {  // unchecked: immutable after init; the descriptor is only closed by deinit
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case alreadyRunning(root: String, lockPath: String)
        case unavailable(root: String, reason: String)

        public var description: String {
            switch self {
            case .alreadyRunning(let root, let lockPath):
                return "another specsync watch is already running on \(root) (it holds \(lockPath)); stop it first, or watch a different directory"
            case .unavailable(let root, let reason):
                return "cannot take the single-instance lock for \(root): \(reason)"
            }
        }
    }

    private let descriptor: Descriptor
    public let lockPath: String

    private init(descriptor: Descriptor, lockPath: String) {
        self.descriptor = descriptor
        self.lockPath = lockPath
    }

    deinit { Sys.closeIgnoringErrors(descriptor) }

    /// - Parameter runtimeDirectory: where lock files live; `$XDG_RUNTIME_DIR` or /tmp by default.
    public static func acquire(for root: String, runtimeDirectory: String? = nil) throws(Error) -> InstanceLock {
        let identity: FileIdentity
        do { identity = try Sys.stat(root).identity } catch { throw .unavailable(root: root, reason: "\(error)") }
        let directory = runtimeDirectory ?? defaultRuntimeDirectory()
        let lockPath = "\(directory)/specsync-watch-\(identity.device)-\(identity.inode).lock"
        let fd: Descriptor
        do { fd = try Sys.open(lockPath, .readWrite, [.create, .noFollow], permissions: 0o600) } catch {
            throw .unavailable(root: root, reason: "\(error)")
        }
        let acquired: Bool
        do { acquired = try Sys.flock(fd, .exclusive, nonBlocking: true) } catch {
            Sys.closeIgnoringErrors(fd)
            throw .unavailable(root: root, reason: "\(error)")
        }
        guard acquired else {
            Sys.closeIgnoringErrors(fd)
            throw .alreadyRunning(root: root, lockPath: lockPath)
        }
        return InstanceLock(descriptor: fd, lockPath: lockPath)
    }

    private static func defaultRuntimeDirectory() -> String {
        if let raw = getenv("XDG_RUNTIME_DIR"), case let xdg = String(cString: raw), !xdg.isEmpty,
           (try? Sys.stat(xdg).identity.isDirectory) == true {
            return xdg
        }
        return "/tmp"
    }
}
