/// Told what the watcher's two threads do, for tests and benchmarks that check when it wakes up. Calls
/// come on the watcher's threads, some with its lock held: record and return, never call the watcher.
/// Every method does nothing by default.
public protocol WatcherObserver: AnyObject, Sendable {
    func readerStarted(threadID: Int32?)
    func consumerStarted(threadID: Int32?)
    /// On the reader thread, before every `nextBatch()`.
    func readerWillWaitForEvents()
    func readerTookBatch()
    /// The reader put items in the consumer's inbox.
    func readerHandedOver()
    func readerFinished()
    /// The consumer found its inbox empty and read the clock to pick its next deadline.
    func consumerDecided(at instant: ContinuousClock.Instant)
    /// The consumer is about to block (its inbox empty, nothing due).
    func consumerWillWait()
    func consumerWokeUp()
}

extension WatcherObserver {
    public func readerStarted(threadID: Int32?) {}
    public func consumerStarted(threadID: Int32?) {}
    public func readerWillWaitForEvents() {}
    public func readerTookBatch() {}
    public func readerHandedOver() {}
    public func readerFinished() {}
    public func consumerDecided(at instant: ContinuousClock.Instant) {}
    public func consumerWillWait() {}
    public func consumerWokeUp() {}
}
