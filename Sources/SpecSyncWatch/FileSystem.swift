#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys
import SystemPackage

// The few file-system calls the watcher needs, each wrapped once. They read metadata and directory
// entries only — the watcher never reads file content and never writes in the watched tree.
// (Candidates to move into SpecSyncSys once it grows the same calls.)

enum FileSystem {
    /// lstat: what the directory entry itself is (a symlink is reported as a symlink).
    struct Status {
        var identity: FileIdentity
        var linkCount: UInt64
    }

    static func status(ofEntry path: String) -> Result<Status, Errno> {
        var st = stat()
        let result = retryingInterrupts { lstat(path, &st) }
        guard result == 0 else { return .failure(Errno(rawValue: errno)) }
        return .success(Status(identity: FileIdentity(st), linkCount: UInt64(st.st_nlink)))
    }

    /// The absolute path with symlinks, "." and ".." resolved.
    static func resolvedPath(_ path: String) -> Result<String, Errno> {
        guard let resolved = realpath(path, nil) else { return .failure(Errno(rawValue: errno)) }
        defer { free(resolved) }
        return .success(String(cString: resolved))
    }

    static func retryingInterrupts(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }
}

/// The kind of a directory entry, from readdir's d_type (or lstat when the file system leaves it unknown).
enum EntryType {
    case directory, regularFile, symlink, other
}

/// An open directory, read entry by entry. Opened with O_NOFOLLOW: a symlink to a directory is never
/// entered, even if it replaced the directory after the event that made us look.
final class DirectoryListing {
    private let stream: OpaquePointer
    let device: UInt64
    let inode: UInt64

    /// Fails with ENOTDIR or ELOOP when the path is not a directory (or is a symlink to one).
    static func open(_ path: String) -> Result<DirectoryListing, Errno> {
        let fd = FileSystem.retryingInterrupts { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
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
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Calls `body` for every entry except "." and "..". Names that are not valid UTF-8 are skipped:
    /// they could not be reported as Swift strings without changing them.
    func forEachEntry(_ body: (String, EntryType) -> Void) {
        let fd = dirfd(stream)
        while let entry = readdir(stream) {
            let type = entry.pointee.d_type
            let name: String? = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    // Fast paths for "." and "..", then a validating decode.
                    if $0[0] == 0x2E && ($0[1] == 0 || ($0[1] == 0x2E && $0[2] == 0)) { return nil }
                    return String(validatingCString: $0)
                }
            }
            guard let name else { continue }
            switch type {
            case 4: body(name, .directory)       // DT_DIR
            case 8: body(name, .regularFile)     // DT_REG
            case 10: body(name, .symlink)        // DT_LNK
            case 0:                               // DT_UNKNOWN: some file systems do not fill d_type
                var st = stat()
                guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
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

func readProcInteger(_ path: String) -> Int? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { _ = close(fd) }
    var buffer = [UInt8](repeating: 0, count: 64)
    let count = read(fd, &buffer, buffer.count)
    guard count > 0 else { return nil }
    let text = String(decoding: buffer[0..<count], as: UTF8.self)
    return Int(text.trimmingWhitespace)
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
