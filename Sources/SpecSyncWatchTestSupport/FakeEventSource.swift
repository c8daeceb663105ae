import SpecSyncWatch
import SystemPackage

/// An event source driven by hand, for stepping the watcher's logic in tests and for forcing rare
/// errors (ENOSPC, read failures). Watches are bookkeeping only; events are whatever `push` is given.
public final class FakeEventSource: RenewableEventSource, @unchecked Sendable {  // unchecked: every field is guarded by its lock
    private let lock = ConditionLock()
    private var queued: [RawEvent] = []
    private var wakeRequested = false
    private var readerBlocked = false
    private var batchesTaken = 0
    private var nextWatch: Int32 = 1
    private var watchByPath: [String: WatchID] = [:]
    private var pathByWatch: [WatchID: String] = [:]
    private var failures: [String: EventSourceError] = [:]
    private var pendingReadFailure: EventSourceError?
    private var isClosed = false

    /// addWatch fails with `.watchLimitReached` once this many watches exist (nil: no limit).
    public var watchLimit: Int? {
        get { lock.withLock { storedWatchLimit } }
        set { lock.withLock { storedWatchLimit = newValue } }
    }
    private var storedWatchLimit: Int?

    public init() {}

    // MARK: Driving it

    /// Queues events for the reader; they are returned by the next `nextBatch()` as one batch.
    public func push(_ events: [RawEvent]) {
        lock.withLock {
            queued += events
            lock.broadcast()
        }
    }

    /// Makes `addWatch` for exactly this path fail with `error`.
    public func failWatch(of path: String, with error: EventSourceError) {
        lock.withLock { failures[path] = error }
    }

    /// Makes the next `nextBatch()` throw.
    public func failNextRead(with error: EventSourceError) {
        lock.withLock {
            pendingReadFailure = error
            lock.broadcast()
        }
    }

    /// The watch for a directory, if one was added.
    public func watch(for path: String) -> WatchID? { lock.withLock { watchByPath[path] } }

    /// The directories currently watched.
    public var watchedDirectories: Set<String> { lock.withLock { Set(watchByPath.keys) } }

    public var closedByReader: Bool { lock.withLock { isClosed } }

    /// Waits until the reader has taken every pushed event, finished handling it and blocked again
    /// in `nextBatch()`. Returns false when `timeout` passes first.
    public func waitUntilReaderIsIdle(timeout: Duration = .seconds(10)) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        return lock.withLock {
            while !(readerBlocked && queued.isEmpty) {
                let remaining = deadline - clock.now
                if remaining <= .zero { return false }
                lock.wait(timeout: remaining)
            }
            return true
        }
    }

    // MARK: EventSource

    public func addWatch(directory path: String) throws(EventSourceError) -> WatchID {
        let failure: EventSourceError? = lock.withLock {
            if let failure = failures[path] { return failure }
            if let limit = storedWatchLimit, watchByPath[path] == nil, watchByPath.count >= limit {
                return .watchLimitReached(path: path)
            }
            return nil
        }
        if let failure { throw failure }
        return lock.withLock {
            if let existing = watchByPath[path] { return existing }
            let watch = WatchID(rawValue: nextWatch)
            nextWatch += 1
            watchByPath[path] = watch
            pathByWatch[watch] = path
            return watch
        }
    }

    public func removeWatch(_ watch: WatchID) {
        lock.withLock {
            if let path = pathByWatch.removeValue(forKey: watch) { watchByPath[path] = nil }
        }
    }

    public func nextBatch() throws(EventSourceError) -> [RawEvent] {
        let result: Result<[RawEvent], EventSourceError> = lock.withLock {
            readerBlocked = true
            lock.broadcast()
            while queued.isEmpty && !wakeRequested && pendingReadFailure == nil { lock.wait() }
            readerBlocked = false
            if let failure = pendingReadFailure {
                pendingReadFailure = nil
                return .failure(failure)
            }
            wakeRequested = false
            let batch = queued
            queued.removeAll()
            batchesTaken += 1
            // Like the kernel: a watch that is removed is forgotten.
            for event in batch where event.kind.contains(.watchRemoved) {
                if let watch = event.watch, let path = pathByWatch.removeValue(forKey: watch) {
                    watchByPath[path] = nil
                }
            }
            return .success(batch)
        }
        return try result.get()
    }

    public func wake() {
        lock.withLock {
            wakeRequested = true
            lock.broadcast()
        }
    }

    /// Settable to make the watcher renew the source.
    public var abandonedRecords: Int {
        get { lock.withLock { storedAbandonedRecords } }
        set { lock.withLock { storedAbandonedRecords = newValue } }
    }
    private var storedAbandonedRecords = 0

    /// How often `renew()` was called.
    public var renewals: Int { lock.withLock { renewCount } }
    private var renewCount = 0

    public func renew() throws(EventSourceError) {
        lock.withLock {
            renewCount += 1
            storedAbandonedRecords = 0
            watchByPath.removeAll()
            pathByWatch.removeAll()
            queued.removeAll()
        }
    }

    public func close() {
        lock.withLock {
            isClosed = true
            lock.broadcast()
        }
    }
}
