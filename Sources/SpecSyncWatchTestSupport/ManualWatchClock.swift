import SpecSyncWatch

/// A clock that only moves when told to. The watcher's consumer waits for an advance, not for its
/// deadline: every advance wakes it to look at the new time.
public final class ManualWatchClock: WatchClock, @unchecked Sendable {  // unchecked: the time and the waiters are guarded by its lock
    private let lock = ConditionLock()
    private var current: ContinuousClock.Instant
    private var waiters: [ConditionLock] = []

    public init(start: ContinuousClock.Instant = .now) { current = start }

    public var now: ContinuousClock.Instant { lock.withLock { current } }

    public func wait(on condition: ConditionLock, decidedAt: ContinuousClock.Instant, until deadline: ContinuousClock.Instant?) {
        // Registering and checking the time in one step: an advance either comes after this (and
        // signals `condition`, whose lock the caller holds until it waits) or before (and we return).
        let moved = lock.withLock { () -> Bool in
            if !waiters.contains(where: { $0 === condition }) { waiters.append(condition) }
            return current != decidedAt
        }
        if !moved { condition.wait() }
    }

    public func advance(by duration: Duration) {
        let toWake = lock.withLock { () -> [ConditionLock] in
            current = current + duration
            return waiters
        }
        for condition in toWake { condition.withLock { condition.broadcast() } }
    }
}
