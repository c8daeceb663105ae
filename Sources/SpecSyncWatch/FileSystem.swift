import SpecSyncSys
import SystemPackage

// The watcher reads metadata and directory entries only — never file content, never writes in the
// watched tree (it may open a file read-only to ask whether a writer still has it open). The calls themselves live in SpecSyncSys; these adapters give the watcher plain Errno results.

enum FileSystem {
    /// lstat: what the directory entry itself is (a symlink is reported as a symlink).
    struct Status {
        var identity: FileIdentity
        var linkCount: UInt64
    }

    /// The file `path` leads to, symlinks followed.
    static func status(ofFile path: String) -> Result<Status, Errno> {
        status { () throws(SysError) in try Sys.stat(path) }
    }

    static func status(ofEntry path: String) -> Result<Status, Errno> {
        status { () throws(SysError) in try Sys.lstat(path) }
    }

    private static func status(_ call: () throws(SysError) -> FileStatus) -> Result<Status, Errno> {
        do {
            let status = try call()
            return .success(Status(identity: status.identity, linkCount: status.linkCount))
        } catch {
            return .failure(error.errno)
        }
    }

    /// Whether some process holds the file open for writing (nil: the kernel cannot tell us, e.g. a
    /// file we do not own). Opens it read-only without reading: see `Sys.isOpenForWriting`.
    static func isOpenForWriting(_ path: String) -> Bool? {
        guard let descriptor = try? Sys.open(path, .readOnly, [.noFollow, .nonBlocking]) else { return nil }
        defer { Sys.closeIgnoringErrors(descriptor) }
        return Sys.isOpenForWriting(descriptor)
    }

    /// The absolute path with symlinks, "." and ".." resolved.
    static func resolvedPath(_ path: String) -> Result<String, Errno> {
        do { return .success(try Sys.realpath(path)) } catch { return .failure(error.errno) }
    }
}

func readProcInteger(_ path: String) -> Int? { Sys.readProcInteger(path) }

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
