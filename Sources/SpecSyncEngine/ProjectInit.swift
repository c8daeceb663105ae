/// `specsync init`: what a project starting to use specsync needs, each step idempotent and never
/// replacing content that is already there.
public struct ProjectInitializer {
    /// Lines the specs folder's `.gitignore` needs: the lock sidecars every writer creates and never
    /// deletes (`TAND-004.yaml.lock`), and temporary files a crash can leave behind.
    public static let ignoredPatterns = ["*.yaml.lock", "*.yml.lock", ".specsync-tmp-*"]
    static let ignoreHeader = "# specsync and Tandemonium writers: lock sidecars and crash leftovers"

    public enum Step: Sendable, Equatable {
        case wroteConfiguration(path: String)
        case keptConfiguration(path: String)
        case createdSpecsFolder(path: String)
        case addedIgnorePatterns(path: String, patterns: [String])
        case ignoreComplete(path: String)
        case hook(HookInstaller.Outcome)
        case mergeDriver(MergeDriverInstaller.Outcome)
        case noGitWorkTree
    }

    public struct Report: Sendable {
        public var projectRoot: String
        public var specsDirectory: String
        public var specsDirectoryOrigin: SpecsDirectoryOrigin
        public var steps: [Step]
    }

    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    /// Sets up the project the configuration belongs to (or, without a configuration file, the one found
    /// from `directory`: the folder holding the specs folder, else the git work tree's top, else `directory`).
    public func run(from directory: String, executable: String) throws(EngineError) -> Report {
        let configuration = engine.configuration
        let git = Git(workingDirectory: directory)
        let topLevel = try? git.topLevel()
        let root: String
        if let source = configuration.source {
            root = PathNames.parent(source)
        } else if case .discovered(exists: true) = configuration.specsDirectoryOrigin {
            root = configuration.projectRoot
        } else {
            root = topLevel ?? directory
        }
        // Found again from the chosen root: without a specs folder the root may have moved up to git's top.
        let specs = configuration.source == nil ? Configuration.discoverSpecsDirectory(under: root).path : configuration.specsDirectory
        var steps: [Step] = []

        let configPath = PathNames.appending(root, Configuration.fileName)
        if SmallFiles.exists(configPath) {
            steps.append(.keptConfiguration(path: configPath))
        } else {
            let found = PathNames.relative(specs, to: root) ?? specs
            try write(configPath, Self.configurationText(specsFolder: found))
            steps.append(.wroteConfiguration(path: configPath))
        }

        if !SmallFiles.exists(specs) {
            do { try SmallFiles.createDirectories(specs) } catch {
                throw .file(action: "create the specs folder", path: specs, cause: FileError(error))
            }
            steps.append(.createdSpecsFolder(path: specs))
        }

        let ignorePath = PathNames.appending(specs, ".gitignore")
        let existing = SmallFiles.contents(ignorePath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let present = Set(existing.split(separator: "\n").map { $0.trimmingWhitespace() })
        let missing = Self.ignoredPatterns.filter { !present.contains($0) }
        if missing.isEmpty {
            steps.append(.ignoreComplete(path: ignorePath))
        } else {
            var text = existing
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            if !present.contains(Self.ignoreHeader) { text += Self.ignoreHeader + "\n" }
            text += missing.map { $0 + "\n" }.joined()
            try write(ignorePath, text)
            steps.append(.addedIgnorePatterns(path: ignorePath, patterns: missing))
        }

        if topLevel != nil {
            steps.append(.hook(try HookInstaller(engine: engine).install(executable: executable, workingDirectory: root)))
            steps.append(.mergeDriver(try MergeDriverInstaller(engine: engine).install(executable: executable, specsDirectory: specs, workingDirectory: root)))
        } else {
            steps.append(.noGitWorkTree)
        }
        // The folder exists now (found, or created above).
        var origin = configuration.specsDirectoryOrigin
        if case .discovered = origin { origin = .discovered(exists: true) }
        return Report(projectRoot: root, specsDirectory: specs, specsDirectoryOrigin: origin, steps: steps)
    }

    /// The shipped defaults with a note on the folder found now; `specs_dir: null` keeps finding it as
    /// Coldwine does, should the project move from .tandemonium/specs to .coldwine/tasks.
    static func configurationText(specsFolder: String) -> String {
        DefaultConfiguration.yaml.replacingEvery(
            "\nspecs_dir: null\n",
            with: "\nspecs_dir: null  # today: \(specsFolder) (written by specsync init)\n")
    }

    /// The systemd user unit, run by `executable`.
    public static func serviceUnit(executable: String) -> String {
        ServiceUnit.text.replacingEvery("ExecStart=/usr/local/bin/specsync watch", with: "ExecStart=\(executable) watch")
    }

    private func write(_ path: String, _ text: String) throws(EngineError) {
        do { _ = try engine.store.replaceUnlocked(path, with: Array(text.utf8)) } catch {
            throw .file(action: "write it", path: path, cause: FileError(error))
        }
    }
}
