#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// What identifies one version of a file on disk without reading it: which inode, and when and
/// how it last changed. Two equal identities mean "nothing has touched the file in between"
/// (nanosecond timestamps; ctime also moves on rename, chmod and link changes).
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mode: UInt32
    public var modificationTimeNanoseconds: Int64
    public var changeTimeNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, mode: UInt32,
                modificationTimeNanoseconds: Int64, changeTimeNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.mode = mode
        self.modificationTimeNanoseconds = modificationTimeNanoseconds
        self.changeTimeNanoseconds = changeTimeNanoseconds
    }

    public init(_ st: stat) {
        self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                  mode: UInt32(st.st_mode),
                  modificationTimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                  changeTimeNanoseconds: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }

    public var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    public var isSymlink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
    /// A device number's major and minor parts, as glibc's major(3) and minor(3) split `st_dev` (the
    /// form /proc/locks and /proc/self/mountinfo name devices in).
    public static func deviceNumbers(_ device: UInt64) -> (major: UInt64, minor: UInt64) {
        (((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff), (device & 0xff) | ((device >> 12) & ~0xff))
    }

    /// Same inode, regardless of content changes.
    public func sameInode(as other: FileIdentity) -> Bool { device == other.device && inode == other.inode }
}
