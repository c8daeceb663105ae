import SpecSyncStore
import SpecSyncSys
import SystemPackage

/// Why one file could not be read or written: a stable `kind` for programs (`error_kind` in JSON
/// output and events) and the message for people. Built from the store's typed errors in one place.
public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case noSpace = "no-space"
        case permissionDenied = "permission-denied"
        case readOnlyFileSystem = "read-only-file-system"
        case ioError = "io-error"
        case tooManyOpenFiles = "too-many-open-files"
        /// Any other failed system call; the message names it and its errno.
        case io
        /// The new content is in place, but the directory fsync failed: not yet durable.
        case notDurable = "not-durable"
        case notFound = "not-found"
        case notARegularFile = "not-a-regular-file"
        case missingDirectory = "missing-directory"
        case tooManySymlinks = "too-many-symlinks"
        case invalidPath = "invalid-path"
        case lockTimeout = "lock-timeout"
        case badLockFile = "bad-lock-file"
        /// Another program's save could not be sorted out from ours; the message says where it is.
        case unresolvedExchange = "unresolved-exchange"
        /// Another program kept saving the file while it was being written.
        case keepsChanging = "keeps-changing"
        case tooLarge = "too-large"
        /// A symlink to a file outside the tree being processed: not written.
        case outsideTree = "outside-tree"
        case standardInput = "standard-input"
        case git
        case other
    }

    public var kind: Kind
    public var message: String
    /// The errno behind it, when one system call failed.
    public var errno: Errno?

    public init(kind: Kind, message: String, errno: Errno? = nil) {
        self.kind = kind
        self.message = message
        self.errno = errno
    }

    /// The kind of any error the engine meets; the message is its description.
    public init(_ error: Error) {
        if let error = error as? FileError {
            self = error
        } else if let error = error as? StoreError {
            self.init(kind: Self.kind(of: error), message: error.description, errno: error.errno)
        } else if let error = error as? SysError {
            self.init(kind: Self.kind(of: error.errno), message: error.description, errno: error.errno)
        } else {
            self.init(kind: .other, message: "\(error)")
        }
    }

    public var description: String { message }

    /// The same error, its message extended (e.g. with what happens next).
    public func appending(_ note: String) -> FileError {
        FileError(kind: kind, message: message + note, errno: errno)
    }

    static func kind(of errno: Errno) -> Kind {
        switch errno.condition {
        case .noSpace: return .noSpace
        case .permissionDenied: return .permissionDenied
        case .readOnlyFileSystem: return .readOnlyFileSystem
        case .ioError: return .ioError
        case .tooManyOpenFiles: return .tooManyOpenFiles
        case .notFound: return .notFound
        case .nameTooLong, .other: return .io
        }
    }

    static func kind(of error: StoreError) -> Kind {
        switch error {
        case .io(_, _, _, let errno): return kind(of: errno)
        case .directorySyncFailed: return .notDurable
        case .fileNotFound: return .notFound
        case .targetIsDirectory, .targetNotRegularFile: return .notARegularFile
        case .missingParentDirectory: return .missingDirectory
        case .tooManySymlinks: return .tooManySymlinks
        case .invalidPath: return .invalidPath
        case .lockTimeout: return .lockTimeout
        case .lockPathIsSymlink, .lockPathNotRegularFile: return .badLockFile
        case .unresolvedExchange: return .unresolvedExchange
        case .changedDuringUpdate: return .keepsChanging
        case .fileTooLarge: return .tooLarge
        }
    }
}
