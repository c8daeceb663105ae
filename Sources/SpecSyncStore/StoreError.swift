import SpecSyncSys
import SystemPackage

/// Why a store operation failed. Every case names the file concerned; descriptions say what
/// happened, where, and what to do about it.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed. `subject` is what the call acted on (the temporary file, the directory,
    /// the lock file, …). Thrown before anything replaced the file: `path` is unchanged.
    case io(path: String, operation: SysCall, subject: String, errno: Errno)
    /// The new content is in place, but syncing the directory failed, so the rename may not
    /// survive a crash or power loss.
    case directorySyncFailed(path: String, directory: String, errno: Errno)
    case fileNotFound(path: String)
    case targetIsDirectory(path: String)
    /// A FIFO, socket, device… `resolved` is the path after following symlinks.
    case targetNotRegularFile(path: String, resolved: String)
    case missingParentDirectory(path: String, directory: String)
    case tooManySymlinks(path: String)
    case invalidPath(path: String, reason: String)
    /// Another process held `lockPath` for the whole timeout. `holderPID` comes from /proc/locks when visible.
    case lockTimeout(lockPath: String, timeout: Duration, holderPID: Int32?)
    /// `<file>.lock` is a symlink: following it could let someone redirect our lock (or create files
    /// elsewhere), so it is refused.
    case lockPathIsSymlink(lockPath: String)
    case lockPathNotRegularFile(lockPath: String)
    /// The commit step met a concurrent change in the middle of its exchange and could not put things
    /// back in order (an exchange failed, or brought back something unexpected): `path` holds one version
    /// (usually the new content) and someone else's version was left at `strandedPath`. Nothing was deleted.
    case unresolvedExchange(path: String, strandedPath: String)
    /// Another program (ignoring the lock) replaced or rewrote the file after it was read under the lock;
    /// its version was kept and the new content not written. Read the file again and retry.
    case changedDuringUpdate(path: String)
    /// More than `limit` bytes (`maxReadBytes`); `size` from fstat, nil when it grew while being read.
    /// Nothing was read beyond the limit.
    case fileTooLarge(path: String, size: Int64?, limit: Int)

    /// The file (as the caller named it) this error is about.
    public var path: String {
        switch self {
        case .io(let path, _, _, _), .directorySyncFailed(let path, _, _), .fileNotFound(let path),
             .targetIsDirectory(let path), .targetNotRegularFile(let path, _), .missingParentDirectory(let path, _),
             .tooManySymlinks(let path), .invalidPath(let path, _), .unresolvedExchange(let path, _),
             .changedDuringUpdate(let path), .fileTooLarge(let path, _, _):
            return path
        case .lockTimeout(let lockPath, _, _), .lockPathIsSymlink(let lockPath), .lockPathNotRegularFile(let lockPath):
            return String(lockPath.dropLast(SpecStore.lockSuffix.count))
        }
    }

    public var errno: Errno? {
        switch self {
        case .io(_, _, _, let errno), .directorySyncFailed(_, _, let errno): return errno
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .io(let path, let operation, let subject, let errno):
            var text = "\(path): \(operation)(\(subject)) failed: \(errno.describedWithName)."
            if let hint = Self.hint(for: errno, path: path) { text += " \(hint)" }
            return text + " The file was not modified."
        case .directorySyncFailed(let path, let directory, let errno):
            return "\(path): the new content is in place, but fsync of the directory \(directory) failed: "
                + "\(errno.describedWithName). The change may not survive a crash or power loss; "
                + "check the disk (`dmesg`) and write again."
        case .fileNotFound(let path):
            return "\(path): no such file."
        case .targetIsDirectory(let path):
            return "\(path): is a directory; a spec file path must name a regular file."
        case .targetNotRegularFile(let path, let resolved):
            let via = resolved == path ? "" : " (via symlink to \(resolved))"
            return "\(path)\(via): not a regular file (FIFO, socket or device); refusing to replace it."
        case .missingParentDirectory(let path, let directory):
            return "\(path): the directory \(directory) does not exist; create it first (mkdir -p \(directory))."
        case .tooManySymlinks(let path):
            return "\(path): too many levels of symbolic links (a loop?); check with `namei -l \(path)`."
        case .invalidPath(let path, let reason):
            return "'\(path)': invalid file path: \(reason)."
        case .lockTimeout(let lockPath, let timeout, let holderPID):
            let holder = holderPID.map { "process \($0) holds it (see `ps -p \($0) -o pid,args`). " } ?? ""
            return "\(lockPath): timed out after \(Self.format(timeout)) waiting for the lock; another writer "
                + "is holding it. \(holder)Find the holder with `fuser -v \(lockPath)` or `lsof \(lockPath)`, "
                + "or raise the lock timeout."
        case .lockPathIsSymlink(let lockPath):
            return "\(lockPath): the lock file is a symbolic link; refusing to follow it. Remove the link "
                + "(rm \(lockPath)); the lock file is recreated as a plain file."
        case .lockPathNotRegularFile(let lockPath):
            return "\(lockPath): the lock file is not a regular file; remove or rename whatever is there."
        case .changedDuringUpdate(let path):
            return "\(path): changed by another program while being updated (it does not take \(path).lock); its version was kept — read it again and retry"
        case .fileTooLarge(let path, let size, let limit):
            let what = size.map { "is \($0) bytes," } ?? "grew while being read to"
            return "\(path): \(what) more than the limit of \(limit) bytes; not read."
        case .unresolvedExchange(let path, let strandedPath):
            return "\(path): another program replaced the file while it was being exchanged, and the versions "
                + "could not be put back in order safely; \(path) holds one of them (possibly specsync's new "
                + "content) and another program's version was kept at \(strandedPath). Nothing was deleted. "
                + "Compare the two and keep the right one."
        }
    }

    private static func hint(for errno: Errno, path: String) -> String? {
        let directory = PathParts(path).directory
        switch errno.condition {
        case .noSpace:
            return "The file system holding \(directory) is full or over quota; free space and retry."
        case .permissionDenied:
            return "Writing needs write and search permission on \(directory) (a temporary file is "
                + "created there) and read permission on the file and its lock file."
        case .readOnlyFileSystem:
            return "\(directory) is on a read-only file system."
        case .ioError:
            return "The device reported an I/O error; check the disk (`dmesg`)."
        case .nameTooLong:
            return "The file name is too long for a temporary name next to it; use a shorter name."
        case .tooManyOpenFiles:
            return "Out of file descriptors; raise the limit (ulimit -n)."
        case .notFound, .other:
            return nil
        }
    }

    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "\(seconds) s" }
        return "\(seconds * 1000 + milliseconds) ms"
    }
}
