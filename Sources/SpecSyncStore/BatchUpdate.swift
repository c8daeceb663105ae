import Dispatch
import SpecSyncSys
import SystemPackage

extension SpecStore {
    /// Files locked and written together by `updateMany`. Bounds the descriptors held at once (one lock
    /// file per file, plus one per directory) and how long a chunk keeps other writers waiting.
    public static let updateManyChunkSize = 256

    /// Locked read-modify-write of many files with one durability barrier per chunk instead of two fsyncs
    /// per file. The outcome per file is what `update` would give, and so are the guarantees.
    ///
    /// Per chunk of at most `updateManyChunkSize` files:
    /// 1. every file's `<file>.lock` is taken in sorted lock-path order (so batches never wait on each
    ///    other in a cycle); the chunk shares one deadline, `configuration.lockTimeout` from the start,
    ///    and every lock is tried at least once, so a busy lock fails only its own file;
    /// 2. in input order: read, `transform(path, bytes)` (nil bytes: no file yet); nil or the current
    ///    bytes → `.unchanged`, nothing written and the lock released at once;
    /// 3. temporary files written in full with the target's mode and owner, closed (checked), not fsynced;
    /// 4. one barrier: `syncfs(2)` on the file system when all of the chunk's directories are on one
    ///    (per-file fsync instead when they are on several, or when syncfs is unavailable: ENOSYS). A
    ///    failed barrier fails every file written in the chunk, never retried (as a failed fsync);
    /// 5. each file committed through the store's one commit step (`commit`): exchanged with its target and
    ///    checked against the version read, or put back if another program saved, removed or created the
    ///    file meanwhile (`changedDuringUpdate`); then each distinct directory fsynced once;
    /// 6. locks released.
    ///
    /// A file that fails at any step before its rename is left byte-identical and its temporary file is
    /// removed; the error is the one `update` would throw (errors from `transform` unchanged). When a
    /// directory fsync fails after the renames, its files report `directorySyncFailed` (content in
    /// place). Several entries naming the same file (repeated, or other spellings or symlinks) are
    /// applied one after another, each seeing the result of the previous.
    ///
    /// `transform` runs on the calling thread, once per file, while the chunk's locks are held: keep it
    /// quick (e.g. compute new content beforehand and only check the bytes are still what it was
    /// computed from).
    ///
    /// - Returns: one result per input path, in input order.
    public func updateMany(_ paths: [String], _ transform: (String, [UInt8]?) throws -> [UInt8]?)
        -> [Result<UpdateResult, Error>] {
        updateMany(paths, keepingDisplaced: { _ in false }, transform).map(\.result)
    }

    /// One `updateMany` result, with the previous version kept when asked for.
    public struct UpdateManyOutcome {
        public var result: Result<UpdateResult, Error>
        /// The version the new content displaced, kept linked as `replaceIfUnchanged(…, keepDisplaced:
        /// true)` keeps it (for detecting late in-place writes), when `keepingDisplaced` said so.
        public var displaced: DisplacedFile?
    }

    /// `updateMany`, keeping the displaced previous version of the files whose input position
    /// `keepingDisplaced` accepts. Each kept version holds two descriptors until it is discarded: keep few.
    public func updateMany(_ paths: [String], keepingDisplaced: (Int) -> Bool,
                           _ transform: (String, [UInt8]?) throws -> [UInt8]?) -> [UpdateManyOutcome] {
        var results = [Result<UpdateResult, Error>?](repeating: nil, count: paths.count)
        var displaced = [DisplacedFile?](repeating: nil, count: paths.count)
        var pending = ArraySlice(paths.indices)
        let releaser = DisplacedVersionReleaser()
        let chunkSize = Self.currentUpdateManyChunkSize
        while !pending.isEmpty {
            let chunk = Array(pending.prefix(chunkSize))
            pending = pending.dropFirst(chunk.count)
            // The first entry of a chunk is never deferred, so this always makes progress.
            let deferred = updateChunk(chunk, paths: paths, transform: transform, keepingDisplaced: keepingDisplaced,
                                       releaser: releaser, results: &results, displaced: &displaced)
            if !deferred.isEmpty { pending = ArraySlice(deferred + pending) }
        }
        releaser.drain()
        return zip(results, displaced).map { result, displaced in
            UpdateManyOutcome(result: result ?? .failure(StoreError.invalidPath(path: "", reason: "internal: no result")),
                              displaced: displaced)
        }
    }

    /// The chunk size `updateMany` would use now: `updateManyChunkSize`, or less under a low
    /// descriptor limit (see `chunkSize(openFileLimit:openNow:)`).
    public static var currentUpdateManyChunkSize: Int {
        chunkSize(openFileLimit: try? Sys.openFileLimit(),
                  openNow: (try? Sys.directoryEntries("/proc/self/fd").count) ?? 64)
    }

    /// A chunk holds up to four descriptors per file (its lock, the version read, the previous chunk's
    /// displaced version still being released, and its directory when every file has its own) plus one
    /// temporary file: fit that into what the descriptor limit leaves, with room for other threads of
    /// the caller. (`ulimit -n 1024` gives about 250, 64 about 8.)
    static func chunkSize(openFileLimit: Int?, openNow: Int) -> Int {
        guard let limit = openFileLimit else { return updateManyChunkSize }
        return max(1, min(updateManyChunkSize, (limit - openNow - 16) / 4))
    }

    /// Updates the files of one chunk; returns the indices to retry in a later chunk (a second entry for
    /// a file already updated in this one).
    private func updateChunk(_ chunk: [Int], paths: [String], transform: (String, [UInt8]?) throws -> [UInt8]?,
                             keepingDisplaced: (Int) -> Bool, releaser: DisplacedVersionReleaser,
                             results: inout [Result<UpdateResult, Error>?], displaced: inout [DisplacedFile?]) -> [Int] {
        var batch = Batch(store: self)
        defer { batch.finish() }

        // Bad targets are refused before a lock file is created next to them (as `withLock` does).
        for index in chunk {
            do {
                _ = try ResolvedTarget.resolve(paths[index])
                batch.items.append(BatchItem(index: index, path: paths[index]))
            } catch {
                results[index] = .failure(error)
            }
        }
        batch.lockAll(timeout: configuration.lockTimeout, results: &results)

        var deferred: [Int] = []
        var targets: Set<TargetKey> = []
        for position in batch.items.indices where batch.items[position].lock != nil {
            let path = batch.items[position].path
            do {
                let target = try ResolvedTarget.resolve(path)
                guard targets.insert(TargetKey(target)).inserted else {
                    deferred.append(batch.items[position].index)
                    batch.items[position].lock = nil
                    continue
                }
                var current: FileSnapshot?
                if target.status != nil, let descriptor = try Self.openForReading(target.path, givenPath: path) {
                    // Kept open until the rename displaces this version (see DisplacedVersionReleaser).
                    batch.items[position].heldVersion = descriptor
                    current = try Self.readSnapshot(from: descriptor, filePath: target.path, givenPath: path,
                                                    limit: configuration.maxReadBytes)
                    batch.items[position].read = current
                }
                guard let newBytes = try transform(path, current?.bytes), !newBytes.hasSameBytes(as: current?.bytes) else {
                    results[batch.items[position].index] = .success(.unchanged(current?.identity))
                    batch.closeHeldVersion(position)
                    batch.items[position].lock = nil
                    continue
                }
                batch.items[position].target = target
                batch.items[position].newBytes = newBytes
                batch.items[position].keepDisplaced = keepingDisplaced(batch.items[position].index)
            } catch {
                batch.fail(position, error, results: &results)
            }
        }

        batch.writeTemporaries(results: &results)
        batch.barrier(results: &results)
        releaser.drain()    // bounds open descriptors to one chunk's displaced versions
        batch.renameAndSyncDirectories(releaser: releaser, results: &results)
        releaser.submit()
        for item in batch.items { if let kept = item.displaced { displaced[item.index] = kept } }
        return deferred
    }
}

/// Frees replaced versions off the calling thread. Replacing a file frees its old inode and blocks, which
/// can cost more than everything else a rename does (on the development VM, ext4 mounted with `discard`
/// and no journal: 60–100 µs of synchronous discard per small file, against 10 µs for the rename).
/// Holding the old version open across the rename moves that work to its last close, and closing on two
/// serial queues lets it overlap the next chunk's reads and writes. Readers are unaffected: the old
/// version only lives a little longer, unlinked. A chunk's descriptors go to the queues together, half
/// each (`submit`): one hand-off per file woke a queue thread twice per file (20,000 futex calls for
/// `fmt` of 10,000 specs).
private final class DisplacedVersionReleaser: @unchecked Sendable {  // unchecked: work goes through its serial queues; `drain` waits on them
    private let queues = (0..<2).map { DispatchQueue(label: "specsync.store.release-displaced.\($0)") }
    private let group = DispatchGroup()
    private var pending: [Descriptor] = []    // only touched by the updateMany thread

    func release(_ descriptor: Descriptor) {
        pending.append(descriptor)
    }

    /// Hands the descriptors released so far to the queues to be closed.
    func submit() {
        guard !pending.isEmpty else { return }
        let half = (pending.count + 1) / 2
        for (queue, part) in zip(queues, [Array(pending[..<half]), Array(pending[half...])]) where !part.isEmpty {
            queue.async(group: group) { for descriptor in part { Sys.closeIgnoringErrors(descriptor) } }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Waits until every descriptor released so far is closed.
    func drain() {
        submit()
        group.wait()
    }
}

/// What two entries must not both write in one chunk: the same inode, or the same missing file.
private enum TargetKey: Hashable {
    case inode(device: UInt64, inode: UInt64)
    case missing(path: PathKey)  // the bytes: "é" and "e\u{301}" are two files

    init(_ target: ResolvedTarget) {
        if let status = target.status {
            self = .inode(device: status.identity.device, inode: status.identity.inode)
        } else {
            self = .missing(path: PathKey(target.path))
        }
    }
}

/// A held lock that can sit in an array (LockHandle is move-only); released when the last reference goes.
private final class HeldLock {
    private let handle: LockHandle
    init(_ handle: consuming LockHandle) { self.handle = handle }
}

private struct BatchItem {
    let index: Int
    let path: String
    var lock: HeldLock?
    /// Set once the transform produced new bytes to write.
    var target: ResolvedTarget?
    var newBytes: [UInt8] = []
    var directory = -1
    var temporary: SpecStore.TemporaryFile?
    /// The version read, open until the commit step has displaced it (and checked that it did).
    var heldVersion: Descriptor?
    /// What was read through it.
    var read: FileSnapshot?
    /// Set once committed.
    var newIdentity: FileIdentity?
    var keepDisplaced = false
    /// The previous version, kept (`keepDisplaced`); it took over `heldVersion`.
    var displaced: DisplacedFile?
    /// Committed: the displaced version, still linked at the temporary's name until the chunk's end.
    var inGrace: (displaced: SpecStore.TemporaryFile, baseline: FileIdentity)?

    var isWriting: Bool { lock != nil && target != nil }
}

private struct BatchDirectory {
    let path: String
    let descriptor: Descriptor
    let device: UInt64
    var renamedItems: [Int] = []
    /// Names in it were exchanged and put back (a conflict): fsynced too, though nothing of ours is there.
    var exchangedBack = false
}

/// The state of one chunk. Every exit path ends in `finish()`, which removes temporaries not committed,
/// closes directories and releases locks.
private struct Batch {
    let store: SpecStore
    var items: [BatchItem] = []
    var directories: [BatchDirectory] = []

    init(store: SpecStore) {
        self.store = store
    }

    mutating func fail(_ position: Int, _ error: Error, results: inout [Result<UpdateResult, Error>?]) {
        results[items[position].index] = .failure(error)
        if let temporary = items[position].temporary { try? Sys.unlink(temporary.path) }
        items[position].temporary = nil
        items[position].target = nil
        closeHeldVersion(position)
        items[position].lock = nil
    }

    mutating func closeHeldVersion(_ position: Int) {
        if let descriptor = items[position].heldVersion { Sys.closeIgnoringErrors(descriptor) }
        items[position].heldVersion = nil
    }

    /// Sorted lock-path order, one deadline for the chunk.
    mutating func lockAll(timeout: Duration, results: inout [Result<UpdateResult, Error>?]) {
        let lockPaths = items.map { SpecStore.lockPath(for: $0.path) }
        let order = items.indices.sorted { lockPaths[$0].utf8.lexicographicallyPrecedes(lockPaths[$1].utf8) }
        let deadline = ContinuousClock().now + timeout
        for position in order {
            do {
                items[position].lock = HeldLock(try LockHandle.acquire(for: items[position].path, timeout: timeout,
                                                                      until: deadline))
            } catch {
                fail(position, error, results: &results)
            }
        }
    }

    /// Opens each directory before any temporary is written in it: a rename can then only be followed by
    /// the directory fsync failing, and the descriptor syncfs uses predates the data it must cover.
    mutating func writeTemporaries(results: inout [Result<UpdateResult, Error>?]) {
        var directoryIndex: [PathKey: Int] = [:]  // by bytes: two directories may be equal Strings
        for position in items.indices where items[position].isWriting {
            guard let target = items[position].target else { continue }
            let path = target.parts.directory
            if let index = directoryIndex[PathKey(path)] {
                items[position].directory = index
                continue
            }
            do {
                let descriptor = try store.openDirectory(target, givenPath: items[position].path)
                let device: UInt64
                do {
                    device = try Sys.fstat(descriptor).identity.device
                } catch {
                    Sys.closeIgnoringErrors(descriptor)
                    throw StoreError.mapping(error, path: items[position].path)
                }
                directories.append(BatchDirectory(path: path, descriptor: descriptor, device: device))
                directoryIndex[PathKey(path)] = directories.count - 1
                items[position].directory = directories.count - 1
                store.sweepStaleTemporaries(in: path)
            } catch {
                fail(position, error, results: &results)
            }
        }

        let deferSync = usesSyncfs
        for position in items.indices where items[position].isWriting {
            guard let target = items[position].target else { continue }
            do {
                items[position].temporary = try store.writeTemporary(items[position].newBytes, beside: target,
                                                                     givenPath: items[position].path,
                                                                     sync: !deferSync, sweep: false)
                // Kept only where our version may be kept after an undone exchange: its late writes are
                // found by comparing against these bytes.
                if !items[position].keepDisplaced { items[position].newBytes = [] }
            } catch {
                fail(position, error, results: &results)
            }
        }
    }

    /// syncfs covers the chunk only when every directory is on one file system.
    var usesSyncfs: Bool {
        guard let first = directories.first else { return false }
        return directories.allSatisfy { $0.device == first.device }
    }

    mutating func barrier(results: inout [Result<UpdateResult, Error>?]) {
        let written = items.indices.filter { items[$0].isWriting && items[$0].temporary != nil }
        guard usesSyncfs, !written.isEmpty, let directory = directories.first else { return }
        do {
            try Sys.syncfs(directory.descriptor)
        } catch where error.errno == .noFunction {
            for position in written {
                do {
                    try syncTemporary(position)
                } catch {
                    fail(position, error, results: &results)
                }
            }
        } catch {
            // Which files' data reached the disk is unknown: fail them all, never retry (see Sys.fsync).
            for position in written {
                fail(position, StoreError.io(path: items[position].path, operation: .syncfs,
                                             subject: directory.path, errno: error.errno), results: &results)
            }
        }
    }

    /// Fallback barrier for one temporary: fsync through a new descriptor (the writing one is closed).
    /// A writeback error nobody has seen yet is still reported to it (Linux ≥ 4.16).
    private func syncTemporary(_ position: Int) throws {
        guard let temporary = items[position].temporary else { return }
        do {
            let descriptor = try Sys.open(temporary.path, .readOnly, [.noFollow])
            defer { Sys.closeIgnoringErrors(descriptor) }
            try Sys.fsync(descriptor)
        } catch {
            throw StoreError.mapping(error, path: items[position].path)
        }
    }

    /// Commits each file through the store's one commit step (exchange and check against the version
    /// read under the lock, or no-replace when there was none), fsyncs each directory once, and then ends
    /// the chunk's grace for the displaced versions: each stayed linked while the chunk was committed,
    /// so a program that still had one open and wrote to it meanwhile gets its write put back at the
    /// path (`changedDuringUpdate`) instead of losing it with the unlinked inode.
    mutating func renameAndSyncDirectories(releaser: DisplacedVersionReleaser,
                                           results: inout [Result<UpdateResult, Error>?]) {
        for position in items.indices where items[position].isWriting {
            guard let target = items[position].target, let temporary = items[position].temporary else { continue }
            let expectation: CommitExpectation
            if let held = items[position].heldVersion, let read = items[position].read {
                expectation = .version(read, held: held)
            } else {
                expectation = .absent
            }
            // From here the commit step owns the temporary: it is in place, removed, or (reported) holds
            // another program's save. Nothing below may unlink it.
            items[position].temporary = nil
            do {
                switch try store.commit(temporary, to: target, givenPath: items[position].path,
                                        expecting: expectation, keepDisplaced: true) {
                case .committed(let identity, let baseline):
                    items[position].newIdentity = identity
                    directories[items[position].directory].renamedItems.append(position)
                    if let baseline { items[position].inGrace = (temporary, baseline) }
                case .changedMeanwhile(let ours):
                    directories[items[position].directory].exchangedBack = true
                    if let ours {
                        if items[position].keepDisplaced {
                            items[position].displaced = DisplacedFile(ours, bytes: items[position].newBytes)
                        } else {
                            try? Sys.unlink(ours.path)
                            Sys.closeIgnoringErrors(ours.descriptor)
                        }
                    }
                    fail(position, StoreError.changedDuringUpdate(path: items[position].path), results: &results)
                }
            } catch {
                fail(position, error, results: &results)
            }
        }
        var exchangedBackNow: Set<Int> = []
        for (index, directory) in directories.enumerated() where !directory.renamedItems.isEmpty || directory.exchangedBack {
            var syncError: Errno?
            do {
                try Sys.fsync(directory.descriptor)
            } catch {
                syncError = error.errno
            }
            for position in directory.renamedItems {
                guard let identity = items[position].newIdentity, let target = items[position].target else { continue }
                let path = items[position].path
                results[items[position].index] = syncError.map {
                    .failure(StoreError.directorySyncFailed(path: path, directory: directory.descriptor.path, errno: $0))
                } ?? .success(.replaced(identity))
                guard let (displaced, baseline) = items[position].inGrace,
                      let held = items[position].heldVersion, let read = items[position].read else { continue }
                items[position].inGrace = nil
                items[position].heldVersion = nil
                if syncError != nil {
                    try? Sys.unlink(displaced.path)
                    releaser.release(held)
                } else if items[position].keepDisplaced {
                    items[position].displaced = DisplacedFile(path: displaced.path, descriptor: held,
                                                              baseline: baseline, bytes: read.bytes,
                                                              successor: identity)
                } else {
                    do {
                        if !(try store.endGrace(of: displaced, target: target, givenPath: path, baseline: baseline,
                                                bytes: read.bytes, held: held)) {
                            results[items[position].index] = .failure(StoreError.changedDuringUpdate(path: path))
                            exchangedBackNow.insert(index)
                        }
                    } catch {
                        results[items[position].index] = .failure(error)
                        exchangedBackNow.insert(index)
                    }
                    releaser.release(held)
                }
            }
        }
        // The late writes put back are the other programs' saves; their durability is not ours to
        // promise, but the names should not go back to our versions after a crash.
        for index in exchangedBackNow { try? Sys.fsync(directories[index].descriptor) }
    }

    /// Removes temporaries not handed to the commit step (none on the normal paths; this is the safety net),
    /// closes directories, releases locks.
    mutating func finish() {
        for item in items {
            if let temporary = item.temporary { try? Sys.unlink(temporary.path) }
            if let descriptor = item.heldVersion { Sys.closeIgnoringErrors(descriptor) }
        }
        for directory in directories { Sys.closeIgnoringErrors(directory.descriptor) }
        directories = []
        items = []
    }
}
