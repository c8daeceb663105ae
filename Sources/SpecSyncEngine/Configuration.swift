import SpecSyncCore
import SpecSyncSys

public enum StartupPolicy: String, Sendable, CaseIterable {
    case fix, check, off
}

/// Everything specsync needs to know about a project, resolved to absolute paths.
public struct Configuration: Sendable, Equatable {
    /// Directory that relative paths in the configuration are resolved against.
    public var projectRoot: String
    public var specsDirectory: String
    /// Why `specsDirectory` is the one: configured, or found the way Coldwine looks for it.
    public var specsDirectoryOrigin: SpecsDirectoryOrigin
    public var include: [String]
    public var exclude: [String]
    /// Absolute path of the schema file, or nil for the built-in task-spec schema.
    public var schemaPath: String?
    public var lockTimeout: Duration
    public var settle: Duration
    public var startup: StartupPolicy
    public var limits: ParseLimits
    /// The file the settings came from (nil: built-in defaults only).
    public var source: String?
}

/// How the specs folder was chosen (shown in the watcher's ready line, `init` and `--help`).
public enum SpecsDirectoryOrigin: Sendable, Equatable, CustomStringConvertible {
    /// `specs_dir` in this configuration file.
    case configured(file: String)
    /// `specs_dir: null` (the default): the first of `Configuration.specsDirectoryCandidates` that exists,
    /// or the last one when none does.
    case discovered(exists: Bool)

    public var description: String {
        switch self {
        case .configured(let file): return "specs_dir in \(file)"
        case .discovered(true): return "found: " + Configuration.discoveryRule
        case .discovered(false): return "not created yet; " + Configuration.discoveryRule
        }
    }
}

public enum ConfigurationError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case invalid(path: String, line: Int, column: Int, message: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read configuration: \(reason)"
        case .invalid(let path, let line, let column, let message):
            return "\(path):\(line):\(column): error: \(message)"
        }
    }
}

extension Configuration {
    public static let fileName = ".specsync.yaml"

    /// Where Tandemonium's Go tools (Coldwine) keep specs, in the order they look: `.coldwine/tasks`
    /// when it exists, else `.tandemonium/specs`.
    public static let specsDirectoryCandidates = [".coldwine/tasks", ".tandemonium/specs"]
    static let discoveryRule = ".coldwine/tasks if it exists, else .tandemonium/specs"

    /// The specs folder under `root` the way Coldwine finds it.
    static func discoverSpecsDirectory(under root: String) -> (path: String, exists: Bool) {
        // A plain stat first: standardizing resolves symlinks component by component, which only the
        // folder found needs (this runs at every start, an editor's `fmt -` included).
        for candidate in specsDirectoryCandidates where isDirectory(PathNames.appending(root, candidate)) {
            return (absolute(candidate, relativeTo: root), true)
        }
        return (absolute(specsDirectoryCandidates[specsDirectoryCandidates.count - 1], relativeTo: root), false)
    }

    /// Without a configuration file: the nearest directory from `directory` upwards (stopping at the top
    /// of a git work tree) that holds one of the specs folders, as Coldwine finds its project root;
    /// `directory` itself when none does.
    static func projectRootWithoutConfigFile(from directory: String) -> String {
        var dir = PathNames.standardized(directory)
        while true {
            if specsDirectoryCandidates.contains(where: { isDirectory(PathNames.appending(dir, $0)) }) { return dir }
            if SmallFiles.exists(PathNames.appending(dir, ".git")) { break }
            let parent = PathNames.parent(dir)
            if parent == dir || parent.isEmpty { break }
            dir = parent
        }
        return PathNames.standardized(directory)
    }

    private static func isDirectory(_ path: String) -> Bool {
        DirectoryListing.isDirectory(path)
    }

    /// Finds `.specsync.yaml` in `directory` or the nearest parent (stopping at a git work tree's top),
    /// or uses `explicitPath`. Without a file, the defaults apply with `directory` as the project root.
    public static func load(explicitPath: String? = nil, from directory: String) throws(ConfigurationError) -> Configuration {
        let path = explicitPath.map { absolute($0, relativeTo: directory) } ?? findConfigFile(from: directory)
        // Relative settings (specs_dir, schema) are relative to the directory holding the configuration file.
        let root = path.map { PathNames.parent($0) } ?? projectRootWithoutConfigFile(from: directory)
        let defaults = builtInDefaults(projectRoot: root)
        guard let path else { return defaults }
        let data: [UInt8]
        switch SettingsFile.read(path, limit: SettingsFile.configurationLimit) {
        case .success(let bytes): data = bytes
        case .failure(let error): throw .unreadable(path: path, reason: error.reason)
        }
        var config = try parse(data, path: path, projectRoot: root, onto: defaults)
        config.source = path
        return config
    }

    /// config/specsync.yaml's settings as a value: parsing that text on every start cost an editor's
    /// `fmt -` a tenth of its start-up. `ConfigurationTests` keeps the two the same.
    static func builtInDefaults(projectRoot: String) -> Configuration {
        let found = discoverSpecsDirectory(under: projectRoot)
        return Configuration(projectRoot: projectRoot, specsDirectory: found.path,
                             specsDirectoryOrigin: .discovered(exists: found.exists),
                             include: ["**/*.yaml", "**/*.yml"], exclude: [], schemaPath: nil,
                             lockTimeout: .milliseconds(10_000), settle: .milliseconds(50), startup: .fix,
                             limits: ParseLimits(),
                             source: nil)
    }

    static func findConfigFile(from directory: String) -> String? {
        var dir = PathNames.standardized(directory)
        while true {
            let candidate = PathNames.appending(dir, fileName)
            if SmallFiles.exists(candidate) { return candidate }
            if SmallFiles.exists(PathNames.appending(dir, ".git")) { return nil }
            let parent = PathNames.parent(dir)
            if parent == dir || parent.isEmpty { return nil }
            dir = parent
        }
    }

    /// Applies the settings in `bytes` on top of `base` (nil: every key is required — the defaults file).
    static func parse(_ bytes: [UInt8], path: String, projectRoot: String, onto base: Configuration?) throws(ConfigurationError) -> Configuration {
        let document: YAMLDocument
        switch YAMLParser.parse(bytes, limits: ParseLimits(maxBytes: SettingsFile.configurationLimit, maxDepth: 16, maxAliasNodes: 0)) {
        case .failure(let diagnostics):
            let d = diagnostics[0]
            throw .invalid(path: path, line: d.line, column: d.column, message: d.message)
        case .document(let doc):
            if let d = doc.diagnostics.first { throw .invalid(path: path, line: d.line, column: d.column, message: d.message) }
            document = doc
        }
        var config = base ?? Configuration(projectRoot: projectRoot, specsDirectory: projectRoot,
                                           specsDirectoryOrigin: .discovered(exists: false), include: [], exclude: [],
                                           schemaPath: nil, lockTimeout: .seconds(10), settle: .milliseconds(50),
                                           startup: .fix, limits: ParseLimits(), source: nil)
        if case .scalar(let s) = document.root.kind, s.value == .null { return config }  // empty file: all defaults
        guard let entries = document.root.mappingEntries else {
            throw .invalid(path: path, line: document.root.start.line, column: document.root.start.column,
                           message: "the configuration must be a mapping of settings")
        }
        func fail(_ node: Node, _ message: String) -> ConfigurationError {
            .invalid(path: path, line: node.start.line, column: node.start.column, message: message)
        }
        func string(_ node: Node, _ key: String) throws(ConfigurationError) -> String {
            guard case .string(let s) = node.json, !s.isEmpty else { throw fail(node, "\(key) must be a non-empty string") }
            return s
        }
        func milliseconds(_ node: Node, _ key: String, max: Int) throws(ConfigurationError) -> Duration {
            guard case .integer(let ms) = node.json, ms >= 0, ms <= max else {
                throw fail(node, "\(key) must be a whole number of milliseconds between 0 and \(max)")
            }
            return .milliseconds(ms)
        }
        func positive(_ node: Node, _ key: String) throws(ConfigurationError) -> Int {
            guard case .integer(let n) = node.json, n > 0 else { throw fail(node, "\(key) must be a positive integer") }
            return n
        }
        func globs(_ node: Node, _ key: String) throws(ConfigurationError) -> [String] {
            guard case .sequence(let items) = node.kind else { throw fail(node, "\(key) must be a list of glob patterns") }
            var out: [String] = []
            for item in items { out.append(try string(item, key)) }
            return out
        }
        var seen = Set<String>()
        let known = "specs_dir, include, exclude, schema, lock_timeout_ms, settle_ms, startup, limits"
        for entry in entries {
            let key = entry.keyText
            let value = entry.value
            seen.insert(key)
            switch key {
            case "specs_dir":
                if value.json == .null {
                    let found = discoverSpecsDirectory(under: projectRoot)
                    config.specsDirectory = found.path
                    config.specsDirectoryOrigin = .discovered(exists: found.exists)
                } else {
                    config.specsDirectory = absolute(try string(value, key), relativeTo: projectRoot)
                    config.specsDirectoryOrigin = .configured(file: path)
                }
            case "include": config.include = try globs(value, key)
            case "exclude": config.exclude = try globs(value, key)
            case "schema":
                if value.json == .null { config.schemaPath = nil }
                else { config.schemaPath = absolute(try string(value, key), relativeTo: projectRoot) }
            case "lock_timeout_ms": config.lockTimeout = try milliseconds(value, key, max: 3_600_000)
            case "settle_ms": config.settle = try milliseconds(value, key, max: 60_000)
            case "startup":
                let raw = try string(value, key)
                guard let policy = StartupPolicy(rawValue: raw) else {
                    throw fail(value, "startup must be one of: fix, check, off (got \"\(raw)\")")
                }
                config.startup = policy
            case "limits":
                guard let limitEntries = value.mappingEntries else { throw fail(value, "limits must be a mapping") }
                for limit in limitEntries {
                    switch limit.keyText {
                    case "max_file_bytes": config.limits.maxBytes = try positive(limit.value, "limits.max_file_bytes")
                    case "max_depth":
                        // Bounded: the tree is walked recursively on worker threads with small stacks.
                        let depth = try positive(limit.value, "limits.max_depth")
                        guard depth <= ParseLimits.maxSupportedDepth else {
                            throw fail(limit.value, "limits.max_depth must be at most \(ParseLimits.maxSupportedDepth)")
                        }
                        config.limits.maxDepth = depth
                    case "max_alias_nodes":
                        guard case .integer(let n) = limit.value.json, n >= 0 else {
                            throw fail(limit.value, "limits.max_alias_nodes must be an integer ≥ 0")
                        }
                        config.limits.maxAliasNodes = n
                    case "max_nodes": config.limits.maxNodes = try positive(limit.value, "limits.max_nodes")
                    case "max_diagnostics": config.limits.maxDiagnostics = try positive(limit.value, "limits.max_diagnostics")
                    default:
                        throw fail(limit.key, "unknown setting limits.\(limit.keyText) (known: max_file_bytes, max_depth, max_alias_nodes, max_nodes, max_diagnostics)")
                    }
                }
            default:
                throw fail(entry.key, "unknown setting \"\(key)\" (known: \(known))")
            }
        }
        if base == nil {
            let missing = ["specs_dir", "include", "exclude", "schema", "lock_timeout_ms", "settle_ms", "startup", "limits"].filter { !seen.contains($0) }
            if !missing.isEmpty { throw .invalid(path: path, line: 1, column: 1, message: "defaults lack \(missing.joined(separator: ", "))") }
        }
        return config
    }
}

func absolute(_ path: String, relativeTo base: String) -> String {
    let joined = path.isAbsolutePath ? path : PathNames.appending(base, path)
    return PathNames.standardized(joined)
}
