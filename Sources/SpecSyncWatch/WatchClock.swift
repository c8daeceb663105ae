/// Where the watcher gets "now" from and how it waits for its next deadline, injected so tests can
/// step the settle logic (a manual clock lives in SpecSyncWatchTestSupport).
public protocol WatchClock: AnyObject, Sendable {
    var now: ContinuousClock.Instant { get }
    /// Blocks the caller, which holds `condition`'s lock and read `decidedAt` from this clock to pick
    /// `deadline`, until the condition is signalled or `deadline` has passed on this clock (nil: until
    /// signalled). Returning early is fine: the caller re-checks everything after every wake-up.
    func wait(on condition: ConditionLock, decidedAt: ContinuousClock.Instant, until deadline: ContinuousClock.Instant?)
}

/// The real clock (ContinuousClock).
public final class SystemWatchClock: WatchClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }

    public func wait(on condition: ConditionLock, decidedAt: ContinuousClock.Instant, until deadline: ContinuousClock.Instant?) {
        if let deadline {
            condition.wait(timeout: deadline - decidedAt)
        } else {
            condition.wait()
        }
    }
}
