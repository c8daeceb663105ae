#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

/// The kind of a directory entry, from readdir's d_type (or lstat when the file system leaves it unknown).
public enum EntryType {
    case directory, regularFile, symlink, other
}

/// An open directory, read entry by entry. Opened with O_NOFOLLOW: a symlink to a directory is never
/// entered, even if it replaced the directory after the event that made us look.
public final class DirectoryListing {
    private let stream: OpaquePointer
    public let device: UInt64
    public let inode: UInt64

    /// Fails with ENOTDIR or ELOOP when the path is not a directory (or is a symlink to one).
    public static func open(_ path: String) -> Result<DirectoryListing, Errno> {
        let fd = retryingInterrupts { FileName.withCString(path) { Glibc.open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) } }
        guard fd >= 0 else { return .failure(Errno(rawValue: errno)) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let failure = Errno(rawValue: errno)
            _ = Glibc.close(fd)
            return .failure(failure)
        }
        guard let stream = fdopendir(fd) else {
            let failure = Errno(rawValue: errno)
            _ = Glibc.close(fd)
            return .failure(failure)
        }
        return .success(DirectoryListing(stream: stream, device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
    }

    private init(stream: OpaquePointer, device: UInt64, inode: UInt64) {
        self.stream = stream
        self.device = device
        self.inode = inode
    }

    deinit { closedir(stream) }

    /// stat (following symlinks): whether the path leads to a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Calls `body` for every entry except "." and "..". Names that are not valid UTF-8 come with
    /// their odd bytes escaped (`FileName`), so they still reach the file they name.
    public func forEachEntry(_ body: (String, EntryType) -> Void) {
        let fd = dirfd(stream)
        while let entry = readdir(stream) {
            let type = entry.pointee.d_type
            let name: String? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    // Fast paths for "." and "..", then a validating decode.
                    if $0[0] == 0x2E && ($0[1] == 0 || ($0[1] == 0x2E && $0[2] == 0)) { return nil }
                    return FileName.decode(cString: $0)
                }
            }
            guard let name else { continue }
            switch type {
            case 4: body(name, .directory)       // DT_DIR
            case 8: body(name, .regularFile)     // DT_REG
            case 10: body(name, .symlink)        // DT_LNK
            case 0:                               // DT_UNKNOWN: some file systems do not fill d_type
                var st = stat()
                guard FileName.withCString(name, { fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: body(name, .directory)
                case S_IFREG: body(name, .regularFile)
                case S_IFLNK: body(name, .symlink)
                default: body(name, .other)
                }
            default: body(name, .other)
            }
        }
    }
}


extension Sys {
    /// A small integer from a /proc or /sys file (e.g. fs.inotify limits), or nil.
    public static func readProcInteger(_ path: String) -> Int? {
        let fd = retryingInterrupts { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { _ = Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = Glibc.read(fd, &buffer, buffer.count)
        guard count > 0 else { return nil }
        var text = Substring(String(decoding: buffer[0..<count], as: UTF8.self))
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        return Int(text)
    }
}

private func retryingInterrupts(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
