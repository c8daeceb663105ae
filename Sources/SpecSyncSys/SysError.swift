import SystemPackage

/// The system calls SpecSyncSys wraps. Errors and injected faults name them, so a message can say
/// exactly which step failed and a test can make exactly that step fail.
public enum SysCall: String, Sendable, CaseIterable, CustomStringConvertible {
    case open, read, pread, write, fsync, fchmod, fchown, fstat, stat, lstat
    case rename, renameat2, unlink, flock, opendir, readdir, realpath, readlink, close, syncfs, getrlimit
    case fstatat, unlinkat, kill
    case sigaction, timerCreate = "timer_create", fcntl
    case pipe = "pipe2", posixSpawn = "posix_spawn", poll, waitpid, mkdir, chmod

    public var description: String { rawValue }
}

/// A failed system call: which call, on which path, and the errno it returned.
public struct SysError: Error, Equatable, Sendable, CustomStringConvertible {
    public var call: SysCall
    public var path: String?
    public var errno: Errno

    public init(call: SysCall, path: String?, errno: Errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let subject = path.map { "(\($0))" } ?? ""
        return "\(call)\(subject) failed: \(errno.describedWithName)"
    }
}

/// What an errno says about the file system, for the errors a write meets: the one mapping that the
/// store's hints, the engine's error kinds and the watcher's retries share.
public enum ErrnoCondition: Sendable, Hashable {
    case noSpace, permissionDenied, readOnlyFileSystem, ioError, tooManyOpenFiles, notFound, nameTooLong
    /// Anything else: reported with its errno, no category.
    case other

    /// Conditions that someone can clear while the file waits (free space, fix permissions, remount).
    public var mayClear: Bool { self == .noSpace || self == .permissionDenied || self == .readOnlyFileSystem }
}

extension Errno {
    public var condition: ErrnoCondition {
        switch self {
        case .noSpace, .diskQuotaExceeded: return .noSpace
        case .permissionDenied, .notPermitted: return .permissionDenied
        case .readOnlyFileSystem: return .readOnlyFileSystem
        case .ioError: return .ioError
        case .tooManyOpenFiles, .tooManyOpenFilesInSystem: return .tooManyOpenFiles
        case .noSuchFileOrDirectory: return .notFound
        case .fileNameTooLong: return .nameTooLong
        default: return .other
        }
    }

    /// "No space left on device (ENOSPC)": the readable text plus the name people search for.
    public var describedWithName: String {
        if let name = symbolicName { return "\(description) (\(name))" }
        return "\(description) (errno \(rawValue))"
    }

    /// The C macro name, for the errors this project can meet; nil for the rest.
    public var symbolicName: String? { Errno.namesByValue[rawValue] }

    /// Parses "EIO", "ENOSPC", …, or a plain number.
    public init?(symbolicName name: String) {
        if let value = Errno.valuesByName[name.uppercased()] {
            self.init(rawValue: value)
        } else if let number = CInt(name), number > 0 {
            self.init(rawValue: number)
        } else {
            return nil
        }
    }

    private static let known: [(String, Errno)] = [
        ("EPERM", .notPermitted), ("ENOENT", .noSuchFileOrDirectory), ("ESRCH", .noSuchProcess),
        ("EINTR", .interrupted), ("EIO", .ioError), ("ENXIO", .noSuchAddressOrDevice),
        ("EBADF", .badFileDescriptor), ("ENOMEM", .noMemory), ("EACCES", .permissionDenied),
        ("EBUSY", .resourceBusy), ("EEXIST", .fileExists), ("EXDEV", .improperLink),
        ("ENODEV", .operationNotSupportedByDevice), ("ENOTDIR", .notDirectory), ("EISDIR", .isDirectory),
        ("EINVAL", .invalidArgument), ("ENFILE", .tooManyOpenFilesInSystem), ("EMFILE", .tooManyOpenFiles),
        ("ETXTBSY", .textFileBusy), ("EFBIG", .fileTooLarge), ("ENOSPC", .noSpace),
        ("EROFS", .readOnlyFileSystem), ("EMLINK", .tooManyLinks), ("EAGAIN", .resourceTemporarilyUnavailable),
        ("ENOTSUP", .notSupported), ("ETIMEDOUT", .timedOut), ("ELOOP", .tooManySymbolicLinkLevels),
        ("ENAMETOOLONG", .fileNameTooLong), ("ENOTEMPTY", .directoryNotEmpty), ("EDQUOT", .diskQuotaExceeded),
        ("ESTALE", .staleNFSFileHandle), ("ENOSYS", .noFunction), ("ENOLCK", .noLocks),
    ]
    private static let valuesByName: [String: CInt] = Dictionary(known.map { ($0.0, $0.1.rawValue) },
                                                                 uniquingKeysWith: { first, _ in first })
    private static let namesByValue: [CInt: String] = Dictionary(known.map { ($0.1.rawValue, $0.0) },
                                                                 uniquingKeysWith: { first, _ in first })
}
