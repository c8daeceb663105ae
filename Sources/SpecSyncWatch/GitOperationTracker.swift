import SpecSyncSys
import SystemPackage

/// An entry whose presence means git is in the middle of an operation (`MERGE_HEAD`, `rebase-merge/`,
/// `index.lock`, …). The engine finds where each lives (`git rev-parse --git-path`); the watcher only
/// watches the directories holding them.
public struct GitMarker: Equatable, Sendable {
    /// Absolute path of the marker file or directory.
    public var path: String
    /// What its presence means, e.g. "a rebase".
    public var operation: String

    public init(path: String, operation: String) {
        self.path = path
        self.operation = operation
    }

    /// The directory holding the marker (the one that is watched).
    public var directory: String {
        guard let (head, _) = FileName.splitLast(path), !head.isEmpty else { return "/" }
        return head
    }

    public var name: String {
        FileName.splitLast(path)?.name ?? path
    }
}

/// The reader thread's view of git's state: one non-recursive watch per directory holding markers,
/// on the tree's event source (no timers, no polling). Every event naming a marker is answered by an
/// `lstat` of it, so the order and the kind of the events (create, rename onto `index`, rmdir) do not
/// matter. Emits `.gitOperation` when an operation starts, ends, or the most telling marker changes.
final class GitOperationTracker {
    private let markers: [GitMarker]
    private let source: EventSource
    private var directories: [WatchID: String] = [:]
    private var present: Set<String> = []
    /// The marker last reported while in progress; nil when idle.
    private var reported: GitMarker?

    init(markers: [GitMarker], source: EventSource) {
        self.markers = markers
        self.source = source
    }

    /// Watches the marker directories (again, after the source was renewed), then looks at every
    /// marker: watch first, look second, so nothing that happens in between is missed.
    func start() -> [WatchEvent] {
        directories.removeAll()
        var events: [WatchEvent] = []
        for directory in Set(markers.map(\.directory)).sorted() {
            do {
                directories[try source.addWatch(directory: directory)] = directory
            } catch {
                events.append(.warning(.cannotWatch(directory: directory, reason: "\(error.description); "
                    + "git operations there are not noticed")))
            }
        }
        return events + recheck()
    }

    func owns(_ watch: WatchID?) -> Bool { watch.map { directories[$0] != nil } ?? false }

    /// Events of this tracker's watches; an overflow (nil watch) means: look at everything again.
    func handle(_ event: RawEvent) -> [WatchEvent] {
        guard let watch = event.watch, let directory = directories[watch] else { return recheck() }
        if event.kind.contains(.watchRemoved) { directories[watch] = nil }
        for marker in markers where marker.directory == directory && marker.name == event.name {
            update(marker)
        }
        let changes = transition()
        // A quick command (`git add`) takes and drops index.lock within one read of events: no pause is
        // seen, but the index changed. Said once, when the lock goes.
        if changes.isEmpty, reported == nil, event.name == "index.lock",
           event.kind.contains(.deleted) || event.kind.contains(.movedFrom) {
            return [.gitIndexChanged]
        }
        return changes
    }

    func recheck() -> [WatchEvent] {
        for marker in markers { update(marker) }
        return transition()
    }

    private func update(_ marker: GitMarker) {
        if case .success = FileSystem.status(ofEntry: marker.path) {
            present.insert(marker.path)
        } else {
            present.remove(marker.path)
        }
    }

    private func transition() -> [WatchEvent] {
        // Markers are listed most telling first: a rebase says more than the index.lock it takes.
        let current = markers.first { present.contains($0.path) }
        guard current != reported else { return [] }
        let previous = reported
        reported = current
        if let current {
            return [.gitOperation(inProgress: true, reason: "\(current.operation) is in progress (\(current.path) exists)")]
        }
        return [.gitOperation(inProgress: false, reason: previous.map { "\($0.operation) finished (\($0.path) is gone)" } ?? "")]
    }
}
