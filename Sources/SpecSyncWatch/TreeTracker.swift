import SpecSyncSys
import SystemPackage

/// What the reader thread hands to the consumer, in order.
enum InboxItem {
    case file(FileChange, path: String, at: ContinuousClock.Instant)
    /// Delivered as soon as the consumer reaches it (start-up files, ready, warnings, rescans, root gone).
    case event(WatchEvent)
    /// The reader has exited; nil error after a requested stop or once the root is gone.
    case readerStopped(WatcherError?)
}

/// A watched (or, past the watch limit, merely known) directory.
final class DirectoryNode {
    let name: String
    weak var parent: DirectoryNode?
    let path: String
    let relativePath: String
    var watch: WatchID?
    /// Keyed by bytes (PathKey): "é" and "e\u{301}" are two entries, as they are two names on disk.
    var children: [PathKey: DirectoryNode] = [:]
    /// Names of the reported files directly inside (to report them removed when the directory goes).
    var files: Set<PathKey> = []

    init(name: String, parent: DirectoryNode?, path: String, relativePath: String, watch: WatchID?) {
        self.name = name
        self.parent = parent
        self.path = path
        self.relativePath = relativePath
        self.watch = watch
    }

    /// The absolute path of an entry inside (the root may be "/").
    func childPath(_ child: String) -> String {
        path.endsWithSlash ? path + child : path + "/" + child
    }

    func relativePath(of child: String) -> String {
        relativePath.isEmpty ? child : relativePath + "/" + child
    }
}

/// The reader thread's model of the tree: which watch is which directory, what is below it. Turns
/// raw events into file changes, and adds watches for new directories *then* lists them, so files
/// created before the watch existed (`mkdir -p a/b/c && echo … > a/b/c/x.yaml`) are reported too.
/// Only metadata is touched here (add_watch, readdir): it runs on the thread that must drain the
/// kernel queue.
final class TreeTracker {
    let root: String
    private let source: EventSource
    private let filter: WatchFilter
    private let emit: (InboxItem) -> Void
    private(set) var rootNode: DirectoryNode?
    private var nodesByWatch: [WatchID: DirectoryNode] = [:]
    private(set) var rootGone = false
    /// During a rescan: files known before it that the new listing has not found (yet).
    private var rescanLeftovers: Set<PathKey> = []

    init(root: String, source: EventSource, filter: WatchFilter, emit: @escaping (InboxItem) -> Void) {
        self.root = root
        self.source = source
        self.filter = filter
        self.emit = emit
    }

    private enum WalkMode { case startup, added, rescan }

    private struct WalkSummary {
        var directories = 0
        var files = 0
        var rootFailure: String?
    }

    // MARK: Scans

    /// Watches and lists the whole tree, reporting every file as `.existing`.
    func startupScan(at instant: ContinuousClock.Instant) -> Result<(directories: Int, files: Int), WatcherError> {
        let summary = walk(parent: nil, name: "", mode: .startup, at: instant)
        if let failure = summary.rootFailure { return .failure(.cannotWatchRoot(path: root, reason: failure)) }
        return .success((summary.directories, summary.files))
    }

    /// After lost events: rebuild the model from disk. Every file is reported again; files that
    /// vanished meanwhile are reported removed. Watches are re-added (the kernel returns the existing
    /// one for a directory still watched, a fresh one for a directory it never saw).
    func rescan(reason: String, at instant: ContinuousClock.Instant) {
        emit(.event(.rescanned(reason: reason)))
        rescanLeftovers.removeAll()
        if let rootNode { collectFiles(rootNode, into: &rescanLeftovers) }
        nodesByWatch.removeAll()
        let summary = walk(parent: nil, name: "", mode: .rescan, at: instant)
        for key in rescanLeftovers { emit(.file(.deleted, path: key.path, at: instant)) }
        rescanLeftovers.removeAll()
        if summary.rootFailure != nil {
            goneRoot("the watched directory \(root) can no longer be listed or watched after an overflow")
        }
    }

    private func collectFiles(_ node: DirectoryNode, into set: inout Set<PathKey>) {
        for name in node.files { set.insert(PathKey(node.childPath(name.path))) }
        for child in node.children.values { collectFiles(child, into: &set) }
    }

    private func walk(parent: DirectoryNode?, name: String, mode: WalkMode, at instant: ContinuousClock.Instant) -> WalkSummary {
        var summary = WalkSummary()
        var unwatched: [String] = []
        var stack: [(parent: DirectoryNode?, name: String)] = [(parent, name)]
        while let (parent, name) = stack.popLast() {
            let path = parent.map { $0.childPath(name) } ?? root
            let relativePath = parent?.relativePath(of: name) ?? ""
            let listing: DirectoryListing
            switch DirectoryListing.open(path) {
            case .success(let opened):
                listing = opened
            case .failure(let errno):
                if parent == nil {
                    summary.rootFailure = "cannot list it: \(errno)"
                    return summary
                }
                // Gone again, or replaced by a file or a symlink: nothing to watch.
                if errno == .noSuchFileOrDirectory || errno == .notDirectory || errno == .tooManySymbolicLinkLevels {
                    continue
                }
                emit(.event(.warning(.cannotList(directory: path, errno))))
                continue
            }
            // Watch first, list second: whatever is created in between shows up in one or the other.
            var watch: WatchID?
            do {
                watch = try source.addWatch(directory: path)
            } catch .watchLimitReached {
                if parent == nil {
                    summary.rootFailure = EventSourceError.watchLimitReached(path: path).description
                    return summary
                }
                unwatched.append(path)
            } catch {
                if parent == nil {
                    summary.rootFailure = error.description
                    return summary
                }
                if case .cannotWatch(_, let errno) = error,
                   errno == .noSuchFileOrDirectory || errno == .notDirectory {
                    continue
                }
                emit(.event(.warning(.cannotWatch(directory: path, reason: error.description))))
            }
            let node = DirectoryNode(name: name, parent: parent, path: path, relativePath: relativePath, watch: watch)
            if let parent {
                if let stale = parent.children[PathKey(name)] { forget(stale, change: .deleted, at: instant, removeWatches: false) }
                parent.children[PathKey(name)] = node
            } else {
                rootNode = node
            }
            if let watch { nodesByWatch[watch] = node }
            summary.directories += 1
            listing.forEachEntry { entryName, type in
                switch type {
                case .directory:
                    guard entryName != ".git", filter.includeDirectory(node.relativePath(of: entryName)) else { return }
                    stack.append((node, entryName))
                case .regularFile, .symlink:
                    // A symlink to a directory is neither entered nor a file.
                    if type == .symlink, DirectoryListing.isDirectory(node.childPath(entryName)) { return }
                    guard !Watcher.isEditorByproduct(name: entryName),
                          filter.includeFile(node.relativePath(of: entryName)) else { return }
                    node.files.insert(PathKey(entryName))
                    summary.files += 1
                    let filePath = node.childPath(entryName)
                    switch mode {
                    case .startup: emit(.event(.existing(path: filePath)))
                    case .added: emit(.file(.found, path: filePath, at: instant))
                    case .rescan:
                        rescanLeftovers.remove(PathKey(filePath))
                        emit(.file(.found, path: filePath, at: instant))
                    }
                case .other:
                    return
                }
            }
        }
        if !unwatched.isEmpty {
            emit(.event(.warning(.watchLimitReached(directory: unwatched[0], unwatchedDirectories: unwatched.count,
                                                    limit: InotifyLimits.maxUserWatches))))
        }
        return summary
    }

    /// Drops a directory and everything below it from the model, reporting its files with `change`.
    private func forget(_ node: DirectoryNode, change: FileChange, at instant: ContinuousClock.Instant,
                        removeWatches: Bool) {
        var stack = [node]
        while let current = stack.popLast() {
            for name in current.files { emit(.file(change, path: current.childPath(name.path), at: instant)) }
            current.files.removeAll()
            if let watch = current.watch {
                if nodesByWatch[watch] === current { nodesByWatch[watch] = nil }
                if removeWatches { source.removeWatch(watch) }
            }
            stack += current.children.values
            current.children.removeAll()
        }
        if let parent = node.parent, parent.children[PathKey(node.name)] === node { parent.children[PathKey(node.name)] = nil }
    }

    private func goneRoot(_ reason: String) {
        guard !rootGone else { return }
        rootGone = true
        emit(.event(.rootGone(reason: reason)))
    }

    // MARK: Events

    func handle(_ batch: [RawEvent], at instant: ContinuousClock.Instant) {
        for event in batch {
            if rootGone { return }
            handle(event, at: instant)
        }
    }

    private func handle(_ event: RawEvent, at instant: ContinuousClock.Instant) {
        let kind = event.kind
        if kind.contains(.overflow) {
            let limit = InotifyLimits.maxQueuedEvents.map { " (more than \($0) events queued; fs.inotify.max_queued_events)" } ?? ""
            rescan(reason: "the kernel's inotify event queue overflowed\(limit)", at: instant)
            return
        }
        guard let watch = event.watch, let node = nodesByWatch[watch] else { return }
        if kind.contains(.watchRemoved) {
            nodesByWatch[watch] = nil
            if node === rootNode {
                goneRoot("the watched directory \(root) was deleted or unmounted")
            } else {
                forget(node, change: .deleted, at: instant, removeWatches: false)
            }
            return
        }
        if node === rootNode {
            if kind.contains(.directoryDeleted) { return goneRoot("the watched directory \(root) was deleted") }
            if kind.contains(.directoryMoved) { return goneRoot("the watched directory \(root) was moved away") }
            if kind.contains(.unmounted) { return goneRoot("the file system holding \(root) was unmounted") }
        }
        let name = event.name
        guard !name.isEmpty else { return }
        if kind.contains(.isDirectory) {
            if kind.contains(.deleted) || kind.contains(.movedFrom), let child = node.children[PathKey(name)] {
                // A directory renamed away keeps its kernel watch: remove it, or its events would keep
                // coming from wherever it went. A deleted one lost its watch already.
                forget(child, change: kind.contains(.movedFrom) ? .movedAway : .deleted, at: instant,
                       removeWatches: kind.contains(.movedFrom))
            }
            if kind.contains(.created) || kind.contains(.movedTo) {
                guard name != ".git", filter.includeDirectory(node.relativePath(of: name)) else { return }
                _ = walk(parent: node, name: name, mode: .added, at: instant)
            }
            return
        }
        guard !Watcher.isEditorByproduct(name: name), filter.includeFile(node.relativePath(of: name)) else { return }
        let path = node.childPath(name)
        if kind.contains(.created) {
            node.files.insert(PathKey(name))
            emit(.file(.created, path: path, at: instant))
        }
        if kind.contains(.modified) {
            node.files.insert(PathKey(name))
            emit(.file(.modified, path: path, at: instant))
        }
        if kind.contains(.closedAfterWrite) {
            node.files.insert(PathKey(name))
            emit(.file(.written, path: path, at: instant))
        }
        if kind.contains(.movedTo) {
            node.files.insert(PathKey(name))
            emit(.file(.renamedInto, path: path, at: instant))
        }
        if kind.contains(.deleted) {
            node.files.remove(PathKey(name))
            emit(.file(.deleted, path: path, at: instant))
        }
        if kind.contains(.movedFrom) {
            node.files.remove(PathKey(name))
            emit(.file(.movedAway, path: path, at: instant))
        }
    }
}
