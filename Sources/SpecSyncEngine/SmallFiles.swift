import SpecSyncSys

/// The few whole-file steps of init, install-hook and the merge-driver setup (FileManager's, before
/// the engine stopped linking Foundation), on SpecSyncSys.
enum SmallFiles {
    /// Whether `path` names something, following symlinks (FileManager.fileExists).
    static func exists(_ path: String) -> Bool {
        (try? Sys.stat(path)) != nil
    }

    /// The file's bytes, or nil when it cannot be read for any reason (FileManager.contents(atPath:)).
    static func contents(_ path: String) -> [UInt8]? {
        guard let fd = try? Sys.open(path, .readOnly) else { return nil }
        defer { Sys.closeIgnoringErrors(fd) }
        return try? Sys.readAll(fd)
    }

    /// `mkdir -p`: the directory and any missing parents; nothing when it is a directory already.
    static func createDirectories(_ path: String) throws(SysError) {
        if DirectoryListing.isDirectory(path) { return }
        let parent = PathNames.parent(path)
        if !parent.isEmpty && parent != path { try createDirectories(parent) }
        do {
            try Sys.mkdir(path)
        } catch where error.errno == .fileExists && DirectoryListing.isDirectory(path) {
            return  // made meanwhile by someone else
        }
    }
}
