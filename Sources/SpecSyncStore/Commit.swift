import SpecSyncSys
import SystemPackage

/// What the commit step may find at the target when it puts the new version in place.
enum CommitExpectation {
    /// Whatever is there, or nothing (`replace`): a plain rename, nothing to check.
    case anything
    /// No file: none existed when the target was read under the lock. One that appears meanwhile is kept.
    case absent
    /// Exactly this version, read under the lock through `held`, which is still open: the displaced inode
    /// must be that one, with the same size, mtime and bytes.
    case version(FileSnapshot, held: Descriptor)
}

enum CommitOutcome {
    /// The new version is in place. `displaced` (only with `keepDisplaced`, and only after an exchange)
    /// is the identity of the previous version, verified and still linked at the temporary's name.
    case committed(newIdentity: FileIdentity, displaced: FileIdentity?)
    /// Another program replaced, rewrote or removed the file after it was read under the lock (or
    /// created it after it was found missing). Its version is at the path; nothing of ours is.
    /// `ours` (only with `keepDisplaced`): our new version was at the path for a moment before the
    /// exchange was undone, and stays linked at the temporary's name — a program that opened the path
    /// in that moment writes into it, exactly as into a displaced version.
    case changedMeanwhile(ours: KeptVersion?)
}

/// A version taken away from the path but kept linked (at `path`, a temporary's name) and open, so a
/// late write into it can still be found.
struct KeptVersion {
    let path: String
    let descriptor: Descriptor
    /// Its identity when it left the path.
    let baseline: FileIdentity
    /// What the same exchange put at the path: a write found in the kept version later is newer than
    /// this, whatever the timestamps say.
    let successor: FileIdentity?
}

extension SpecStore {
    /// The one step that puts a written, durable temporary file in place; `replace`, `update`,
    /// `replaceIfUnchanged` and `updateMany` all commit through it. The caller holds the lock and fsyncs
    /// the directory afterwards (`updateMany` once per directory).
    ///
    /// - `.anything`: rename(2).
    /// - `.absent`: renameat2(RENAME_NOREPLACE): a file created meanwhile stays.
    /// - `.version`: renameat2(RENAME_EXCHANGE), so the displaced file stays reachable at the temporary's
    ///   name and is checked. If it is not the version read (a program that ignores the lock saved
    ///   meanwhile), the exchange is undone (`undoExchange`), checking what every exchange brought back.
    ///   ENOENT means the file was removed after the read: changed meanwhile, never recreated.
    ///   Without RENAME_EXCHANGE (EINVAL), the version is checked once more and then renamed over.
    ///
    /// The step owns the temporary file from here on: it is in place, or removed, or — only when the
    /// versions could not be sorted out — holds another program's version, and the error
    /// (`unresolvedExchange`) names it. An external save is never unlinked unless a newer save is at the
    /// path, exactly as if that save had replaced it.
    func commit(_ temporary: TemporaryFile, to target: ResolvedTarget, givenPath: String,
                expecting expectation: CommitExpectation, keepDisplaced: Bool) throws(StoreError) -> CommitOutcome {
        switch expectation {
        case .anything:
            try rename(temporary, over: target, givenPath: givenPath)
            return .committed(newIdentity: Self.identityAfterRename(of: target.path, temporary: temporary), displaced: nil)

        case .absent:
            do throws(SysError) {
                try Sys.renameat2(temporary.path, target.path, .noReplace)
            } catch where error.errno == .fileExists {
                try? Sys.unlink(temporary.path)
                return .changedMeanwhile(ours: nil)
            } catch where error.errno == .invalidArgument || error.errno == .noFunction {
                // No RENAME_NOREPLACE on this file system: check again just before renaming.
                if (try? Sys.lstat(target.path)) != nil {
                    try? Sys.unlink(temporary.path)
                    return .changedMeanwhile(ours: nil)
                }
                try rename(temporary, over: target, givenPath: givenPath)
            } catch {
                try? Sys.unlink(temporary.path)
                throw StoreError.mapping(error, path: givenPath)
            }
            return .committed(newIdentity: Self.identityAfterRename(of: target.path, temporary: temporary), displaced: nil)

        case .version(let expected, let held):
            // A writer part-way through an in-place save (no lock, no temp file: Coldwine's `task`
            // commands) still has the file open for writing, and the version read may be half of its
            // save. Asked before the exchange, so a version built on it is never visible. A writer that
            // opens the file in the microseconds between this and the exchange writes into the displaced
            // inode, which `keepDisplaced` callers (the watcher) watch for late writes.
            if Sys.isOpenForWriting(held) == true {
                try? Sys.unlink(temporary.path)
                return .changedMeanwhile(ours: nil)
            }
            do throws(SysError) {
                try Sys.renameat2(temporary.path, target.path, .exchange)
            } catch where error.errno == .noSuchFileOrDirectory {
                try? Sys.unlink(temporary.path)
                return .changedMeanwhile(ours: nil)
            } catch where error.errno == .invalidArgument || error.errno == .noFunction {
                // No RENAME_EXCHANGE on this file system: check again just before renaming.
                guard let now = try? Sys.lstat(target.path), Self.isVersion(expected, status: now, held: held) != nil else {
                    try? Sys.unlink(temporary.path)
                    return .changedMeanwhile(ours: nil)
                }
                try rename(temporary, over: target, givenPath: givenPath)
                return .committed(newIdentity: Self.identityAfterRename(of: target.path, temporary: temporary), displaced: nil)
            } catch {
                try? Sys.unlink(temporary.path)
                throw StoreError.mapping(error, path: givenPath)
            }
            // The temporary's name now holds whatever was at the path a moment ago.
            let displaced = try? Sys.lstat(temporary.path)
            if let displaced, let verified = Self.isVersion(expected, status: displaced, held: held) {
                if !keepDisplaced { try? Sys.unlink(temporary.path) }
                return .committed(newIdentity: Self.identityAfterRename(of: target.path, temporary: temporary),
                                  displaced: keepDisplaced ? verified : nil)
            }
            let ours = try undoExchange(temporary, target: target, givenPath: givenPath, displaced: displaced?.identity,
                                        keepOurs: keepDisplaced)
            return .changedMeanwhile(ours: ours)
        }
    }

    private func rename(_ temporary: TemporaryFile, over target: ResolvedTarget, givenPath: String) throws(StoreError) {
        do {
            try Sys.rename(temporary.path, target.path)
        } catch {
            try? Sys.unlink(temporary.path)
            throw StoreError.mapping(error, path: givenPath)
        }
    }

    /// The identity (through `held`) when the file with `status` is `expected`, unmodified: same inode,
    /// size and mtime, and the same bytes (which also catches a same-size in-place write within one
    /// timestamp tick). ctime is not compared: an exchange changes it. Read to a pread of 0 bytes, not
    /// stopped at the size just seen: this check and `endGrace`'s decide whether a version is let go,
    /// and the read that confirms the end is one more chance to see a late append.
    private static func isVersion(_ expected: FileSnapshot, status: FileStatus, held: Descriptor) -> FileIdentity? {
        guard status.identity.sameInode(as: expected.identity),
              let now = try? Sys.fstat(held), now.identity.sameInode(as: expected.identity),
              now.identity.size == expected.identity.size,
              now.identity.modificationTimeNanoseconds == expected.identity.modificationTimeNanoseconds,
              let bytes = try? Sys.preadAll(held), bytes.hasSameBytes(as: expected.bytes) else {
            return nil
        }
        return now.identity
    }

    /// Puts the other program's version back at the path, checking after every exchange what came back
    /// to the temporary's name before removing anything:
    /// - what was last put at the path, untouched (at first: our own file): removed;
    /// - that same file, but saved into while it was at the path: the newest edit unless it is older
    ///   than the version just put back (timestamps are coarse: a tie goes to the save into it). Our
    ///   own version is never removed for looking older (with `keepOurs` it is kept): a save caught
    ///   part-way, open(O_TRUNC), shows its new size with the old mtime, and its writer goes on into it;
    /// - anything else: a save renamed over the path between the two exchanges. It is newer than the
    ///   version just put back, so the two are exchanged again, and the loop goes on until what comes back
    ///   is what was put there — programs that save in quick succession only make it take more rounds.
    /// Whenever an exchange fails, something vanishes, or the saves keep coming for `maximumRounds`,
    /// nothing is removed and the error names where the other version was left.
    ///
    /// With `keepOurs`, our own version coming back untouched is kept (returned) instead of removed: a
    /// program that opened the path while it was there may still write into it (the watcher watches
    /// it for the grace period, as any displaced version).
    @discardableResult
    func undoExchange(_ temporary: TemporaryFile, target: ResolvedTarget, givenPath: String,
                      displaced: FileIdentity?, keepOurs: Bool = false, maximumRounds: Int = 64) throws(StoreError) -> KeptVersion? {
        let unresolved = StoreError.unresolvedExchange(path: givenPath, strandedPath: temporary.path)
        // `expected` should be at the path and `held` at the temporary's name before each exchange.
        var expected = temporary.identity
        var held = displaced
        for _ in 0..<maximumRounds {
            do { try Sys.renameat2(temporary.path, target.path, .exchange) } catch { throw unresolved }
            guard let back = try? Sys.lstat(temporary.path) else { throw unresolved }
            if back.identity.sameInode(as: expected) {
                let savedInto = back.identity.size != expected.size
                    || back.identity.modificationTimeNanoseconds != expected.modificationTimeNanoseconds
                guard savedInto else {
                    if keepOurs, expected == temporary.identity, let kept = keep(temporary, successor: held) { return kept }
                    try? Sys.unlink(temporary.path)     // superseded by the newer version now at the path
                    return nil
                }
                guard let restored = try? Sys.lstat(target.path) else { throw unresolved }
                guard back.identity.modificationTimeNanoseconds >= restored.identity.modificationTimeNanoseconds else {
                    // Our own version may be part-way through a save (open(O_TRUNC): new size, old
                    // mtime): kept, and judged when its grace ends, with the writer's final stamps.
                    if keepOurs, expected == temporary.identity, let kept = keep(temporary, successor: held) { return kept }
                    try? Sys.unlink(temporary.path)     // an older save than the one put back
                    return nil
                }
            }
            // What came back is newer than what was just put at the path: swap again.
            guard let placed = held else { throw unresolved }
            expected = placed
            held = back.identity
        }
        throw unresolved
    }

    /// Opens our version, back at the temporary's name, to watch it for late writes.
    private func keep(_ temporary: TemporaryFile, successor: FileIdentity?) -> KeptVersion? {
        guard let descriptor = try? Sys.open(temporary.path, .readOnly, [.noFollow]) else { return nil }
        guard let status = try? Sys.fstat(descriptor), status.identity.sameInode(as: temporary.identity) else {
            Sys.closeIgnoringErrors(descriptor)
            return nil
        }
        return KeptVersion(path: temporary.path, descriptor: descriptor, baseline: temporary.identity, successor: successor)
    }

    /// Ends the grace of a version displaced by `commit(…, keepDisplaced: true)`: it is still linked at
    /// `temporary.path` and open as `held`, and was `bytes` with `baseline` when displaced. Unmodified,
    /// its name is removed: true. If a program that still had it open wrote to it after the exchange,
    /// that write is the newest edit: it goes back to the path and our version is removed, checked as any
    /// undo (`undoExchange`): false.
    func endGrace(of temporary: TemporaryFile, target: ResolvedTarget, givenPath: String, baseline: FileIdentity,
                  bytes: [UInt8], held: Descriptor) throws(StoreError) -> Bool {
        guard let now = try? Sys.fstat(held), now.identity.size == baseline.size,
              now.identity.modificationTimeNanoseconds == baseline.modificationTimeNanoseconds,
              (try? Sys.preadAll(held))?.hasSameBytes(as: bytes) == true else {
            try undoExchange(temporary, target: target, givenPath: givenPath,
                             displaced: (try? Sys.lstat(temporary.path))?.identity, keepOurs: false)
            return false
        }
        try? Sys.unlink(temporary.path)
        return true
    }

    /// Writes `bytes` beside `target`, commits them and fsyncs the directory: the single-file path. The
    /// caller holds the lock. A displaced version kept (`keepDisplaced`) is removed again if the
    /// directory fsync fails.
    func commitFile(_ bytes: [UInt8], to target: ResolvedTarget, givenPath: String,
                    expecting expectation: CommitExpectation, keepDisplaced: Bool = false)
        throws(StoreError) -> (outcome: CommitOutcome, displacedPath: String?) {
        let directory = try openDirectory(target, givenPath: givenPath)
        defer { Sys.closeIgnoringErrors(directory) }
        let temporary = try writeTemporary(bytes, beside: target, givenPath: givenPath)
        let outcome = try commit(temporary, to: target, givenPath: givenPath, expecting: expectation,
                                 keepDisplaced: keepDisplaced)
        guard case .committed(_, let displaced) = outcome else {
            // The names were exchanged and put back; the other program's version is in place either way.
            try? Sys.fsync(directory)
            return (outcome, nil)
        }
        do {
            try syncDirectory(directory, givenPath: givenPath)
        } catch {
            if displaced != nil { try? Sys.unlink(temporary.path) }
            throw error
        }
        return (outcome, displaced == nil ? nil : temporary.path)
    }
}
