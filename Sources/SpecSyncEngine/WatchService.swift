#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import Synchronization
import SpecSyncCore
import SpecSyncStore
import SpecSyncSys
import SpecSyncWatch

/// `specsync watch`: the watcher's settled changes fed through the engine's reconcile step, with the
/// lost-edit guard (compare-and-exchange, then a grace period on the displaced inode).
///
/// Threading: everything below runs on the thread that calls `run` (the watcher's consumer thread),
/// so the per-file state needs no locks. `stop()` may be called from any thread.
public final class WatchService: @unchecked Sendable {  // unchecked: per-file state is owned by the consumer thread; `stopping` is atomic
    public struct Options: Sendable {
        /// How long the inode we displaced stays linked so that a writer still holding it open is noticed.
        public var displacedGrace: Duration
        /// The waits before trying again a rewrite that failed for a condition that can clear (a full
        /// disk, permissions, a lock held too long); the last one repeats until it works or a new save
        /// comes.
        public var retryDelays: [Duration]
        public init(displacedGrace: Duration = .milliseconds(500),
                    retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(5), .seconds(15), .seconds(60)]) {
            self.displacedGrace = displacedGrace
            self.retryDelays = retryDelays.isEmpty ? [.seconds(60)] : retryDelays
        }
    }

    private let engine: Engine
    private let watcher: Watcher
    private let logger: Logger
    private let events: EventLog?
    private let options: Options
    /// Files last seen invalid, so that a fix can be announced.
    // Paths are kept by their bytes (PathKey): as Strings, "é" and "e\u{301}" — two files — are one.
    private var invalid = Set<PathKey>()
    /// Files whose rewrite failed for a condition that can clear: attempts so far, and the token of the
    /// one retry scheduled (a newer failure replaces it).
    private var retrying: [PathKey: (attempts: Int, token: UInt64)] = [:]
    private var retryTokens: UInt64 = 0
    /// Old inodes kept after our rewrites (and our own version after an undone swap), oldest first; a
    /// path can have several, each kept for its own grace period: a writer that opened one may write
    /// into it after newer saves of the path were processed. Each holds two descriptors, so at most
    /// `maxDisplaced` are kept: a burst of thousands of saves must not run the process out of
    /// descriptors (the oldest is settled early instead).
    private var displaced: [KeptVersion] = []
    private let maxDisplaced = 64
    private var exitCode: Int32 = 0
    /// One watcher per tree; released when the service is gone.
    private let instance: InstanceLock
    /// Directories holding the files the start-up scan found, swept for stale temporaries when ready.
    private var specDirectories: Set<String> = []
    /// Files found by the start-up scan, handled once the watcher is ready.
    private var backlog: [String] = []
    /// Saves settled in the current round of deliveries, committed together when the round is done.
    private var settled: [(path: String, lastEvent: ContinuousClock.Instant)] = []
    /// From this many files settled in one round on, they are committed through the batched path (one
    /// durability barrier per chunk); fewer take the single-file path, whose latency is lower.
    static let batchThreshold = 16
    /// The watcher has returned; only the final clean-up runs.
    private var shuttingDown = false
    /// One processor per core for batches (start-up, bursts), each with its own copy of the schema
    /// (`Engine.workerProcessors`), made once for the life of the service.
    private let batchProcessors: [SpecProcessor]
    /// Set by `stop()` from any thread; long start-up work checks it between chunks.
    private let stopping = Atomic<Bool>(false)

    public init(engine: Engine, root: String? = nil, logger: Logger, events: EventLog?,
                options: Options = Options()) throws(EngineError) {
        self.engine = engine
        batchProcessors = engine.workerProcessors(for: .max)
        self.logger = logger
        self.events = events
        self.options = options
        let filter = engine.filter
        let watchRoot = root ?? engine.configuration.specsDirectory
        let git = GitOperations(directory: watchRoot)
        gitMarkers = git.markers
        do {
            instance = try InstanceLock.acquire(for: watchRoot)
        } catch {
            throw .instance(error)
        }
        do {
            watcher = try Watcher(root: watchRoot, configuration: WatchConfiguration(
                settleWindow: engine.configuration.settle,
                filter: WatchFilter(includeFile: { filter.isSpec(relativePath: $0) }),
                gitMarkers: git.markers))
        } catch {
            throw .watcher(error)
        }
    }

    /// The resolved directory being watched.
    public var root: String { watcher.root }

    /// How the folder was chosen, when it is the configured specs folder (not a directory given by hand).
    private var folderOrigin: String {
        let configured = engine.configuration.specsDirectory
        guard configured == watcher.root || (try? Sys.realpath(configured)) == watcher.root else { return "" }
        return "; specs folder: \(engine.configuration.specsDirectoryOrigin)"
    }

    /// Runs until `stop()` or until the root goes away; returns the process exit code.
    public func run() -> Int32 {
        do {
            try watcher.run({ [self] event in handle(event) }, roundDone: { [self] in commitSettled() })
        } catch {
            logger.error("\(error)")
            exitCode = 2
        }
        commitSettled()
        // Shutdown: anything a late writer put into an inode we displaced is restored first; rewrites
        // from here on keep no displaced file (no timer would remove it).
        shuttingDown = true
        for path in Set(displaced.map { PathKey($0.path) }).map(\.path).sorted() { settleDisplaced(path, ending: { _ in true }) }
        return exitCode
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        watcher.stop()
    }

    // MARK: Events

    private func handle(_ event: WatchEvent) {
        if case .changed(let path, _, let lastEvent) = event {
            settled.append((path, lastEvent))
            return
        }
        // Everything else is handled in order after the saves that settled before it.
        commitSettled()
        switch event {
        case .existing(let path):
            if engine.configuration.startup != .off { backlog.append(path) }
            specDirectories.insert(PathNames.parent(path))
        case .ready(let directories, let files):
            // Temporaries of a writer killed mid-write (whole old versions, visible to git) go now, not
            // at the next write in their directory.
            for directory in specDirectories.union([watcher.root]) { engine.store.removeStaleTemporaries(in: directory) }
            specDirectories = []
            logger.info("ready: watching \(watcher.root) (\(directories) director\(directories == 1 ? "y" : "ies"), \(files) spec file\(files == 1 ? "" : "s"))\(folderOrigin)")
            if gitMarkers.isEmpty {
                logger.debug("not in a git work tree: git operations are not watched")
            } else {
                logger.debug("git: watching for operations in \(Set(gitMarkers.map(\.directory)).sorted().joined(separator: ", "))")
            }
            refreshUnmerged()
            processBacklog()
        case .changed:
            break  // collected above
        case .removed(let path):
            invalid.remove(PathKey(path))
            for version in displaced where version.path.hasSameBytes(as: path) { version.file.discard() }
            displaced.removeAll { $0.path.hasSameBytes(as: path) }
            emit(FileResult(path: path, action: .deleted, diagnostics: [], wasCanonical: false), since: nil)
        case .rescanned(let reason):
            logger.warning("rescanning the whole tree: \(reason)")
        case .warning(let warning):
            logger.warning("\(warning)")
        case .rootGone(let reason):
            logger.notice("stopping: \(reason)")
            exitCode = 0
        case .gitOperation(let inProgress, let reason):
            gitOperationChanged(inProgress: inProgress, reason: reason)
        case .gitIndexChanged:
            // Specs whose conflict was just resolved (`git add`) are processed now.
            let resolved = refreshUnmerged()
            guard !resolved.isEmpty else { break }
            let now = ContinuousClock.now
            settled.append(contentsOf: resolved.map { (path: $0, lastEvent: now) })
            commitSettled()
        }
    }

    /// The start-up policy over the files that were there before, through the batched path. Files the
    /// last start found valid and that have not changed since (`VerdictCache`) are not read again: they
    /// are reported as they were found (under `fix`, only canonical ones: the others are to be written).
    private func processBacklog() {
        let all = backlog
        backlog = []
        guard !all.isEmpty else { return }
        let started = ContinuousClock.now
        // Every file is read after this: one changed shortly before it may change again, in the same
        // timestamp tick as our read, without moving any of its stamps — it is not recorded.
        let settledBefore = Sys.wallClockNanoseconds() - VerdictCache.settledNanoseconds
        let context = engine.verdictContext
        let cacheFile = context.flatMap { _ in VerdictCache.location(forRoot: watcher.root) }
        var cache = VerdictCache()
        if let context, let cacheFile, case .success(let bytes) = SettingsFile.read(cacheFile, limit: VerdictCache.maxBytes) {
            cache = VerdictCache(entries: VerdictCache.decode(bytes, context: context, wanted: Set(all)))
        }
        var paths = all
        let mayWrite = engine.configuration.startup == .fix
        var stillValid: [(path: String, verdict: VerdictCache.Verdict)] = []
        // Verdicts are used and kept only on file systems where an identity tells an untouched file.
        var trusted = Set<UInt64>()
        if cacheFile != nil {
            let devices = Set(cache.entries.values.map(\.identity.device)).union((try? Sys.stat(watcher.root)).map { [$0.identity.device] } ?? [])
            trusted = VerdictCache.trustedDevices(among: devices, mountinfo: SmallFiles.contents("/proc/self/mountinfo") ?? [])
        }
        if !cache.entries.isEmpty && !trusted.isEmpty {
            let identities = all.concurrentMap { (try? Sys.stat($0))?.identity }
            paths = []
            for (path, identity) in zip(all, identities) {
                if let identity, trusted.contains(identity.device), let verdict = cache.verdict(path, now: identity),
                   verdict.canonical || !mayWrite {
                    stillValid.append((path, verdict))
                    report(FileResult(path: path, action: verdict.canonical ? .unchanged : .notCanonical, diagnostics: [],
                                      wasCanonical: verdict.canonical), since: nil)
                } else {
                    paths.append(path)
                }
            }
        }
        let counts = commitBatch(paths.map { ($0, nil) }, mayWrite: mayWrite,
                                 keepDisplaced: false, recordVerdicts: cacheFile != nil)
        let elapsed = ContinuousClock.now - started
        let policy = engine.configuration.startup.rawValue
        let fromCache = stillValid.isEmpty ? "" : " (\(stillValid.count) unchanged since the last start, not read again)"
        if counts.done == paths.count {
            logger.info("start-up \(policy): \(all.count) files in \(Self.readable(elapsed))\(fromCache), \(counts.normalized) normalized, \(counts.invalid) invalid")
        } else {
            logger.info("start-up \(policy): stopped after \(stillValid.count + counts.done) of \(all.count) files (\(Self.readable(elapsed)))\(fromCache), \(counts.normalized) normalized, \(counts.invalid) invalid")
        }
        guard let context, let cacheFile else { return }
        let recorded = (stillValid + counts.verdicts).filter {
            $0.verdict.identity.changeTimeNanoseconds < settledBefore && trusted.contains($0.verdict.identity.device)
        }
        do {
            try SmallFiles.createDirectories(PathNames.parent(cacheFile))
            try engine.store.replaceUnlocked(cacheFile, with: VerdictCache.encode(context: context, recorded))
            logger.debug("verdicts of \(recorded.count) files kept in \(cacheFile) for the next start")
        } catch {
            logger.debug("cannot keep verdicts in \(cacheFile): \(error)")
        }
    }

    /// The saves of one round: one by one (lowest latency) or, from `batchThreshold` on, batched.
    private func commitSettled() {
        guard !settled.isEmpty else { return }
        let saves = settled
        settled = []
        if saves.count < Self.batchThreshold {
            for save in saves { process(save.path, since: save.lastEvent, mayWrite: true) }
            return
        }
        logger.debug("\(saves.count) files settled together; committing them in batches")
        // A newer save is here for each; a previous version we displaced may hold an even newer late write.
        for save in saves { settleWrittenDisplaced(save.path) }
        _ = commitBatch(saves.map { ($0.path, $0.lastEvent) }, mayWrite: true, keepDisplaced: !shuttingDown)
    }

    /// Many files at once, with the single-file path's guarantees: read and validated on all cores, then
    /// the valid, non-canonical ones written through `updateMany` (one durability barrier per chunk),
    /// each only if it still holds exactly the bytes validated — a newer save is never overwritten and
    /// is processed on its own event. Own writes are noted for the watcher; invalid files are not
    /// touched. In steps of up to four store chunks, written by two `updateMany` calls in parallel (one
    /// per core, as `fmt` does), while the next step is read and validated: a stop finishes the step
    /// under way and leaves the rest to the next start.
    /// The last `maxDisplaced` rewrites keep their previous version for the grace period (the
    /// single-file path keeps no more than that either).
    /// With `recordVerdicts`, the files found valid and left as they are (canonical, or not canonical
    /// where nothing may be written) are returned with the identity they were read with (`VerdictCache`).
    private func commitBatch(_ files: [(path: String, since: ContinuousClock.Instant?)], mayWrite: Bool,
                             keepDisplaced: Bool, recordVerdicts: Bool = false)
        -> (done: Int, normalized: Int, invalid: Int, verdicts: [(path: String, verdict: VerdictCache.Verdict)]) {
        var done = 0, normalized = 0, invalid = 0
        var verdicts: [(path: String, verdict: VerdictCache.Verdict)] = []
        // A step is written by two updateMany calls at once, of two store chunks each. The calls share
        // the descriptor limit: when it bounds the chunks, each call gets half a chunk.
        let chunk = SpecStore.currentUpdateManyChunkSize
        let perCall = chunk >= SpecStore.updateManyChunkSize ? 2 * chunk : max(1, chunk / 2)
        let steps = stride(from: 0, to: files.count, by: 2 * perCall).map {
            Array(files[$0..<min(files.count, $0 + 2 * perCall)])
        }
        let (engine, processors) = (engine, batchProcessors)
        let boundary = TreeBoundary.Judge(tree: watcher.root)
        func prefetch(_ step: [(path: String, since: ContinuousClock.Instant?)]) -> Prefetch {
            Prefetch(step.map(\.path)) { paths in
                paths.concurrentMap(contexts: processors) { processor, path in
                    let evaluation = Self.evaluate(path, engine: engine, using: processor)
                    // Where a file to rewrite leads is only asked when it may be rewritten (`--startup
                    // check` of a messy tree resolved every file for nothing: 6 % of its CPU time).
                    guard mayWrite, case .read(_, let result) = evaluation, result.action == .notCanonical else { return (evaluation, String?.none) }
                    return (evaluation, boundary.outside(path))
                }
            }
        }
        // Reading and validating the next step (on all cores) overlaps writing this one (mostly waiting
        // for the disk).
        var next: Prefetch? = steps.first.map(prefetch)
        defer { _ = next?.wait() }  // after a stop: it only reads, but must not outlive the batch
        for (number, step) in steps.enumerated() {
            // Checked before every step but the first: the step under way when a stop comes is finished.
            if number > 0, stopping.load(ordering: .relaxed) { break }
            guard let evaluation = next?.wait() else { break }
            next = number + 1 < steps.count ? prefetch(steps[number + 1]) : nil
            let evaluated = evaluation.map(\.0)
            let isLastStep = number == steps.count - 1
            var writes: [Int] = []
            for (i, file) in step.enumerated() {
                switch evaluated[i] {
                case .gone:
                    continue
                case .failed(let result):
                    report(result, since: file.since)
                case .read(let snapshot, var result):
                    if needsWrite(file.path, &result, mayWrite: mayWrite, outside: .some(evaluation[i].outside)) {
                        if holdRewrite(of: file.path) { continue }  // processed when the git operation ends
                        writes.append(i)
                        continue
                    }
                    if isHalfSaved(file.path, snapshot, result) { continue }
                    if result.action == .invalid { invalid += 1 }
                    if recordVerdicts && snapshot.isStable && (result.action == .unchanged || result.action == .notCanonical) {
                        verdicts.append((file.path, .init(identity: snapshot.identity, canonical: result.action == .unchanged)))
                    }
                    report(result, since: file.since)
                }
            }
            var expected: [PathKey: (bytes: [UInt8], canonical: [UInt8])] = [:]  // by bytes, see PathKey
            for i in writes {
                if case .read(let snapshot, let result) = evaluated[i], let canonical = result.canonical {
                    expected[PathKey(step[i].path)] = (snapshot.bytes, canonical)
                }
            }
            // Only the last step's last rewrites: keeping more would only settle them early (see `keep`).
            let keepFrom = writes.count - (keepDisplaced && isLastStep ? maxDisplaced : 0)
            let paths = writes.map { step[$0].path }
            let halves = paths.count < 2 * Self.batchThreshold ? [0..<paths.count]
                : [0..<paths.count / 2, paths.count / 2..<paths.count]
            let outcomes = halves.concurrentMap { range in
                engine.store.updateMany(Array(paths[range]),
                                        keepingDisplaced: { range.lowerBound + $0 >= keepFrom }) { path, current in
                    // Only what was validated: anything else is a newer save, processed on its own event.
                    guard let entry = expected[PathKey(path)], current?.hasSameBytes(as: entry.bytes) == true else { return nil }
                    return entry.canonical
                }
            }.flatMap { $0 }
            for (position, i) in writes.enumerated() {
                guard case .read(_, var result) = evaluated[i] else { continue }
                let path = step[i].path
                switch outcomes[position].result {
                case .success(.replaced(let identity)):
                    watcher.noteOwnWrite(path: path, identity: identity)
                    result.action = .normalized
                    normalized += 1
                    if let old = outcomes[position].displaced { keep(old, for: path, replacedSave: true) }
                case .success(.unchanged), .failure(StoreError.changedDuringUpdate):
                    logger.debug("\(path) changed while being normalized; the newer content will be processed")
                    if let ours = outcomes[position].displaced { keep(ours, for: path, replacedSave: false) }
                    continue
                case .failure(let error):
                    result.action = .error
                    result.failure = retryLater(path, after: error)
                }
                report(result, since: step[i].since)
            }
            done += step.count
        }
        return (done, normalized, invalid, verdicts)
    }

    /// A batch step's reading and validating, running on other threads until `wait()`.
    private final class Prefetch: @unchecked Sendable {  // unchecked: `result` is written by one task and read after `group.wait()`
        private let group = DispatchGroup()
        private var result: [(Evaluation, outside: String?)] = []

        init(_ paths: [String], _ work: @escaping @Sendable ([String]) -> [(Evaluation, outside: String?)]) {
            DispatchQueue.global().async(group: group) { self.result = work(paths) }
        }

        /// The evaluations and, for a path that needs writing, where it resolves when outside the tree.
        func wait() -> [(Evaluation, outside: String?)] {
            group.wait()
            return result
        }
    }

    /// "4.9 ms", "1.23 s".
    static func readable(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return ms < 1000 ? fixedPoint(ms, digits: 1) + " ms" : fixedPoint(ms / 1000, digits: 2) + " s"
    }

    private func process(_ path: String, since: ContinuousClock.Instant?, mayWrite: Bool) {
        // A newer save is here; the previous version we displaced may hold an even newer late write.
        settleWrittenDisplaced(path)
        // A new save starts the retries of a failed rewrite over (and a retry pending is moot).
        if since != nil { retrying[PathKey(path)] = nil }
        switch evaluate(path) {
        case .gone:
            retrying[PathKey(path)] = nil
            return
        case .failed(let result):
            retrying[PathKey(path)] = nil  // unreadable now: the next save (its own event) is what can change that
            report(result, since: since)
        case .read(let snapshot, let result) where isHalfSaved(path, snapshot, result):
            return
        case .read(let snapshot, let result):
            if let final = commit(path, snapshot: snapshot, result: result, mayWrite: mayWrite, keepDisplaced: !shuttingDown) {
                report(final, since: since)
            }
        }
    }

    /// An invalid file that a writer still has open, or that changed since it was read, was read
    /// part-way through a save (a truncate or create came just before the read, its events just after):
    /// not reported, since the rest of the save has its own events and brings it back.
    private func isHalfSaved(_ path: String, _ snapshot: FileSnapshot, _ result: FileResult) -> Bool {
        guard result.action == .invalid, watcher.isBeingWritten(path, read: snapshot.identity) else { return false }
        logger.debug("\(path): invalid while another program has it open for writing or is changing it; checked again when the save is done")
        return true
    }

    private enum Evaluation {
        /// Deleted before we could read it; its removal is reported separately.
        case gone
        case failed(FileResult)
        case read(FileSnapshot, FileResult)
    }

    private func evaluate(_ path: String) -> Evaluation {
        Self.evaluate(path, engine: engine)
    }

    private static func evaluate(_ path: String, engine: Engine, using processor: SpecProcessor? = nil) -> Evaluation {
        do {
            let snapshot = try engine.store.read(path)
            return .read(snapshot, engine.evaluate(path: path, bytes: snapshot.bytes, using: processor ?? engine.processor))
        } catch {
            if case StoreError.fileNotFound = error { return .gone }
            return .failed(engine.readFailure(path: path, error))
        }
    }

    /// Rewrites a valid, non-canonical file — only if it still holds exactly what was validated.
    /// Nil when a newer save got there first (that save is processed on its own event).
    private func commit(_ path: String, snapshot: FileSnapshot, result evaluated: FileResult, mayWrite: Bool,
                        keepDisplaced: Bool) -> FileResult? {
        var result = evaluated
        guard needsWrite(path, &result, mayWrite: mayWrite), let canonical = result.canonical else { return result }
        if holdRewrite(of: path) { return nil }
        do {
            switch try engine.store.replaceIfUnchanged(path, expected: snapshot, with: canonical, keepDisplaced: keepDisplaced) {
            case .replaced(let identity, let old):
                watcher.noteOwnWrite(path: path, identity: identity)
                result.action = .normalized
                if let old { keep(old, for: path, replacedSave: true) }
            case .conflict(_, let ours):
                // Someone saved while we worked: their save has its own event; we never overwrite it.
                logger.debug("\(path) changed while being normalized; the newer content will be processed")
                if let ours { keep(ours, for: path, replacedSave: false) }
                return nil
            }
        } catch {
            result.action = .error
            result.failure = retryLater(path, after: error)
        }
        return result
    }

    /// After a failed rewrite: when the cause can clear by itself or by the user's hand (ENOSPC, EDQUOT,
    /// EACCES, EPERM, EROFS, a lock held past the timeout), the file is processed again after a growing
    /// wait — unless a new save comes first, which is processed anyway. The message says so.
    private func retryLater(_ path: String, after error: Error) -> FileError {
        let failure = FileError(error)
        guard !shuttingDown, let error = error as? StoreError, Self.mayClear(error) else { return failure }
        let attempts = (retrying[PathKey(path)]?.attempts ?? 0) + 1
        // A cause that has not cleared in about ten minutes is likely permanent (a read-only checkout):
        // stop, and say so; the next save of the file tries again.
        guard attempts <= Self.maximumRetries else {
            retrying[PathKey(path)] = nil
            return failure.appending(" (tried \(Self.maximumRetries) more times over several minutes; specsync tries again at the next save)")
        }
        retryTokens += 1
        let token = retryTokens
        retrying[PathKey(path)] = (attempts, token)
        let delay = options.retryDelays[min(attempts, options.retryDelays.count) - 1]
        watcher.schedule(after: delay) { [self] in
            guard !shuttingDown, retrying[PathKey(path)]?.token == token else { return }
            logger.info("\(path): trying the rewrite again (attempt \(attempts + 1))")
            process(path, since: nil, mayWrite: true)
        }
        return failure.appending(" (specsync tries again in \(Self.readable(delay)))")
    }

    static let maximumRetries = 12

    private static func mayClear(_ error: StoreError) -> Bool {
        if case .lockTimeout = error { return true }
        return error.errno?.condition.mayClear ?? false
    }

    /// Valid, not canonical, writable, and inside the tree: a symlink out of it is checked, never written
    /// (`result.notWritten` says why). `outside` is `TreeBoundary.outside` when already known.
    private func needsWrite(_ path: String, _ result: inout FileResult, mayWrite: Bool,
                            outside known: String?? = .none) -> Bool {
        guard result.action == .notCanonical, mayWrite, result.canonical != nil else { return false }
        guard !unmerged.contains(PathKey(path)) else {
            logger.warning("\(path) has unmerged index entries (a git conflict); left alone until it is resolved (`git add`)")
            return false
        }
        if let resolved = known ?? TreeBoundary.outside(path, tree: watcher.root) {
            result.notWritten = TreeBoundary.refusal(path, resolved: resolved, tree: watcher.root, flagHint: false)
            logger.warning("\(result.notWritten ?? "")")
            return false
        }
        return true
    }

    /// A previous version kept for its grace period: a save our rewrite displaced, or our own version
    /// after an undone swap. A writer that still has it open may write into it; that write is found
    /// when the path's next save is processed or when the grace ends, whichever comes first, and it is
    /// watched on until the grace ends (a writer part-way through a save goes on writing).
    private final class KeptVersion {
        let path: String
        let file: DisplacedFile
        /// A save our rewrite displaced: its baseline mtime is when that save was made (our own version
        /// kept after an undone swap carries our write's time instead).
        let replacedSave: Bool
        /// The late write last looked at (put back, or found older than the save at the path): only a
        /// write after it counts again.
        var lastSeen: (identity: FileIdentity, bytes: [UInt8])?

        init(path: String, file: DisplacedFile, replacedSave: Bool) {
            self.path = path
            self.file = file
            self.replacedSave = replacedSave
        }

        /// Written into since it was kept, or since the write last looked at.
        func hasNewWrite() throws(StoreError) -> Bool {
            guard try file.hasBeenModified() else { return false }
            guard let seen = lastSeen else { return true }
            return try file.differs(from: seen.identity, bytes: seen.bytes)
        }
    }

    private func keep(_ old: DisplacedFile, for path: String, replacedSave: Bool) {
        while displaced.count >= maxDisplaced, let oldest = displaced.first {
            settleDisplaced(oldest.path, ending: { $0 === oldest })
        }
        let kept = KeptVersion(path: path, file: old, replacedSave: replacedSave)
        displaced.append(kept)
        watcher.schedule(after: options.displacedGrace) { [self] in
            // Gone already when its path was removed or it was settled early to bound descriptors.
            guard displaced.contains(where: { $0.file === old }) else { return }
            settleDisplaced(path, ending: { $0.file === old })
        }
    }

    /// A newer save of `path` is here: a version we displaced may hold an even newer late write. The
    /// versions keep their grace (a writer that opened one may still write into it, or go on writing).
    private func settleWrittenDisplaced(_ path: String) {
        guard displaced.contains(where: { $0.path.hasSameBytes(as: path) }) else { return }
        settleDisplaced(path, ending: { _ in false })
    }

    /// Looks at the versions kept for `path` and ends the grace of those `isDue` says. A late write is
    /// the newest edit unless a newer save is at the path: the newest of the new writes (by mtime:
    /// several writers may each hold a different old version) is put back in place and processed like
    /// any external save; the others lose to it, as to any newer save. When only a grace ends, the
    /// versions are looked at only if the one ending has a new write: another's write is looked at
    /// when its own grace ends (its writer may be part-way through a save).
    private func settleDisplaced(_ path: String, ending isDue: (KeptVersion) -> Bool) {
        let kept = displaced.filter { $0.path.hasSameBytes(as: path) }
        let due = kept.filter(isDue)
        displaced.removeAll { version in due.contains { $0 === version } }
        // Closed before the restore below processes the path (and may keep more versions).
        var discarded = false
        func discardDue() {
            guard !discarded else { return }
            discarded = true
            for version in due { version.file.discard() }
        }
        defer { discardDue() }
        var written: [(version: KeptVersion, identity: FileIdentity)] = []
        for version in kept {
            do {
                if try version.hasNewWrite() { written.append((version, try version.file.currentIdentity())) }
            } catch {
                logger.error("\(path): cannot check the displaced previous version: \(error)")
            }
        }
        // A grace ending with nothing new in that version: the others wait for their own.
        let onlyGraceEnding = kept.count > due.count && due.count == 1
        if onlyGraceEnding && !written.contains(where: { $0.version === due[0] }) { return }
        // Of equal stamps the one kept last: displaced later, so written into later or in the same tick.
        guard var newest = written.first else { return }
        for candidate in written.dropFirst()
        where candidate.identity.modificationTimeNanoseconds >= newest.identity.modificationTimeNanoseconds { newest = candidate }
        if written.count > 1 {
            logger.notice("\(path): writes reached \(written.count) previous versions after they were replaced; only the newest can be kept")
        }
        do {
            // Bounded like every read: a late write beyond the limit could not be processed anyway.
            let limit = engine.configuration.limits.maxBytes
            let late = try newest.version.file.bytes(limit: limit + 1)
            for (version, identity) in written {
                version.lastSeen = (identity, version === newest.version ? late : (try version.file.bytes(limit: limit + 1)))
            }
            guard late.count <= limit else {
                logger.warning("\(FileName.displayed(path)): a write reached the previous version after it was replaced, but it is over limits.max_file_bytes (\(limit) bytes); not restored")
                return
            }
            let current = try engine.store.read(path)
            // Latest edit wins. While the path holds exactly what replaced the old version, the late write
            // came after it (it was found after that exchange). Otherwise timestamps decide: the save at
            // the path was made at its mtime, or — when the path holds our rewrite of a save — when that
            // save was. They are coarse (one kernel tick): when the late write and the save fall in the
            // same tick their order is unknown, and the save people see at the path is kept.
            let rewritten = kept.first { $0.replacedSave && $0.file.isSuccessor(current.identity) }
            let saveTime = rewritten?.file.baseline.modificationTimeNanoseconds ?? current.identity.modificationTimeNanoseconds
            guard newest.version.file.isSuccessor(current.identity) || newest.identity.modificationTimeNanoseconds > saveTime else {
                logger.notice("\(path): a write reached the previous version after it was replaced, but a newer save is in place; keeping the newer save")
                return
            }
            logger.notice("\(path): a write reached the previous version after it was replaced; restoring it")
            discardDue()
            // What the restore displaces gets its grace too: a writer may hold it open as well.
            switch try engine.store.replaceIfUnchanged(path, expected: current, with: late, keepDisplaced: !shuttingDown) {
            case .replaced(_, let old):
                if let old { keep(old, for: path, replacedSave: false) }
                process(path, since: nil, mayWrite: true)
            case .conflict(_, let ours):
                // A newer save arrived meanwhile; it wins and has its own event.
                if let ours { keep(ours, for: path, replacedSave: false) }
            }
        } catch {
            logger.error("\(path): cannot check the displaced previous version: \(error)")
        }
    }

    // MARK: Git operations — held while git works (issue 14)
    //
    // While git is mid-operation in this repository (a rebase, merge, cherry-pick, am, bisect, or just a
    // command holding index.lock) saves are still read and validated, but a rewrite is recorded here
    // instead (`commit` asks `holdRewrite`); when the operation ends those specs are processed once, in
    // one pass. Specs with unmerged index entries are never rewritten (`commit` checks `unmerged`); the
    // set is refreshed at start-up and whenever an operation ends (every index change ends that way:
    // it is written through index.lock).

    /// The markers watched (empty outside a git work tree).
    private let gitMarkers: [GitMarker]
    /// Why rewriting is held, while it is.
    private var gitHold: String?
    /// Specs that settled while held.
    private var held = Set<PathKey>()
    /// Specs with unmerged index entries at the last look.
    private var unmerged = Set<PathKey>()

    /// Hook before a rewrite: true when `path` was recorded for the pass after the operation. The
    /// watcher's own flag is ahead of the events still queued (the start-up pass may run long).
    private func holdRewrite(of path: String) -> Bool {
        guard gitHold != nil || watcher.gitOperationInProgress else { return false }
        held.insert(PathKey(path))
        logger.debug("\(path): changed during a git operation; processed when it ends")
        return true
    }

    private func gitOperationChanged(inProgress: Bool, reason: String) {
        // A command that only holds index.lock (`git status`, `git add`) comes and goes all the time.
        let level: Logger.Level = reason.hasPrefix(GitOperations.indexUpdate) ? .debug : .notice
        if inProgress {
            let previous = gitHold
            gitHold = reason
            // Said again when it becomes more telling (an index.lock first, then the rebase behind it).
            guard previous == nil || (previous?.hasPrefix(GitOperations.indexUpdate) == true && level == .notice) else {
                return logger.debug("git: \(reason); still holding rewrites")
            }
            logger.log(level: level, "git: \(reason); holding rewrites until it ends (saves are still collected)")
            emitGitLine(action: "paused", reason: reason)
            return
        }
        gitHold = nil
        let resolved = refreshUnmerged()
        let paths = held.union(resolved.map(PathKey.init)).map(\.path).sorted()
        held = []
        logger.log(level: paths.isEmpty ? level : .notice,
                   "git: \(reason); processing the \(paths.count) spec\(paths.count == 1 ? "" : "s") changed meanwhile")
        emitGitLine(action: "resumed", reason: reason, extra: [("held", String(paths.count))])
        // One pass, through the batched path when many changed (a rebase, a checkout).
        let now = ContinuousClock.now
        settled.append(contentsOf: paths.map { (path: $0, lastEvent: now) })
        commitSettled()
    }

    /// Looks at the index's unmerged entries again; returns the paths that are no longer unmerged.
    @discardableResult
    private func refreshUnmerged() -> [String] {
        guard !gitMarkers.isEmpty else { return [] }
        let previous = unmerged
        do {
            unmerged = try GitOperations.unmergedPaths(in: watcher.root).filter { (try? Sys.lstat($0.path)) != nil }
        } catch {
            logger.error("cannot list unmerged index entries: \(error)")
        }
        for path in unmerged.subtracting(previous).map(\.path).sorted() {
            logger.warning("\(path): unmerged index entries (a git conflict); never rewritten until it is resolved (`git add`)")
        }
        return previous.subtracting(unmerged).map(\.path).sorted()
    }

    private func emitGitLine(action: String, reason: String, extra: [(String, String)] = []) {
        guard let events else { return }
        // `path` is the watched tree: a pause concerns every spec in it.
        let fields = [("time", JSONLine.quote(EventLog.timestamp())), ("path", JSONLine.quote(watcher.root)),
                      ("action", JSONLine.quote(action)), ("reason", JSONLine.quote(reason))] + extra
        events.write("{" + fields.map { "\(JSONLine.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}")
    }

    // MARK: Output

    private func report(_ result: FileResult, since: ContinuousClock.Instant?) {
        if result.action != .error { retrying[PathKey(result.path)] = nil }  // any pending retry finds nothing to do
        let display = FileName.displayed(result.path)
        switch result.action {
        case .invalid:
            invalid.insert(PathKey(result.path))
            logger.warning("\(display): invalid, not rewritten (\(result.diagnostics.count) problem\(result.diagnostics.count == 1 ? "" : "s"))")
            for d in result.diagnostics { logger.warning("\(d.rendered(path: display))") }
        case .normalized:
            logger.info("\(display): normalized\(invalid.remove(PathKey(result.path)) != nil ? " (now valid)" : "")")
        case .unchanged, .notCanonical:
            if invalid.remove(PathKey(result.path)) != nil { logger.info("\(display): valid again") }
        case .error:
            logger.error("\(display): \(result.error ?? "error")")
        case .deleted:
            break
        }
        emit(result, since: since)
    }

    private func emit(_ result: FileResult, since: ContinuousClock.Instant?) {
        guard let events else { return }
        var extra: [(String, String)] = [("time", JSONLine.quote(EventLog.timestamp()))]
        if let since {
            let elapsed = ContinuousClock.now - since
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            extra.append(("latency_ms", fixedPoint(ms, digits: 3)))
        }
        events.write(JSONLine.object(result, path: result.path, extra: extra))
    }
}

/// Where `--events` lines go: a file (appended) or stdout.
public final class EventLog: Sendable {
    private let descriptor: Mutex<Descriptor>

    public init(path: String) throws(EngineError) {
        if path == "-" {
            descriptor = Mutex(Descriptor(rawValue: STDOUT_FILENO, path: "<stdout>"))
            return
        }
        // Created when missing (as FileManager.createFile did, 0666 minus umask); lines go at the end.
        do {
            descriptor = Mutex(try Sys.open(path, .writeOnly, [.create, .append], permissions: 0o666))
        } catch {
            throw .file(action: "open the events file for writing", path: path, cause: FileError(error))
        }
    }

    deinit {
        descriptor.withLock { if $0.rawValue != STDOUT_FILENO { Sys.closeIgnoringErrors($0) } }
    }

    /// A line that cannot be written is dropped: the watcher's work does not depend on its log.
    public func write(_ line: String) {
        descriptor.withLock { try? Sys.writeAll($0, Array((line + "\n").utf8)) }
    }

    /// RFC 3339 in UTC with milliseconds, "2026-01-02T03:04:05.678Z" (ISO8601DateFormatter's
    /// `.withInternetDateTime, .withFractionalSeconds`).
    static func timestamp() -> String {
        timestamp(nanosecondsSinceEpoch: Sys.wallClockNanoseconds())
    }

    static func timestamp(nanosecondsSinceEpoch nanoseconds: Int64) -> String {
        var seconds = time_t(nanoseconds.floorDivided(by: 1_000_000_000))
        let milliseconds = Int(nanoseconds - Int64(seconds) * 1_000_000_000) / 1_000_000
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2)
            + "." + digits(Int32(milliseconds), 3) + "Z"
    }
}

private extension Int64 {
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
