import SpecSyncSys
import SystemPackage

/// The bytes of a file and the identity of the version they were read from.
public struct FileSnapshot: Sendable, Equatable {
    public var bytes: [UInt8]
    public var identity: FileIdentity
    /// The file had this identity both before and after the bytes were read (false only when a writer
    /// kept changing it through every attempt: then the bytes may be torn, and belong to no identity).
    public var isStable: Bool

    public init(bytes: [UInt8], identity: FileIdentity, isStable: Bool = true) {
        self.bytes = bytes
        self.identity = identity
        self.isStable = isStable
    }
}

public enum UpdateResult: Sendable, Equatable {
    /// The transform returned nil or the current bytes: nothing was written. nil when the file does not exist.
    case unchanged(FileIdentity?)
    case replaced(FileIdentity)
}

public enum CompareReplaceResult: Sendable {
    /// The new content is in place. `displaced` is the previous version, kept only with `keepDisplaced`
    /// (and only where RENAME_EXCHANGE is supported).
    case replaced(newIdentity: FileIdentity, displaced: DisplacedFile?)
    /// The file was no longer the expected version; it was left as found. `current` is nil when it no
    /// longer exists. `ours` (only with `keepDisplaced`): our new version was at the path for a moment
    /// before the exchange was undone; kept like a displaced version, since a program that opened the
    /// path in that moment writes into it.
    case conflict(current: FileIdentity?, ours: DisplacedFile? = nil)
}

/// Durable, locked writes of whole files. Knows nothing about the files' format.
///
/// - Every write goes to a temporary file in the target's directory (fsynced, with the target's mode and
///   owner) and is renamed over the target, then the directory is fsynced: readers and crashes see the
///   old or the new content, never a mix. On any failure the target is left byte-identical.
/// - Writers serialize on an exclusive flock of the sidecar `<path>.lock` (compatible with
///   Tandemonium's Go writers), held across whole read-modify-write cycles.
/// - A path that is a symlink keeps being a symlink; its target gets the new content.
public struct SpecStore: Sendable {
    public var configuration: StoreConfiguration

    public init(configuration: StoreConfiguration = .init()) {
        self.configuration = configuration
    }

    static let lockSuffix = ".lock"

    /// The lock file for `path`, as given (for a symlink, the link's path): `<path>.lock`.
    public static func lockPath(for path: String) -> String { path + lockSuffix }

    /// True for names of temporary files a store with the default prefix creates (and for displaced
    /// files kept by `replaceIfUnchanged`), so a watcher can ignore them.
    public static func isOwnTemporaryFile(name: String) -> Bool {
        TemporaryFiles.isTemporaryName(name, prefix: StoreConfiguration.defaultTempPrefix)
    }

    /// Like `isOwnTemporaryFile(name:)`, for this store's configured prefix.
    public func isTemporaryFile(name: String) -> Bool {
        TemporaryFiles.isTemporaryName(name, prefix: configuration.tempPrefix)
    }

    // MARK: Reading

    /// The current bytes and identity of `path` (following symlinks). Takes no lock: the durable-replace
    /// protocol already guarantees a complete version.
    public func read(_ path: String) throws(StoreError) -> FileSnapshot {
        try ResolvedTarget.validate(path)
        guard let snapshot = try Self.readSnapshot(path, givenPath: path, limit: configuration.maxReadBytes) else {
            throw StoreError.fileNotFound(path: path)
        }
        return snapshot
    }

    /// Reads a file; nil when it does not exist. Retries (up to three reads) when an in-place writer
    /// changes the file while it is read, so bytes and identity belong together.
    static func readSnapshot(_ filePath: String, givenPath: String, limit: Int) throws(StoreError) -> FileSnapshot? {
        guard let descriptor = try openForReading(filePath, givenPath: givenPath) else { return nil }
        defer { Sys.closeIgnoringErrors(descriptor) }
        return try readSnapshot(from: descriptor, filePath: filePath, givenPath: givenPath, limit: limit)
    }

    /// nil when the file does not exist.
    static func openForReading(_ filePath: String, givenPath: String) throws(StoreError) -> Descriptor? {
        do {
            // O_NONBLOCK: opening a FIFO must not hang; it is refused by readSnapshot(from:).
            return try Sys.open(filePath, .readOnly, [.nonBlocking])
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        } catch {
            throw StoreError.mapping(error, path: givenPath)
        }
    }

    /// Throws `StoreError.fileTooLarge` for more than `limit` bytes, judged by fstat before reading and,
    /// for a file that grows or lies about its size, by reading at most `limit + 1` bytes.
    static func readSnapshot(from descriptor: Descriptor, filePath: String, givenPath: String,
                             limit: Int) throws(StoreError) -> FileSnapshot {
        func sys<T>(_ call: () throws(SysError) -> T) throws(StoreError) -> T {
            do { return try call() } catch { throw StoreError.mapping(error, path: givenPath) }
        }
        var attempt = 0
        while true {
            let before = try sys { () throws(SysError) in try Sys.fstat(descriptor) }
            if before.identity.isDirectory { throw StoreError.targetIsDirectory(path: givenPath) }
            guard before.identity.isRegularFile else {
                throw StoreError.targetNotRegularFile(path: givenPath, resolved: filePath)
            }
            if before.identity.size > Int64(limit) {
                throw StoreError.fileTooLarge(path: givenPath, size: before.identity.size, limit: limit)
            }
            let cap = limit == Int.max ? limit : limit + 1
            let bytes = try sys { () throws(SysError) in
                try Sys.preadAll(descriptor, limit: cap, expectedSize: before.identity.size)
            }
            if bytes.count > limit { throw StoreError.fileTooLarge(path: givenPath, size: nil, limit: limit) }
            let after = try sys { () throws(SysError) in try Sys.fstat(descriptor) }
            attempt += 1
            if after.identity == before.identity || attempt == 3 {
                return FileSnapshot(bytes: bytes, identity: after.identity, isStable: after.identity == before.identity)
            }
        }
    }

    // MARK: Writing

    /// Locked durable replace (creates the file if missing). Returns the identity of the new version.
    @discardableResult
    public func replace(_ path: String, with bytes: [UInt8]) throws(StoreError) -> FileIdentity {
        try locked(path) { () throws(StoreError) in
            try replaceResolved(try ResolvedTarget.resolve(path), givenPath: path, with: bytes)
        }
    }

    /// The durable replace itself: a plain rename over whatever is there.
    private func replaceResolved(_ target: ResolvedTarget, givenPath: String, with bytes: [UInt8]) throws(StoreError) -> FileIdentity {
        guard case .committed(let identity, _) = try commitFile(bytes, to: target, givenPath: givenPath,
                                                                expecting: .anything).outcome else {
            throw StoreError.changedDuringUpdate(path: givenPath)   // a plain rename never finds a conflict
        }
        return identity
    }

    /// Durable replace without a `<path>.lock` sidecar, for files no other writer locks (specsync's own
    /// configuration, a .gitignore): the same temp, fsync, rename and directory fsync as `replace`.
    @discardableResult
    public func replaceUnlocked(_ path: String, with bytes: [UInt8]) throws(StoreError) -> FileIdentity {
        try ResolvedTarget.validate(path)
        return try replaceResolved(try ResolvedTarget.resolve(path), givenPath: path, with: bytes)
    }

    /// Locked read-modify-write: `transform` gets the current bytes (nil if the file does not exist);
    /// returning nil or the unchanged bytes writes nothing. The lock is held across read, transform and
    /// replace, so concurrent updates never lose each other's changes. Errors thrown by `transform`
    /// propagate unchanged (and nothing is written). A program that ignores the lock and saves (or
    /// deletes, or creates the file) after the read is not overwritten: `StoreError.changedDuringUpdate`.
    public func update(_ path: String, _ transform: ([UInt8]?) throws -> [UInt8]?) throws -> UpdateResult {
        try withLock(path) {
            let target = try ResolvedTarget.resolve(path)
            // Held open until the commit step has checked that it displaced exactly this version.
            let held = target.status == nil ? nil : try Self.openForReading(target.path, givenPath: path)
            defer { if let held { Sys.closeIgnoringErrors(held) } }
            let current = try held.map { try Self.readSnapshot(from: $0, filePath: target.path, givenPath: path,
                                                                        limit: configuration.maxReadBytes) }
            guard let newBytes = try transform(current?.bytes), !newBytes.hasSameBytes(as: current?.bytes) else {
                return .unchanged(current?.identity)
            }
            let expectation: CommitExpectation
            if let held, let current { expectation = .version(current, held: held) } else { expectation = .absent }
            switch try commitFile(newBytes, to: target, givenPath: path, expecting: expectation).outcome {
            case .committed(let identity, _): return .replaced(identity)
            case .changedMeanwhile: throw StoreError.changedDuringUpdate(path: path)
            }
        }
    }

    /// Runs `body` holding the exclusive lock on `<path>.lock`. Waits at most `configuration.lockTimeout`.
    /// Store calls for the same path inside `body`, on the same thread, reuse the lock.
    /// Throws `StoreError` for the lock itself, and whatever `body` throws.
    public func withLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let outcome: Result<T, any Error> = try locked(path) { () throws(StoreError) in Result { try body() } }
        return try outcome.get()
    }

    /// `withLock` for the store's own steps, which throw only `StoreError`.
    func locked<T>(_ path: String, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try ResolvedTarget.validate(path)
        // Refuse bad targets before creating a lock file next to them.
        _ = try ResolvedTarget.resolve(path)
        let lock = try LockHandle.acquire(for: path, timeout: configuration.lockTimeout)
        let result: T
        do {
            result = try body()
        } catch {
            lock.release()
            throw error
        }
        lock.release()
        return result
    }

    // MARK: Steps

    struct TemporaryFile {
        let path: String
        let identity: FileIdentity
    }

    /// Creates a temporary file next to `target` with the target's owner and mode (new files: 0644 minus
    /// umask), writes `bytes`, fsyncs and closes it (checked). On failure the temporary file is removed.
    /// `updateMany` passes `sync: false` (one barrier covers the whole chunk) and `sweep: false` (it sweeps
    /// each directory once, before its first temporary, so a zero stale age cannot remove its own temps).
    func writeTemporary(_ bytes: [UInt8], beside target: ResolvedTarget, givenPath: String,
                        sync: Bool = true, sweep: Bool = true) throws(StoreError) -> TemporaryFile {
        let parts = target.parts
        let temporaries = TemporaryFiles(prefix: configuration.tempPrefix, staleAge: configuration.staleTempAge)
        if sweep { temporaries.removeStale(in: parts.directory) }

        var path = ""
        var descriptor: Descriptor?
        for _ in 0..<8 where descriptor == nil {
            path = parts.sibling(temporaries.name(for: parts.name))
            do {
                // An existing file's content must not be readable through a looser temporary mode
                // before fchmod, hence 0600; a new file gets 0644 minus umask from the kernel.
                descriptor = try Sys.open(path, .writeOnly, [.create, .exclusive, .noFollow],
                                          permissions: target.status == nil ? 0o644 : 0o600)
            } catch where error.errno == .fileExists {
                continue    // name collision with another writer: draw another random suffix
            } catch where error.errno == .noSuchFileOrDirectory {
                throw StoreError.missingParentDirectory(path: givenPath, directory: parts.directory)
            } catch {
                throw StoreError.mapping(error, path: givenPath)
            }
        }
        guard let descriptor else {
            throw StoreError.io(path: givenPath, operation: .open, subject: path, errno: .fileExists)
        }

        var isOpen = true
        do {
            if let existing = target.status {
                try Self.copyOwner(of: existing, to: descriptor)
                try Sys.fchmod(descriptor, existing.permissions)
            }
            try Sys.writeAll(descriptor, bytes)
            if sync { try Sys.fsync(descriptor) }
            let identity = try Sys.fstat(descriptor).identity
            isOpen = false
            try Sys.close(descriptor)
            return TemporaryFile(path: path, identity: identity)
        } catch {
            if isOpen { Sys.closeIgnoringErrors(descriptor) }
            try? Sys.unlink(path)
            throw StoreError.mapping(error, path: givenPath)
        }
    }

    func sweepStaleTemporaries(in directory: String) {
        TemporaryFiles(prefix: configuration.tempPrefix, staleAge: configuration.staleTempAge).removeStale(in: directory)
    }

    /// fchown to the existing owner and group when permitted. Without privilege, still tries the group
    /// alone (allowed when we own the file and belong to the group); otherwise the new version is ours.
    private static func copyOwner(of existing: FileStatus, to descriptor: Descriptor) throws(SysError) {
        let mine = try Sys.fstat(descriptor)
        guard mine.ownerID != existing.ownerID || mine.groupID != existing.groupID else { return }
        do {
            try Sys.fchown(descriptor, owner: existing.ownerID, group: existing.groupID)
        } catch where error.errno == .notPermitted {
            if mine.groupID != existing.groupID {
                do {
                    try Sys.fchown(descriptor, owner: UInt32.max, group: existing.groupID)
                } catch where error.errno == .notPermitted {
                    // Not a member of the group either: keep our own.
                }
            }
        }
    }

    /// The directory is opened before anything is renamed, so only its fsync can fail afterwards.
    func openDirectory(_ target: ResolvedTarget, givenPath: String) throws(StoreError) -> Descriptor {
        let directory = target.parts.directory
        do {
            return try Sys.open(directory, .readOnly, [.directory])
        } catch where error.errno == .noSuchFileOrDirectory {
            throw StoreError.missingParentDirectory(path: givenPath, directory: directory)
        } catch {
            throw StoreError.mapping(error, path: givenPath)
        }
    }

    func syncDirectory(_ directory: Descriptor, givenPath: String) throws(StoreError) {
        do {
            try Sys.fsync(directory)
        } catch {
            throw StoreError.directorySyncFailed(path: givenPath, directory: directory.path, errno: error.errno)
        }
    }

    /// rename changes the ctime of the moved inode, so the identity is taken again after it; if a
    /// writer that ignores the lock replaced the file in between, the pre-rename identity is all we know.
    static func identityAfterRename(of path: String, temporary: TemporaryFile) -> FileIdentity {
        if let status = try? Sys.lstat(path), status.identity.sameInode(as: temporary.identity) {
            return status.identity
        }
        return temporary.identity
    }
}
