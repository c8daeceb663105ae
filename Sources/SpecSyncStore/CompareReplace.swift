import SpecSyncSys
import Synchronization
import SystemPackage

extension SpecStore {
    /// For the watcher, which must not lose edits made by editors that ignore our lock: under the lock,
    /// replace `path` only if it is still exactly `expected` (same identity and bytes).
    ///
    /// The new content is written to a temporary file and swapped in with renameat2(RENAME_EXCHANGE), so
    /// the displaced file stays reachable. If it turns out not to be the expected version (another program
    /// renamed a new file in, or wrote in place, after the check), the exchange is undone and the result is
    /// `.conflict`. With `keepDisplaced` the old inode stays linked under a temporary name (a
    /// `DisplacedFile`) so the caller can detect a late in-place write through a descriptor opened before
    /// the exchange; otherwise it is unlinked. Where RENAME_EXCHANGE is unsupported (EINVAL), falls back to
    /// check-then-rename under the lock, with no displaced file.
    public func replaceIfUnchanged(_ path: String, expected: FileSnapshot, with bytes: [UInt8],
                                   keepDisplaced: Bool) throws -> CompareReplaceResult {
        try withLock(path) {
            let target = try ResolvedTarget.resolve(path)
            guard target.status != nil, let current = try Self.readSnapshot(target.path, givenPath: path, limit: configuration.maxReadBytes) else {
                return .conflict(current: nil)
            }
            guard current == expected else { return .conflict(current: current.identity) }

            let directory = try openDirectory(target, givenPath: path)
            defer { Sys.closeIgnoringErrors(directory) }
            let temporary = try writeTemporary(bytes, beside: target, givenPath: path)
            do throws(SysError) {
                try Sys.renameat2(temporary.path, target.path, .exchange)
            } catch where error.errno == .invalidArgument || error.errno == .noFunction {
                // No RENAME_EXCHANGE here; the check above was made under the lock.
                do throws(SysError) {
                    try Sys.rename(temporary.path, target.path)
                } catch {
                    try? Sys.unlink(temporary.path)
                    throw StoreError.mapping(error, path: path)
                }
                try syncDirectory(directory, givenPath: path)
                return .replaced(newIdentity: Self.identityAfterRename(of: target.path, temporary: temporary),
                                 displaced: nil)
            } catch {
                try? Sys.unlink(temporary.path)
                throw StoreError.mapping(error, path: path)
            }

            // The temporary name now holds whatever was at the target a moment ago.
            let displacedPath = temporary.path
            guard let displaced = try? Self.openDisplaced(displacedPath),
                  displaced.matches(expected) else {
                return try undoExchange(path, target: target, temporary: temporary, directory: directory)
            }
            do {
                try syncDirectory(directory, givenPath: path)
            } catch {
                Sys.closeIgnoringErrors(displaced.descriptor)
                try? Sys.unlink(displacedPath)
                throw error
            }
            let newIdentity = Self.identityAfterRename(of: target.path, temporary: temporary)
            if keepDisplaced {
                return .replaced(newIdentity: newIdentity,
                                 displaced: DisplacedFile(path: displacedPath, descriptor: displaced.descriptor,
                                                          baseline: displaced.status.identity, bytes: displaced.bytes))
            }
            Sys.closeIgnoringErrors(displaced.descriptor)
            try? Sys.unlink(displacedPath)
            return .replaced(newIdentity: newIdentity, displaced: nil)
        }
    }

    /// Puts the other program's version back where it was, then checks that what came back to the
    /// temporary name is our own file before deleting it; anything else is left in place and reported.
    private func undoExchange(_ path: String, target: ResolvedTarget, temporary: TemporaryFile,
                              directory: Descriptor) throws -> CompareReplaceResult {
        do {
            try Sys.renameat2(temporary.path, target.path, .exchange)
        } catch {
            throw StoreError.unresolvedExchange(path: path, strandedPath: temporary.path)
        }
        guard let back = try? Sys.lstat(temporary.path), back.identity.sameInode(as: temporary.identity) else {
            throw StoreError.unresolvedExchange(path: path, strandedPath: temporary.path)
        }
        // While our version was in place, a writer that opened the path may have saved into it. That save
        // came after our exchange; the version we just put back may have been written before it. Unless the
        // one put back is strictly newer (timestamps are coarse: ties go to the save into our version), the
        // save into our version is the latest edit: swap it in again.
        let writtenInto = back.identity.size != temporary.identity.size
            || back.identity.modificationTimeNanoseconds != temporary.identity.modificationTimeNanoseconds
        if writtenInto, let restored = try? Sys.lstat(target.path),
           back.identity.modificationTimeNanoseconds >= restored.identity.modificationTimeNanoseconds {
            do {
                try Sys.renameat2(temporary.path, target.path, .exchange)
            } catch {
                throw StoreError.unresolvedExchange(path: path, strandedPath: temporary.path)
            }
        }
        try? Sys.unlink(temporary.path)
        try syncDirectory(directory, givenPath: path)
        return .conflict(current: (try? Sys.stat(target.path))?.identity)
    }

    struct OpenedDisplaced {
        let descriptor: Descriptor
        let status: FileStatus
        let bytes: [UInt8]

        /// Same inode, size and mtime as expected, and the same bytes (which also catches a same-size
        /// in-place write within one timestamp tick). ctime is not compared: the exchange itself changes it.
        func matches(_ expected: FileSnapshot) -> Bool {
            status.identity.sameInode(as: expected.identity)
                && status.identity.size == expected.identity.size
                && status.identity.modificationTimeNanoseconds == expected.identity.modificationTimeNanoseconds
                && bytes == expected.bytes
        }
    }

    private static func openDisplaced(_ path: String) throws -> OpenedDisplaced {
        let descriptor = try Sys.open(path, .readOnly, [.noFollow, .nonBlocking])
        do {
            let status = try Sys.fstat(descriptor)
            let bytes = try Sys.preadAll(descriptor)
            return OpenedDisplaced(descriptor: descriptor, status: status, bytes: bytes)
        } catch {
            Sys.closeIgnoringErrors(descriptor)
            throw error
        }
    }
}

/// The previous version of a file after `replaceIfUnchanged(…, keepDisplaced: true)`: the old inode,
/// still linked under a temporary-prefixed name next to the file. An editor that had the file open
/// before the exchange and writes in place afterwards writes here; `hasBeenModified()` notices, and
/// `bytes()` recovers what it wrote. Removed by `discard()` or when the object goes away.
public final class DisplacedFile: Sendable {
    /// Where the old inode is linked now (ignored by watchers via `SpecStore.isOwnTemporaryFile`).
    public let path: String
    /// The displaced version as verified right after the exchange.
    public let baseline: FileIdentity
    private let originalBytes: [UInt8]
    private let descriptor: Mutex<Descriptor?>
    /// The directory holding it, open, so `discard()` still finds it if the tree is moved meanwhile.
    private let directory: Descriptor?
    private let name: String

    init(path: String, descriptor: Descriptor, baseline: FileIdentity, bytes: [UInt8]) {
        self.path = path
        self.baseline = baseline
        self.originalBytes = bytes
        self.descriptor = Mutex(descriptor)
        let parts = PathParts(path)
        self.name = parts.name
        self.directory = try? Sys.open(parts.directory, .readOnly, [.directory])
    }

    deinit { discard() }

    /// True once someone has written to the displaced inode (size, mtime or bytes differ from the
    /// version that was displaced). Throws `StoreError.fileNotFound` after `discard()`.
    public func hasBeenModified() throws -> Bool {
        try descriptor.withLock { descriptor in
            guard let descriptor else { throw StoreError.fileNotFound(path: path) }
            do throws(SysError) {
                let status = try Sys.fstat(descriptor)
                if status.identity.size != baseline.size
                    || status.identity.modificationTimeNanoseconds != baseline.modificationTimeNanoseconds {
                    return true
                }
                return try Sys.preadAll(descriptor) != originalBytes
            } catch {
                throw StoreError.mapping(error, path: path)
            }
        }
    }

    /// The displaced inode's current identity (its mtime tells when a late write happened).
    public func currentIdentity() throws -> FileIdentity {
        try descriptor.withLock { descriptor in
            guard let descriptor else { throw StoreError.fileNotFound(path: path) }
            do throws(SysError) {
                return try Sys.fstat(descriptor).identity
            } catch {
                throw StoreError.mapping(error, path: path)
            }
        }
    }

    /// The displaced inode's current bytes (including any late in-place write), at most `limit` of them.
    public func bytes(limit: Int = .max) throws -> [UInt8] {
        try descriptor.withLock { descriptor in
            guard let descriptor else { throw StoreError.fileNotFound(path: path) }
            do throws(SysError) {
                return try Sys.preadAll(descriptor, limit: limit)
            } catch {
                throw StoreError.mapping(error, path: path)
            }
        }
    }

    /// Unlinks the displaced file (only if the name still refers to it) and closes it. Idempotent.
    public func discard() {
        descriptor.withLock { descriptor in
            guard let open = descriptor else { return }
            if let directory {
                if let status = try? Sys.lstat(in: directory, name), status.identity.sameInode(as: baseline) {
                    try? Sys.unlink(in: directory, name)
                }
                Sys.closeIgnoringErrors(directory)
            } else if let status = try? Sys.lstat(path), status.identity.sameInode(as: baseline) {
                try? Sys.unlink(path)
            }
            Sys.closeIgnoringErrors(open)
            descriptor = nil
        }
    }
}
