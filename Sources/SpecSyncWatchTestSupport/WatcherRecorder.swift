import SpecSyncWatch

/// Counts what the watcher's threads do (`WatcherObserver`), for tests that check it stays asleep
/// when idle and for stepping it with a manual clock.
public final class WatcherRecorder: WatcherObserver, @unchecked Sendable {  // unchecked: counters are guarded by its lock
    public struct Counters: Sendable {
        /// Batches the reader took from the source (each one is a wake-up of the reader thread).
        public var readerBatches = 0
        /// Times the consumer returned from waiting on its condition.
        public var consumerWakeups = 0
        public var readerThreadID: Int32?
        public var consumerThreadID: Int32?
        public var readerFinished = false
        /// Whether the consumer is blocked waiting, and the clock reading its last decision used.
        public var consumerWaiting = false
        public var consumerDecidedAt: ContinuousClock.Instant?
        /// The reader handed items over since the consumer last decided to wait.
        public var inboxFilled = false
    }

    private let lock = ConditionLock()
    private var counters = Counters()
    /// Runs on the reader thread before every `nextBatch()` (e.g. a gate that holds the reader back).
    private let beforeRead: (@Sendable () -> Void)?

    public init(readerWillWaitForEvents: (@Sendable () -> Void)? = nil) {
        beforeRead = readerWillWaitForEvents
    }

    public var snapshot: Counters { lock.withLock { counters } }

    /// Whether the consumer is blocked with nothing in its inbox, having decided at `instant`.
    public func consumerIsIdle(decidedAt instant: ContinuousClock.Instant) -> Bool {
        lock.withLock { counters.consumerWaiting && !counters.inboxFilled && counters.consumerDecidedAt == instant }
    }

    public func readerStarted(threadID: Int32?) { lock.withLock { counters.readerThreadID = threadID } }
    public func consumerStarted(threadID: Int32?) { lock.withLock { counters.consumerThreadID = threadID } }
    public func readerWillWaitForEvents() { beforeRead?() }
    public func readerTookBatch() { lock.withLock { counters.readerBatches += 1 } }
    public func readerHandedOver() { lock.withLock { counters.inboxFilled = true } }
    public func readerFinished() { lock.withLock { counters.readerFinished = true } }

    public func consumerDecided(at instant: ContinuousClock.Instant) {
        lock.withLock { counters.consumerDecidedAt = instant }
    }

    public func consumerWillWait() {
        lock.withLock {
            counters.consumerWaiting = true
            counters.inboxFilled = false
        }
    }

    public func consumerWokeUp() {
        lock.withLock {
            counters.consumerWaiting = false
            counters.consumerWakeups += 1
        }
    }
}
