import SpecSyncSys
import Synchronization
import SystemPackage

extension SpecStore {
    /// For the watcher, which must not lose edits made by editors that ignore our lock: under the lock,
    /// replace `path` only if it is still exactly `expected` (same identity and bytes).
    ///
    /// Commits through the store's one commit step (see `commit`): the new content is swapped in with
    /// renameat2(RENAME_EXCHANGE), so the displaced file stays reachable. If it turns out not to be the
    /// expected version (another program renamed a new file in, wrote in place, or removed the file after
    /// the check), the exchange is undone and the result is `.conflict`. With `keepDisplaced` the old
    /// inode stays linked under a temporary name (a `DisplacedFile`) so the caller can detect a late
    /// in-place write through a descriptor opened before the exchange; otherwise it is unlinked. Where
    /// RENAME_EXCHANGE is unsupported (EINVAL), the version is checked again and renamed over, with no
    /// displaced file.
    public func replaceIfUnchanged(_ path: String, expected: FileSnapshot, with bytes: [UInt8],
                                   keepDisplaced: Bool) throws(StoreError) -> CompareReplaceResult {
        try locked(path) { () throws(StoreError) in
            let target = try ResolvedTarget.resolve(path)
            guard target.status != nil, let held = try Self.openForReading(target.path, givenPath: path) else {
                return .conflict(current: nil)
            }
            // Held open until the commit step has checked the displaced version, and then kept by the
            // DisplacedFile (which closes it) when there is one.
            var handedOver = false
            defer { if !handedOver { Sys.closeIgnoringErrors(held) } }
            let current = try Self.readSnapshot(from: held, filePath: target.path, givenPath: path, limit: configuration.maxReadBytes)
            guard current == expected else { return .conflict(current: current.identity) }

            let (outcome, displacedPath) = try commitFile(bytes, to: target, givenPath: path,
                                                          expecting: .version(current, held: held),
                                                          keepDisplaced: keepDisplaced)
            switch outcome {
            case .committed(let newIdentity, let baseline):
                guard let baseline, let displacedPath else { return .replaced(newIdentity: newIdentity, displaced: nil) }
                handedOver = true
                return .replaced(newIdentity: newIdentity,
                                 displaced: DisplacedFile(path: displacedPath, descriptor: held, baseline: baseline,
                                                          bytes: current.bytes, successor: newIdentity))
            case .changedMeanwhile(let ours):
                return .conflict(current: (try? Sys.stat(target.path))?.identity,
                                 ours: ours.map { DisplacedFile($0, bytes: bytes) })
            }
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
    /// The version the same exchange put at the path (nil when unknown). While the path still holds
    /// exactly it, a write found here is the newer one: it came after that exchange.
    public let successor: FileIdentity?
    private let originalBytes: [UInt8]
    private let descriptor: Mutex<Descriptor?>
    /// The directory holding it, open, so `discard()` still finds it if the tree is moved meanwhile.
    private let directory: Descriptor?
    private let name: String

    init(path: String, descriptor: Descriptor, baseline: FileIdentity, bytes: [UInt8], successor: FileIdentity?) {
        self.path = path
        self.baseline = baseline
        self.successor = successor
        self.originalBytes = bytes
        self.descriptor = Mutex(descriptor)
        let parts = PathParts(path)
        self.name = parts.name
        self.directory = try? Sys.open(parts.directory, .readOnly, [.directory])
    }

    convenience init(_ kept: KeptVersion, bytes: [UInt8]) {
        self.init(path: kept.path, descriptor: kept.descriptor, baseline: kept.baseline, bytes: bytes,
                  successor: kept.successor)
    }

    deinit { discard() }

    /// True when `current` is still exactly the version put at the path when this one left it.
    public func isSuccessor(_ current: FileIdentity) -> Bool {
        guard let successor else { return false }
        return current.sameInode(as: successor) && current.size == successor.size
            && current.modificationTimeNanoseconds == successor.modificationTimeNanoseconds
    }

    /// True once someone has written to the displaced inode (size, mtime or bytes differ from the
    /// version that was displaced). Throws `StoreError.fileNotFound` after `discard()`.
    public func hasBeenModified() throws(StoreError) -> Bool {
        try differs(from: baseline, bytes: originalBytes)
    }

    /// True when the displaced inode is no longer `bytes` with `identity`'s size and mtime (a state it
    /// was seen in). Throws `StoreError.fileNotFound` after `discard()`.
    public func differs(from identity: FileIdentity, bytes: [UInt8]) throws(StoreError) -> Bool {
        try descriptor.withLock { descriptor throws(StoreError) -> Bool in
            guard let descriptor else { throw StoreError.fileNotFound(path: path) }
            do throws(SysError) {
                let status = try Sys.fstat(descriptor)
                if status.identity.size != identity.size
                    || status.identity.modificationTimeNanoseconds != identity.modificationTimeNanoseconds {
                    return true
                }
                return try !Sys.preadAll(descriptor).hasSameBytes(as: bytes)   // to the end: see isVersion
            } catch {
                throw StoreError.mapping(error, path: path)
            }
        }
    }

    /// The displaced inode's current identity (its mtime tells when a late write happened).
    public func currentIdentity() throws(StoreError) -> FileIdentity {
        try descriptor.withLock { descriptor throws(StoreError) -> FileIdentity in
            guard let descriptor else { throw StoreError.fileNotFound(path: path) }
            do throws(SysError) {
                return try Sys.fstat(descriptor).identity
            } catch {
                throw StoreError.mapping(error, path: path)
            }
        }
    }

    /// The displaced inode's current bytes (including any late in-place write), at most `limit` of them.
    public func bytes(limit: Int = .max) throws(StoreError) -> [UInt8] {
        try descriptor.withLock { descriptor throws(StoreError) -> [UInt8] in
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
