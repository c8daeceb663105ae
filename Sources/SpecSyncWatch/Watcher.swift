#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys
import SystemPackage

public struct WatchConfiguration: Sendable {
    /// How long a file must be quiet after its last event before it is reported.
    public var settleWindow: Duration
    /// Which files and directories count (editor by-products and `.git` are excluded regardless).
    public var filter: WatchFilter
    /// How long a `noteOwnWrite` stays applicable after it was noted.
    public var ownWriteLifetime: Duration
    /// Entries whose presence means git is mid-operation, most telling first; their directories are
    /// watched (not recursively) on the same event source, and changes come as `.gitOperation`.
    public var gitMarkers: [GitMarker]
    /// Renew a `RenewableEventSource` once it keeps this many records of vanished watches (about
    /// 100 bytes each with libinotifytools). Each renewal costs a rescan that reports every file again.
    public var renewalThreshold: Int

    public init(settleWindow: Duration = .milliseconds(50), filter: WatchFilter = WatchFilter(),
                ownWriteLifetime: Duration = .seconds(10), gitMarkers: [GitMarker] = [],
                renewalThreshold: Int = 10_000) {
        self.settleWindow = settleWindow
        self.filter = filter
        self.ownWriteLifetime = ownWriteLifetime
        self.gitMarkers = gitMarkers
        self.renewalThreshold = renewalThreshold
    }
}

/// Watches a directory tree recursively and reports settled file changes.
///
/// Two threads: a reader thread owns the event source (libinotifytools must be called from one
/// thread) and only drains kernel events into an inbox, adding watches for new directories and
/// listing them. The thread that calls `run` is the consumer: it settles bursts per file, recognizes
/// our own writes, runs scheduled actions and calls the handler. Both block when idle — the reader
/// in the kernel, the consumer on a condition variable until the earliest deadline — so an idle
/// watcher never wakes up.
public final class Watcher: @unchecked Sendable {  // unchecked: shared state lives in `state` (a ConditionLock); the rest is immutable or owned by one thread
    /// The watched directory, resolved (symlinks, "." and ".."); every reported path starts with it.
    public let root: String
    public let configuration: WatchConfiguration

    private let source: EventSource
    private let clock: WatchClock
    private let observer: WatcherObserver?
    private let state = ConditionLock()

    // Guarded by `state`.
    private var inbox: [InboxItem] = []
    private var stopRequested = false
    private var started = false
    private var ownWrites: [PathKey: OwnWrite] = [:]  // by bytes (PathKey)
    private var ownWritesPurgeAt = 64
    private var timers = MinHeap<ScheduledAction>()
    private var timerSequence: UInt64 = 0
    private var gitBusy = false

    private struct OwnWrite {
        var identity: FileIdentity
        var notedAt: ContinuousClock.Instant
    }

    private struct ScheduledAction: Comparable {
        var deadline: ContinuousClock.Instant
        var sequence: UInt64
        var action: @Sendable () -> Void
        static func == (lhs: Self, rhs: Self) -> Bool { lhs.sequence == rhs.sequence }
        static func < (lhs: Self, rhs: Self) -> Bool {
            lhs.deadline != rhs.deadline ? lhs.deadline < rhs.deadline : lhs.sequence < rhs.sequence
        }
    }

    /// - Parameters:
    ///   - root: the directory to watch; resolved with realpath.
    ///   - source: where events come from; by default a new `InotifyToolsEventSource`.
    ///   - clock: injected for tests; the real clock by default.
    ///   - observer: told what the two threads do (tests, benchmarks); none by default.
    public init(root: String, configuration: WatchConfiguration = WatchConfiguration(),
                source: EventSource? = nil, clock: WatchClock = SystemWatchClock(),
                observer: WatcherObserver? = nil) throws(WatcherError) {
        let resolved: String
        switch FileSystem.resolvedPath(root) {
        case .success(let path): resolved = path
        case .failure(let errno): throw .rootUnavailable(path: root, errno)
        }
        switch FileSystem.status(ofEntry: resolved) {
        case .success(let status) where status.identity.isDirectory: break
        case .success: throw .rootNotADirectory(path: resolved)
        case .failure(let errno): throw .rootUnavailable(path: resolved, errno)
        }
        self.root = resolved
        self.configuration = configuration
        self.clock = clock
        self.observer = observer
        if let source {
            self.source = source
        } else {
            do {
                self.source = try InotifyToolsEventSource()
            } catch {
                throw .eventSource(error)
            }
        }
    }

    deinit {
        let ran = state.withLock { started }
        if !ran { source.close() }
    }

    // MARK: Public API

    /// Scans the tree (reporting `.existing` files, then `.ready`), then reports settled changes until
    /// `stop()` is called or the root goes away (`.rootGone` is the last event). Blocks the calling
    /// thread, which is also the thread every handler call and scheduled action runs on. Can be
    /// called once per watcher.
    ///
    /// `roundDone` runs after each round of deliveries (every file that settled by then has been handed
    /// to `handler`), before scheduled actions and before the consumer waits again: a handler that
    /// collects `.changed` events can commit them together there. A single save is its own round.
    public func run(_ handler: (WatchEvent) -> Void, roundDone: () -> Void = {}) throws(WatcherError) {
        let firstRun = state.withLock { () -> Bool in
            defer { started = true }
            return !started
        }
        guard firstRun else { throw .alreadyRan }
        observer?.consumerStarted(threadID: currentKernelThreadID())
        guard let reader = JoinableThread(name: "specsync-reader", { [self] in readerMain() }) else {
            source.close()
            throw .cannotStartThread
        }
        defer {
            requestStop()
            reader.join()
        }
        if let failure = consume(handler, roundDone: roundDone) { throw failure }
    }

    /// Makes `run` return soon: events not yet settled are dropped. Callable from any thread,
    /// including a handler or a DispatchSource signal handler (not from a raw signal handler: it
    /// takes a lock).
    public func stop() { requestStop() }

    /// Declares that we just replaced `path` (renamed a new file into place) and the result has
    /// `identity` (lstat of the path after the rename). The burst of events this causes is dropped
    /// instead of reported, if when it settles the path still has exactly this identity and the burst
    /// holds nothing but one rename into place. Anything else — a write in place, a second rename, a
    /// different identity — is reported. `path` is spelled as the watcher reports it.
    public func noteOwnWrite(path: String, identity: FileIdentity) {
        let now = clock.now
        let lifetime = configuration.ownWriteLifetime
        state.withLock {
            ownWrites[PathKey(path)] = OwnWrite(identity: identity, notedAt: now)
            // Notes whose events never came (a failed write, an excluded path) are purged here, when the
            // table has doubled since the last purge: a burst of thousands of writes stays linear.
            if ownWrites.count > ownWritesPurgeAt {
                ownWrites = ownWrites.filter { $0.value.notedAt + lifetime >= now }
                ownWritesPurgeAt = max(64, 2 * ownWrites.count)
            }
        }
    }

    /// Whether git is mid-operation as of the last kernel event the reader took: ahead of the
    /// `.gitOperation` events still waiting in the consumer's queue (a long handler, such as the
    /// start-up pass, can ask before each write).
    public var gitOperationInProgress: Bool { state.withLock { gitBusy } }

    /// True when the file read as `read` is no longer that version (another inode, size or mtime), or
    /// some process has it open for writing right now: what was read may be a save half done, and the
    /// events of the rest of it (a close, a write, a rename) are still to come and deliver it again.
    /// Symlinks are followed, as the read did.
    public func isBeingWritten(_ path: String, read: FileIdentity) -> Bool {
        guard case .success(let now) = FileSystem.status(ofFile: path), now.identity.sameInode(as: read),
              now.identity.size == read.size,
              now.identity.modificationTimeNanoseconds == read.modificationTimeNanoseconds else { return true }
        return FileSystem.isOpenForWriting(path) == true
    }

    /// Runs `action` on the consumer thread once `delay` has passed. The loop wakes for it when it is
    /// due, not before and not periodically.
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        let deadline = clock.now + delay
        state.withLock {
            timerSequence += 1
            timers.push(ScheduledAction(deadline: deadline, sequence: timerSequence, action: action))
            state.broadcast()
        }
    }

    // MARK: Reader thread

    private func requestStop() {
        state.withLock {
            stopRequested = true
            state.broadcast()
        }
        source.wake()
    }

    private func readerMain() {
        observer?.readerStarted(threadID: currentKernelThreadID())
        var outbox: [InboxItem] = []
        func gitChanged(_ events: [WatchEvent]) {
            for case .gitOperation(let inProgress, _) in events { state.withLock { gitBusy = inProgress } }
            outbox += events.map { .event($0) }
        }
        func flush() {
            guard !outbox.isEmpty else { return }
            state.withLock {
                inbox.append(contentsOf: outbox)
                observer?.readerHandedOver()
                state.broadcast()
            }
            outbox.removeAll(keepingCapacity: true)
        }
        let tracker = TreeTracker(root: root, source: source, filter: configuration.filter) { item in
            outbox.append(item)
            // Long scans hand over in chunks so the consumer can start.
            if outbox.count >= 4096 { flush() }
        }
        // Git's state first: an operation already under way holds back the start-up pass too.
        let git = configuration.gitMarkers.isEmpty ? nil : GitOperationTracker(markers: configuration.gitMarkers, source: source)
        gitChanged(git?.start() ?? [])
        var failure: WatcherError?
        switch tracker.startupScan(at: clock.now) {
        case .success(let counts):
            outbox.append(.event(.ready(directories: counts.directories, files: counts.files)))
        case .failure(let error):
            failure = error
        }
        flush()
        while failure == nil, !tracker.rootGone {
            if state.withLock({ stopRequested }) { break }
            observer?.readerWillWaitForEvents()
            let batch: [RawEvent]
            do {
                batch = try source.nextBatch()
            } catch {
                failure = .eventSource(error)
                break
            }
            observer?.readerTookBatch()
            let stopping = state.withLock { stopRequested }
            if stopping { break }
            if let git {
                // The git directory's events go to its tracker, in order with the tree's: an operation's
                // start is in the inbox before the first file it writes. An overflow concerns both.
                var treeEvents: [RawEvent] = []
                for event in batch {
                    let ownedByGit = git.owns(event.watch)
                    if ownedByGit || event.watch == nil {
                        tracker.handle(treeEvents, at: clock.now)
                        treeEvents.removeAll()
                        gitChanged(git.handle(event))
                    }
                    if !ownedByGit { treeEvents.append(event) }
                }
                tracker.handle(treeEvents, at: clock.now)
            } else {
                tracker.handle(batch, at: clock.now)
            }
            if let renewable = source as? RenewableEventSource, renewable.abandonedRecords >= configuration.renewalThreshold,
               !tracker.rootGone {
                let abandoned = renewable.abandonedRecords
                do {
                    try renewable.renew()
                } catch {
                    failure = .eventSource(error)
                    break
                }
                gitChanged(git?.start() ?? [])
                tracker.rescan(reason: "renewed the inotify instance to free \(abandoned) records of deleted "
                    + "directories that libinotifytools keeps", at: clock.now)
            }
            flush()
        }
        source.close()
        outbox.append(.readerStopped(failure))
        flush()
        observer?.readerFinished()
    }

    // MARK: Consumer

    /// The consumer loop; returns the reader's failure, if any.
    private func consume(_ handler: (WatchEvent) -> Void, roundDone: () -> Void) -> WatcherError? {
        var pending = PendingSet(settleWindow: configuration.settleWindow)
        var taken: [InboxItem] = []
        while true {
            state.lock()
            if stopRequested {
                state.unlock()
                finishOnStop(&pending, handler)
                roundDone()
                return nil
            }
            swap(&taken, &inbox)
            state.unlock()

            for item in taken {
                switch item {
                case let .file(change, path, instant):
                    pending.record(change, path: path, at: instant)
                case let .event(event):
                    handler(event)
                    if case .rootGone = event {
                        roundDone()
                        return nil
                    }
                    // The handler may have called stop(): do not deliver the rest of a long scan.
                    if state.withLock({ stopRequested }) {
                        finishOnStop(&pending, handler)
                        roundDone()
                        return nil
                    }
                case let .readerStopped(failure):
                    roundDone()
                    return failure
                }
            }
            taken.removeAll(keepingCapacity: true)

            // Settled files are delivered even if a stop arrives meanwhile: their content is final.
            for settled in pending.takeDue(at: clock.now) {
                deliver(settled, pending: &pending, handler)
            }
            roundDone()
            for action in takeDueActions() { action() }

            state.lock()
            if inbox.isEmpty && !stopRequested {
                let deadline = [pending.nextDeadline(), timers.first?.deadline].compactMap { $0 }.min()
                let now = clock.now
                observer?.consumerDecided(at: now)
                if let deadline, deadline <= now {
                    // Due already: loop again without waiting.
                } else {
                    observer?.consumerWillWait()
                    clock.wait(on: state, decidedAt: now, until: deadline)
                    observer?.consumerWokeUp()
                }
            }
            state.unlock()
        }
    }

    /// On stop, files whose content was final (closed after writing, renamed into place) before the stop
    /// are delivered at once instead of after their settle window: a save made just before SIGTERM is
    /// still processed, not left for the next start.
    private func finishOnStop(_ pending: inout PendingSet, _ handler: (WatchEvent) -> Void) {
        let leftovers: [InboxItem] = state.withLock {
            defer { inbox.removeAll() }
            return inbox
        }
        for case let .file(change, path, instant) in leftovers {
            pending.record(change, path: path, at: instant)
        }
        for settled in pending.takeDue(at: clock.now + .seconds(365 * 86_400)) {
            deliver(settled, pending: &pending, handler)
        }
    }

    private func takeDueActions() -> [@Sendable () -> Void] {
        let now = clock.now
        return state.withLock {
            var due: [@Sendable () -> Void] = []
            while let first = timers.first, first.deadline <= now {
                _ = timers.popFirst()
                due.append(first.action)
            }
            return due
        }
    }

    /// Decides what a settled burst means, looking at the path's entry (lstat) where events alone are
    /// ambiguous.
    private func deliver(_ settled: PendingSet.Settled, pending: inout PendingSet, _ handler: (WatchEvent) -> Void) {
        let path = settled.path
        switch settled.state {
        case .written:
            if isOwnWrite(settled) { return }
            handler(.changed(path: path, firstEvent: settled.firstEvent, lastEvent: settled.lastEvent))
        case .gone:
            // A rename-exchange reports the name as "moved from" although something is there again.
            switch FileSystem.status(ofEntry: path) {
            case .success(let status) where status.identity.isRegularFile || status.identity.isSymlink:
                if isOwnWrite(settled) { return }
                handler(.changed(path: path, firstEvent: settled.firstEvent, lastEvent: settled.lastEvent))
            default:
                handler(.removed(path: path))
            }
        case .writing:
            // Written in place and not closed yet: the IN_CLOSE_WRITE to come makes it final.
            switch FileSystem.status(ofEntry: path) {
            case .failure:
                handler(.removed(path: path))
            case .success(let status) where status.identity.isRegularFile:
                deliverUnlessStillOpen(settled, pending: &pending, handler)
            case .success:
                return
            }
        case .creating:
            // Created but never closed after writing: final only for entries nobody writes through
            // this name — a symlink, or a hard link to an existing file.
            switch FileSystem.status(ofEntry: path) {
            case .failure:
                handler(.removed(path: path))
            case .success(let status) where status.identity.isSymlink:
                // A symlink to a directory is never followed, and not a file either.
                if DirectoryListing.isDirectory(path) { return }
                handler(.changed(path: path, firstEvent: settled.firstEvent, lastEvent: settled.lastEvent))
            case .success(let status) where status.identity.isRegularFile && status.linkCount > 1:
                handler(.changed(path: path, firstEvent: settled.firstEvent, lastEvent: settled.lastEvent))
            case .success(let status) where status.identity.isRegularFile:
                deliverUnlessStillOpen(settled, pending: &pending, handler)
            case .success:
                return  // a FIFO, socket or device node: not a file to report
            }
        }
    }

    /// A file with no IN_CLOSE_WRITE yet: parked while its writer still has it open, waiting for that
    /// event. When nobody has it open for writing, the close already happened and its event was lost
    /// (a queue overflow, then a rescan): it is final now. Where the kernel cannot tell, it waits.
    private func deliverUnlessStillOpen(_ settled: PendingSet.Settled, pending: inout PendingSet,
                                        _ handler: (WatchEvent) -> Void) {
        if FileSystem.isOpenForWriting(settled.path) == false {
            handler(.changed(path: settled.path, firstEvent: settled.firstEvent, lastEvent: settled.lastEvent))
        } else {
            pending.park(settled)
        }
    }

    /// Whether the settled burst is exactly the rename of our own noted write.
    private func isOwnWrite(_ settled: PendingSet.Settled) -> Bool {
        let lifetime = configuration.ownWriteLifetime
        let note: OwnWrite? = state.withLock {
            guard let note = ownWrites[PathKey(settled.path)] else { return nil }
            // The note is used up by the burst holding our rename (not by an older burst settling late).
            if settled.renamesInto > 0 { ownWrites[PathKey(settled.path)] = nil }
            return note
        }
        guard let note,
              settled.renamesInto == 1,
              settled.changes.isSubset(of: [.renamedInto, .movedAway]),
              settled.firstEvent <= note.notedAt + lifetime,
              case .success(let status) = FileSystem.status(ofEntry: settled.path)
        else { return false }
        return status.identity == note.identity
    }
}
