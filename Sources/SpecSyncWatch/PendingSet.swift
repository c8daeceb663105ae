import SpecSyncSys
/// One raw observation about a file, as the reader reports it to the consumer.
enum FileChange: Sendable, Equatable {
    /// IN_CREATE: the name exists, its content may still be being written.
    case created
    /// IN_MODIFY: written or truncated in place by a writer that has not closed it yet.
    case modified
    /// IN_CLOSE_WRITE: written in place and closed.
    case written
    /// IN_MOVED_TO: renamed into place.
    case renamedInto
    /// Listed by a scan of a directory that appeared, or of the whole tree after an overflow.
    case found
    /// IN_MOVED_FROM: renamed away.
    case movedAway
    /// IN_DELETE.
    case deleted
}

/// The settle window: raw changes per path are coalesced until the path has been quiet for
/// `settleWindow`, then handed out once. Pure state, stepped with explicit instants; the watcher's
/// consumer thread owns it.
struct PendingSet {
    typealias Instant = ContinuousClock.Instant

    enum State: Equatable {
        /// Created, not yet closed after writing: content not final.
        case creating
        /// Written or truncated in place and not yet closed: content not final (a writer that pauses
        /// between chunks longer than the settle window must not be read half-way).
        case writing
        /// Content final (closed after writing, renamed into place, or found by a scan).
        case written
        /// Deleted or renamed away (to be confirmed: a rename-exchange also reports "moved from").
        case gone
    }

    struct Changes: OptionSet, Equatable {
        let rawValue: UInt8
        static let created = Changes(rawValue: 1 << 0)
        static let written = Changes(rawValue: 1 << 1)
        static let renamedInto = Changes(rawValue: 1 << 2)
        static let found = Changes(rawValue: 1 << 3)
        static let movedAway = Changes(rawValue: 1 << 4)
        static let deleted = Changes(rawValue: 1 << 5)
        static let modified = Changes(rawValue: 1 << 6)
    }

    /// A path whose burst has settled.
    struct Settled: Equatable {
        var path: String
        var firstEvent: Instant
        var lastEvent: Instant
        var state: State
        /// Every kind of change seen in the burst.
        var changes: Changes
        /// How many renames into place the burst contains (own-write recognition expects exactly one).
        var renamesInto: Int
    }

    private struct Entry {
        var settled: Settled
        var generation: UInt64
    }

    private struct Deadline: Comparable {
        var instant: Instant
        var generation: UInt64
        var path: String
        static func < (lhs: Deadline, rhs: Deadline) -> Bool {
            lhs.instant != rhs.instant ? lhs.instant < rhs.instant : lhs.generation < rhs.generation
        }
    }

    let settleWindow: Duration
    /// Keyed by bytes: two names spelled alike under Unicode normalization are two files (PathKey).
    private var entries: [PathKey: Entry] = [:]
    /// Every event pushes a deadline; superseded ones are skipped when they surface (their generation
    /// no longer matches the entry's).
    private var deadlines = MinHeap<Deadline>()
    private var nextGeneration: UInt64 = 0

    init(settleWindow: Duration) { self.settleWindow = settleWindow }

    /// Paths with a burst in progress, including parked ones.
    var count: Int { entries.count }

    mutating func record(_ change: FileChange, path: String, at instant: Instant) {
        nextGeneration += 1
        var settled = entries[PathKey(path)]?.settled
            ?? Settled(path: path, firstEvent: instant, lastEvent: instant, state: .written, changes: [], renamesInto: 0)
        settled.lastEvent = max(settled.lastEvent, instant)
        switch change {
        case .created:
            settled.state = .creating
            settled.changes.insert(.created)
        case .modified:
            settled.state = .writing
            settled.changes.insert(.modified)
        case .written:
            settled.state = .written
            settled.changes.insert(.written)
        case .renamedInto:
            settled.state = .written
            settled.changes.insert(.renamedInto)
            settled.renamesInto += 1
        case .found:
            // A scan listing a file whose creator has not closed it yet does not make it final.
            if settled.changes.isEmpty || (settled.state != .creating && settled.state != .writing) { settled.state = .written }
            settled.changes.insert(.found)
        case .movedAway:
            settled.state = .gone
            settled.changes.insert(.movedAway)
        case .deleted:
            settled.state = .gone
            settled.changes.insert(.deleted)
        }
        entries[PathKey(path)] = Entry(settled: settled, generation: nextGeneration)
        deadlines.push(Deadline(instant: settled.lastEvent + settleWindow, generation: nextGeneration, path: path))
    }

    /// The earliest instant at which `takeDue` will return something; nil when nothing is waiting
    /// for a deadline (parked entries wait for their next event).
    mutating func nextDeadline() -> Instant? {
        while let top = deadlines.first {
            if entries[PathKey(top.path)]?.generation == top.generation { return top.instant }
            _ = deadlines.popFirst()
        }
        return nil
    }

    /// Removes and returns every burst that has been quiet for the settle window, oldest deadline first.
    mutating func takeDue(at now: Instant) -> [Settled] {
        var due: [Settled] = []
        while let top = deadlines.first, top.instant <= now {
            _ = deadlines.popFirst()
            guard let entry = entries[PathKey(top.path)], entry.generation == top.generation else { continue }
            entries[PathKey(top.path)] = nil
            due.append(entry.settled)
        }
        return due
    }

    /// Puts a settled burst back without a deadline: it waits for its next event (a file created or
    /// written but not yet closed after writing).
    mutating func park(_ settled: Settled) {
        nextGeneration += 1
        entries[PathKey(settled.path)] = Entry(settled: settled, generation: nextGeneration)
    }

    /// Forgets everything (used when the watcher stops).
    mutating func removeAll() {
        entries.removeAll()
        deadlines = MinHeap()
    }
}
