#if canImport(Glibc)
import Glibc
#endif
import SystemPackage

// Calls relative to an open directory: they keep working when the directory is renamed or moved
// after it was opened (the watcher's tree can be moved while we still hold a file in it).
extension Sys {
    /// fstatat(2) with AT_SYMLINK_NOFOLLOW: the entry `name` in `directory` itself.
    public static func lstat(in directory: Descriptor, _ name: String) throws(SysError) -> FileStatus {
        var st = Glibc.stat()
        _ = try perform(.fstatat, directory.path + "/" + name) { _ in FileName.withCString(name) { fstatat(directory.rawValue, $0, &st, AT_SYMLINK_NOFOLLOW) } }
        return FileStatus(st)
    }

    /// unlinkat(2) of the entry `name` in `directory`.
    public static func unlink(in directory: Descriptor, _ name: String) throws(SysError) {
        _ = try perform(.unlinkat, directory.path + "/" + name) { _ in FileName.withCString(name) { unlinkat(directory.rawValue, $0, 0) } }
    }
}
