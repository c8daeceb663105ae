import Dispatch
import SpecSyncCore
import SpecSyncSchema
import SpecSyncStore
import SpecSyncSys
import SpecSyncWatch

/// What happened to one file in a reconcile pass. The engine never prints; the CLI and the
/// watcher render these.
public struct FileResult: Sendable {
    public enum Action: String, Sendable {
        /// Valid and already canonical (or, for `check`, simply looked at).
        case unchanged
        /// Rewritten in canonical form.
        case normalized
        /// Diagnostics found; never rewritten.
        case invalid
        /// Gone (the watcher forgets it).
        case deleted
        /// Valid but not canonical, and not rewritten (check without --fix).
        case notCanonical = "not-canonical"
        /// Could not be read or written; `failure` says why.
        case error
    }

    public var path: String
    public var action: Action
    public var diagnostics: [Diagnostic]
    /// Whether the bytes looked at were canonical.
    public var wasCanonical: Bool
    public var original: [UInt8]?
    public var canonical: [UInt8]?
    /// Why the file could not be read or written (action `error`).
    public var failure: FileError?
    /// `failure`'s message.
    public var error: String? { failure?.message }
    /// Why a valid, non-canonical file was left as it is (a symlink to a file outside the tree).
    public var notWritten: String?

    public var isValid: Bool { diagnostics.isEmpty && action != .error }
}

/// Why a command could not do its work at all (as opposed to a finding about one file, `FileResult`).
public enum EngineError: Error, CustomStringConvertible {
    case configuration(ConfigurationError)
    case schema(path: String, message: String)
    case noSuchPath(String)
    /// git could not be started, failed (`status`), or answered in a way that cannot be read.
    case git(command: String, status: Int32?, message: String)
    /// `check --fix`/`fmt` while git is mid-operation; the message says which and how to finish it.
    case gitOperationInProgress(String)
    /// A file of specsync's own — the configuration, a hook, the events log, a merge result — could not
    /// be handled: what was being done (`action`, "create the specs folder"), where, and why.
    case file(action: String, path: String, cause: FileError)
    /// Another `specsync watch` already serves the tree, or its lock cannot be taken.
    case instance(InstanceLock.Error)
    /// The watcher could not start on the tree.
    case watcher(WatcherError)

    public var description: String {
        switch self {
        case .configuration(let e): return e.description
        case .schema(let path, let message): return "\(path): invalid schema: \(message)"
        case .noSuchPath(let path): return "\(FileName.displayed(path)): no such file or directory"
        case .git(_, _, let message): return "git: \(message)"
        case .gitOperationInProgress(let message): return message
        case .file(let action, let path, let cause):
            return "\(FileName.displayed(path)): cannot \(action): \(cause.message)"
        case .instance(let error): return error.description
        case .watcher(let error): return error.description
        }
    }
}

/// The one "reconcile these files" pass shared by check, fmt, write and watch.
public final class Engine: Sendable {
    public let configuration: Configuration
    public let processor: SpecProcessor
    public let store: SpecStore
    public let filter: SpecFilter
    /// The schema `processor` validates with, copied for each worker thread of a big run.
    private let schema: Schema
    /// What the schema was compiled from (its size and hash, or "built-in").
    private let schemaDigest: String

    public init(configuration: Configuration, schemaOverride: String? = nil) throws(EngineError) {
        self.configuration = configuration
        let schemaPath = schemaOverride ?? configuration.schemaPath
        let (validator, schemaDigest) = try SchemaLoader.load(path: schemaPath)
        self.schema = validator
        self.schemaDigest = schemaDigest
        self.processor = SpecProcessor(validator: validator, limits: configuration.limits)
        // Reads stop at the size limit: a 2 GB file costs an fstat, not 2 GB.
        self.store = SpecStore(configuration: StoreConfiguration(lockTimeout: configuration.lockTimeout,
                                                                 maxReadBytes: configuration.limits.maxBytes))
        self.filter = SpecFilter(include: configuration.include, exclude: configuration.exclude)
    }

    // MARK: Finding specs

    /// Expands files and directories into spec files, in the order the paths are given, each directory's
    /// specs sorted by path (not sorted across paths: `check b.yaml a.yaml` reports b first, as asked).
    /// Directories are searched for files the include/exclude globs accept (relative to the directory
    /// given); files named explicitly are taken as is.
    public func specFiles(in paths: [String]) throws(EngineError) -> [String] {
        try specFilesWithTrees(in: paths).map(\.file)
    }

    /// `specFiles(in:)` with the tree each file belongs to, for the symlink rule (`TreeBoundary`): the
    /// directory it was found in, or for a file named directly, `tree(forFile:)`.
    public func specFilesWithTrees(in paths: [String]) throws(EngineError) -> [(file: String, tree: String)] {
        let roots = paths.isEmpty ? [configuration.specsDirectory] : paths
        var out: [(file: String, tree: String)] = []
        for root in roots {
            // Sys, not FileManager: a name that is not UTF-8 arrives escaped (FileName) and only Sys
            // turns it back into its bytes.
            guard let status = try? Sys.stat(root) else { throw .noSuchPath(root) }
            if !status.identity.isDirectory {
                out.append((root, tree(forFile: root)))
                continue
            }
            out += walk(root).map { ($0, root) }
        }
        return out
    }

    /// The tree a file named on its own belongs to: the specs directory when it is in there, else the
    /// directory holding it (as named: a symlink is judged by where the link is, not where it leads).
    public func tree(forFile path: String) -> String {
        let absolute = path.isAbsolutePath ? path : Sys.currentDirectory() + "/" + path
        let specs = configuration.specsDirectory
        if absolute.hasBytePrefix(specs + "/") { return specs }
        return PathNames.parent(absolute)
    }

    private func walk(_ root: String) -> [String] {
        var out: [String] = []
        var stack = [""]
        while let relativeDir = stack.popLast() {
            let dir = relativeDir.isEmpty ? root : root + "/" + relativeDir
            // O_NOFOLLOW listing with d_type: symlinked directories are neither entered nor stat'ed.
            guard case .success(let listing) = DirectoryListing.open(dir) else { continue }
            listing.forEachEntry { name, type in
                let relative = relativeDir.isEmpty ? name : relativeDir + "/" + name
                switch type {
                case .directory:
                    if name != ".git" { stack.append(relative) }
                case .regularFile, .symlink:
                    if filter.isSpec(relativePath: relative) { out.append(root + "/" + relative) }
                case .other:
                    break
                }
            }
        }
        return out.sorted()
    }

    // MARK: Reconciling

    public enum Mode: Sendable {
        /// Report only.
        case check
        /// Rewrite valid, non-canonical files through the locked durable path.
        case fix
    }

    /// Reads, validates and (in `.fix` mode) normalizes every file, using all cores. The results are in
    /// the order of `paths` (not re-sorted). `trees[i]`, when given, is the tree `paths[i]` must resolve inside to be rewritten
    /// (`TreeBoundary`); nil entries (or no `trees`) write wherever the path leads. Without `keepingContents`
    /// the results carry no `original` or `canonical` bytes (in `.fix` mode, those of the files to write
    /// are dropped once written): a check of 100,000 files then holds their verdicts, not two copies of
    /// every file (413 MB).
    public func reconcile(_ paths: [String], mode: Mode, trees: [String?]? = nil, keepingContents: Bool = true) -> [FileResult] {
        // Reading and validating is CPU work: all cores.
        var results = paths.concurrentMap(contexts: workerProcessors(for: paths.count)) { processor, path in
            var result = reconcile(path, mode: .check, using: processor)
            if !keepingContents && (mode == .check || result.action != .notCanonical) { (result.original, result.canonical) = (nil, nil) }
            return result
        }
        guard mode == .fix else { return results }
        // Writing: one batched, locked read-modify-write (one durability barrier per chunk, not two
        // fsyncs per file). Under each lock the file is read again; if it changed since it was validated,
        // it is validated again from what is there now.
        // Paths are keyed by their bytes (PathKey): as Strings, two names differing only in Unicode
        // normalization — two files on Linux — would share an entry.
        var judges: [PathKey: TreeBoundary.Judge] = [:]  // each tree and directory resolved once, not once per file
        let pending = results.indices.filter { index in
            guard results[index].action == .notCanonical else { return false }
            guard let tree = trees?[index] else { return true }
            let key = PathKey(tree)
            let judge = judges[key] ?? TreeBoundary.Judge(tree: tree)
            judges[key] = judge
            guard let resolved = judge.outside(paths[index]) else { return true }
            results[index].notWritten = TreeBoundary.refusal(paths[index], resolved: resolved, tree: tree, flagHint: true)
            return false
        }
        guard !pending.isEmpty else { return results }
        var indexOf: [PathKey: Int] = [:]
        for index in pending { indexOf[PathKey(paths[index])] = index }
        let checked = results
        // Two batches over disjoint halves, one per core: a batch is a sequence of syscalls, and the two
        // overlap their waits. (Each file is in exactly one half, so their locks never meet.)
        let halves = pending.count < 64 ? [pending[...]] : [pending[..<(pending.count / 2)], pending[(pending.count / 2)...]]
        let batches = halves.concurrentMap { half in
            var seen: [PathKey: FileResult] = [:]
            let outcomes = store.updateMany(half.map { paths[$0] }) { path, current in
                guard let current, let index = indexOf[PathKey(path)] else { return nil }
                let previous = checked[index]
                let result = previous.original?.hasSameBytes(as: current) == true ? previous : self.evaluate(path: path, bytes: current)
                seen[PathKey(path)] = result
                return result.action == .notCanonical ? result.canonical : nil
            }
            return (outcomes: outcomes, seen: seen)
        }
        let outcomes = batches.flatMap(\.outcomes)
        let latest = batches.reduce(into: [PathKey: FileResult]()) { $0.merge($1.seen) { $1 } }
        for (position, index) in pending.enumerated() {
            let path = paths[index]
            var result = latest[PathKey(path)] ?? results[index]
            switch outcomes[position] {
            case .success(.replaced):
                result.action = .normalized
            case .success(.unchanged):
                break
            case .failure(StoreError.changedDuringUpdate):
                // An editor saved while we worked: start again from its version, one file at a time.
                result = reconcile(path, mode: .fix)
            case .failure(let error):
                result.action = .error
                result.failure = FileError(error)
            }
            if !keepingContents { (result.original, result.canonical) = (nil, nil) }
            results[index] = result
        }
        return results
    }

    /// What a verdict depends on besides the file: the code that judges it — this binary and every
    /// library mapped executable into it (libyaml, a dynamically linked Swift runtime: an upgrade of one
    /// may judge differently) — the limits and the schema. Verdicts recorded under another context are
    /// not used. Nil when the code cannot be identified: then no verdict is kept.
    var verdictContext: String? {
        guard let maps = SmallFiles.contents("/proc/self/maps") else { return nil }
        var objects: [String] = []
        for line in maps.split(separator: 0x0A) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1].contains(UInt8(ascii: "x")), fields[5].first == UInt8(ascii: "/") else { continue }
            let path = String(decoding: line[fields[5].startIndex...], as: UTF8.self)
            if !objects.contains(path) { objects.append(path) }
        }
        guard !objects.isEmpty else { return nil }
        var code: [String] = []
        for object in objects.sorted() {
            guard let id = (try? Sys.stat(object))?.identity else { return nil }
            code.append("\(id.device):\(id.inode):\(id.size):\(id.modificationTimeNanoseconds):\(id.changeTimeNanoseconds)")
        }
        let l = configuration.limits
        return "code \(VerdictCache.hex(VerdictCache.fnv1a(Array(code.joined(separator: ",").utf8)))) limits \(l.maxBytes),\(l.maxDepth),\(l.maxAliasNodes),\(l.maxNodes),\(l.maxDiagnostics) schema \(schemaDigest)"
    }

    /// One processor per core for a run of many files, each with its own copy of the compiled schema:
    /// threads sharing one schema bounced its objects' reference counts between cores (check of 10,000
    /// specs: 7 % more CPU time and wall time). A copy costs about a millisecond, so small runs share
    /// `processor`.
    func workerProcessors(for fileCount: Int) -> [SpecProcessor] {
        let workers = Sys.processorCount
        guard fileCount >= 256, workers > 1 else { return [processor] }
        return [processor] + (1..<workers).map { _ in
            SpecProcessor(validator: schema.independentCopy(), limits: configuration.limits)
        }
    }

    public func reconcile(_ path: String, mode: Mode) -> FileResult {
        reconcile(path, mode: mode, using: processor)
    }

    private func reconcile(_ path: String, mode: Mode, using processor: SpecProcessor) -> FileResult {
        // A save by an editor that ignores our lock can land between our read and our write; the
        // compare-and-exchange then refuses to overwrite it, and we start again from the new content.
        var attempts = 0
        while true {
            let snapshot: FileSnapshot
            do {
                snapshot = try store.read(path)
            } catch {
                return readFailure(path: path, error)
            }
            var result = evaluate(path: path, bytes: snapshot.bytes, using: processor)
            guard mode == .fix, result.action == .notCanonical, let canonical = result.canonical else { return result }
            do {
                switch try store.replaceIfUnchanged(path, expected: snapshot, with: canonical, keepDisplaced: false) {
                case .replaced:
                    result.action = .normalized
                    return result
                case .conflict:
                    attempts += 1
                    if attempts < 5 { continue }
                    result.action = .error
                    result.failure = FileError(kind: .keepsChanging,
                                               message: "\(path) keeps changing while being formatted; left as the other writer saved it")
                    return result
                }
            } catch {
                result.action = .error
                result.failure = FileError(error)
                return result
            }
        }
    }

    /// The result for a file that could not be read: over the size limit is a finding about the file
    /// (invalid, the same diagnostic as for any input over `max_file_bytes`), anything else an error.
    public func readFailure(path: String, _ error: Error) -> FileResult {
        if case StoreError.fileTooLarge(_, let size, let limit) = error {
            return FileResult(path: path, action: .invalid, diagnostics: [.tooLarge(size: size, limit: limit)],
                              wasCanonical: false)
        }
        return FileResult(path: path, action: .error, diagnostics: [], wasCanonical: false, failure: FileError(error))
    }

    public enum StandardInput {
        case bytes([UInt8])
        /// Over the size limit (reading stopped there) or unreadable; the result says which.
        case rejected(FileResult)
    }

    /// stdin for `fmt -` and `write`: never more than `max_file_bytes` + 1 bytes are read, and a
    /// redirected regular file over the limit is refused by its size, unread.
    public func readStandardInput(name: String) -> StandardInput {
        let limit = configuration.limits.maxBytes
        do {
            switch try BoundedRead.standardInput(limit: limit) {
            case .bytes(let bytes): return .bytes(bytes)
            case .tooLarge(let size):
                return .rejected(readFailure(path: name, StoreError.fileTooLarge(path: name, size: size, limit: limit)))
            }
        } catch {
            return .rejected(FileResult(path: name, action: .error, diagnostics: [], wasCanonical: false,
                                        failure: FileError(kind: .standardInput, message: "cannot read standard input: \(error)",
                                                           errno: error.errno)))
        }
    }

    /// Validation and canonical form of some bytes, without touching disk.
    public func evaluate(path: String, bytes: [UInt8]) -> FileResult {
        evaluate(path: path, bytes: bytes, using: processor)
    }

    func evaluate(path: String, bytes: [UInt8], using processor: SpecProcessor) -> FileResult {
        let analysis = processor.analyze(bytes)
        let canonical = analysis.isCanonical(bytes)
        let action: FileResult.Action = !analysis.isValid ? .invalid : (canonical ? .unchanged : .notCanonical)
        return FileResult(path: path, action: action, diagnostics: analysis.diagnostics, wasCanonical: canonical,
                          original: bytes, canonical: analysis.canonical)
    }

    /// `specsync write`: validate new content and replace the file with its canonical form, under the lock.
    /// With a `tree`, a path that resolves outside it is not written (`TreeBoundary`): an error result.
    public func write(_ path: String, content: [UInt8], tree: String? = nil) -> FileResult {
        var result = evaluate(path: path, bytes: content)
        if content.isEmpty {
            result.action = .invalid
            result.diagnostics = [Diagnostic(kind: .syntax, line: 1, column: 1, pointer: "",
                                             message: "empty input; refusing to replace the file with nothing")]
        }
        guard result.action != .invalid, let canonical = result.canonical else { return result }
        if let tree, let resolved = TreeBoundary.outside(path, tree: tree) {
            result.action = .error
            result.failure = FileError(kind: .outsideTree,
                                       message: TreeBoundary.refusal(path, resolved: resolved, tree: tree, outcome: "not written", flagHint: true))
            return result
        }
        do {
            _ = try store.replace(path, with: canonical)
            result.action = .normalized
        } catch {
            result.action = .error
            result.failure = FileError(error)
        }
        return result
    }
}
