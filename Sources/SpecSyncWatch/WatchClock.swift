/// Where the watcher gets "now" from, injected so tests can step the settle logic.
public protocol WatchClock: AnyObject, Sendable {
    var now: ContinuousClock.Instant { get }
    /// False for a real clock: the consumer loop sleeps with a timeout until its next deadline.
    /// True for a manual clock: the loop sleeps until the clock reports an advance.
    var isManual: Bool { get }
    /// Called after every advance of a manual clock; real clocks never call it.
    func observeAdvances(_ observer: @escaping @Sendable () -> Void)
}

/// The real clock (ContinuousClock).
public final class SystemWatchClock: WatchClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public var isManual: Bool { false }
    public func observeAdvances(_ observer: @escaping @Sendable () -> Void) {}
}

/// A clock that only moves when told to.
public final class ManualWatchClock: WatchClock, @unchecked Sendable {
    private let lock = ConditionLock()
    private var current: ContinuousClock.Instant
    private var observers: [@Sendable () -> Void] = []

    public init(start: ContinuousClock.Instant = .now) { current = start }

    public var now: ContinuousClock.Instant { lock.withLock { current } }
    public var isManual: Bool { true }

    public func observeAdvances(_ observer: @escaping @Sendable () -> Void) {
        lock.withLock { observers.append(observer) }
    }

    public func advance(by duration: Duration) {
        let toNotify = lock.withLock { () -> [@Sendable () -> Void] in
            current = current + duration
            return observers
        }
        for observer in toNotify { observer() }
    }
}
