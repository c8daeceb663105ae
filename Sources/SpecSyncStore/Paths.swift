import SpecSyncSys
import SystemPackage

/// A path split into its directory and last component, textually (no file system access).
struct PathParts: Equatable {
    let directory: String
    let name: String

    init(_ path: String) {
        // On the byte, as the kernel does (a search by Character also stepped through grapheme
        // clusters: 6,800 instructions per file fmt wrote).
        if let (head, name) = FileName.splitLast(path) {
            directory = head.isEmpty ? "/" : head
            self.name = name
        } else {
            directory = "."
            name = path
        }
    }

    func sibling(_ siblingName: String) -> String {
        PathParts.join(directory, siblingName)
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.endsWithSlash ? directory + name : directory + "/" + name
    }
}

/// The file a write really replaces: `path` after following symlinks in its last component, so the
/// link stays a link and its target gets the new content.
struct ResolvedTarget {
    let path: String
    /// lstat of `path`; nil when the file does not exist yet.
    let status: FileStatus?
    var parts: PathParts { PathParts(path) }

    static let maximumSymlinkHops = 40

    /// Follows symlinks hop by hop with lstat/readlink (not realpath), so a dangling link resolves to
    /// the file it names, which the write then creates.
    static func resolve(_ givenPath: String) throws(StoreError) -> ResolvedTarget {
        try validate(givenPath)
        var current = givenPath
        for _ in 0...maximumSymlinkHops {
            let status: FileStatus
            do {
                status = try Sys.lstat(current)
            } catch where error.errno == .noSuchFileOrDirectory {
                try requireDirectory(PathParts(current).directory, for: givenPath)
                return ResolvedTarget(path: current, status: nil)
            } catch {
                throw StoreError.mapping(error, path: givenPath)
            }
            if status.identity.isSymlink {
                let destination: String
                do { destination = try Sys.readlink(current) } catch { throw StoreError.mapping(error, path: givenPath) }
                current = destination.isAbsolutePath ? destination : PathParts(current).sibling(destination)
                continue
            }
            if status.identity.isDirectory { throw StoreError.targetIsDirectory(path: givenPath) }
            guard status.identity.isRegularFile else {
                throw StoreError.targetNotRegularFile(path: givenPath, resolved: current)
            }
            return ResolvedTarget(path: current, status: status)
        }
        throw StoreError.tooManySymlinks(path: givenPath)
    }

    static func validate(_ path: String) throws(StoreError) {
        if path.isEmpty { throw StoreError.invalidPath(path: path, reason: "empty") }
        if path.utf8Contains(0) { throw StoreError.invalidPath(path: path, reason: "contains a NUL byte") }
        if path.endsWithSlash { throw StoreError.targetIsDirectory(path: path) }
    }

    static func requireDirectory(_ directory: String, for path: String) throws(StoreError) {
        let status: FileStatus
        do {
            status = try Sys.stat(directory)
        } catch where error.errno == .noSuchFileOrDirectory {
            throw StoreError.missingParentDirectory(path: path, directory: directory)
        } catch {
            throw StoreError.mapping(error, path: path)
        }
        if !status.identity.isDirectory {
            throw StoreError.io(path: path, operation: .stat, subject: directory, errno: .notDirectory)
        }
    }
}

extension StoreError {
    /// Wraps a system-call failure as concerning `path`.
    static func mapping(_ error: SysError, path: String) -> StoreError {
        .io(path: path, operation: error.call, subject: error.path ?? path, errno: error.errno)
    }
}
