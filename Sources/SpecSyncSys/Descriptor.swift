#if canImport(Glibc)
import Glibc
#endif

/// An open file descriptor and the path it was opened with (for error messages).
/// Every descriptor SpecSyncSys opens is close-on-exec, so none leaks into child processes.
public struct Descriptor: Sendable, Hashable {
    public let rawValue: Int32
    public let path: String

    public init(rawValue: Int32, path: String) {
        self.rawValue = rawValue
        self.path = path
    }
}

/// How a file is opened for access (O_RDONLY / O_WRONLY / O_RDWR).
public enum AccessMode: Sendable {
    case readOnly, writeOnly, readWrite
}

/// open(2) flags beyond the access mode. O_CLOEXEC is always added.
public struct OpenOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let create = OpenOptions(rawValue: O_CREAT)
    public static let exclusive = OpenOptions(rawValue: O_EXCL)
    public static let truncate = OpenOptions(rawValue: O_TRUNC)
    public static let append = OpenOptions(rawValue: O_APPEND)
    public static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
    public static let directory = OpenOptions(rawValue: O_DIRECTORY)
    public static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
}

/// renameat2(2) flags.
public struct RenameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let noReplace = RenameFlags(rawValue: 1)   // RENAME_NOREPLACE
    public static let exchange = RenameFlags(rawValue: 2)    // RENAME_EXCHANGE
}

/// What stat(2) tells about a file: its identity plus owner and link count.
public struct FileStatus: Sendable, Hashable {
    public var identity: FileIdentity
    public var ownerID: UInt32
    public var groupID: UInt32
    public var linkCount: UInt64

    public init(identity: FileIdentity, ownerID: UInt32, groupID: UInt32, linkCount: UInt64) {
        self.identity = identity
        self.ownerID = ownerID
        self.groupID = groupID
        self.linkCount = linkCount
    }

    /// Permission bits including setuid/setgid/sticky (mode & 07777).
    public var permissions: UInt32 { identity.mode & 0o7777 }
}
