import SpecSyncCore
import SpecSyncStore
import SpecSyncSys

/// The few git questions specsync asks, answered by running git.
public struct Git: Sendable {
    public let workingDirectory: String
    /// The git to run, looked up on PATH unless it is a path.
    public let executable: String

    public init(workingDirectory: String, executable: String = "git") {
        self.workingDirectory = workingDirectory
        self.executable = executable
    }

    /// Runs git with `arguments`; returns stdout or throws with git's stderr.
    @discardableResult
    public func run(_ arguments: [String], input: [UInt8]? = nil) throws(EngineError) -> [UInt8] {
        let result = try execute(arguments, input: input)
        guard result.status == 0 else {
            let message = String(decoding: result.stderr, as: UTF8.self).trimmingWhitespaceAndNewlines()
            throw .git(command: arguments.first ?? "", status: result.status, message: "git \(arguments.first ?? "") failed: \(message)")
        }
        return result.stdout
    }

    /// Runs git and returns its exit status with both outputs, for commands whose status is an answer
    /// (`merge-file` counts conflicts, `config --get` says whether a key is set).
    public func execute(_ arguments: [String], input: [UInt8]? = nil) throws(EngineError) -> (status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        do {
            let result = try Sys.runProcess("/usr/bin/env", [executable] + arguments, workingDirectory: workingDirectory, input: input)
            return (result.status, result.stdout, result.stderr)
        } catch { throw .git(command: arguments.first ?? "", status: nil, message: "cannot run git: \(error)") }
    }

    public func topLevel() throws(EngineError) -> String {
        String(decoding: try run(["rev-parse", "--show-toplevel"]), as: UTF8.self).trimmingNewlines()
    }

    /// Paths (relative to the top level) of files added, copied, modified or renamed in the index.
    public func stagedPaths() throws(EngineError) -> [String] {
        try run(["diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z"])
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The staged (index) content of each path: sizes first (`cat-file --batch-check`), then the blobs
    /// within `limit` in one `cat-file --batch` round trip, so an oversized blob is never read.
    public func stagedContents(_ paths: [String], limit: Int) throws(EngineError) -> [BoundedInput] {
        guard !paths.isEmpty else { return [] }
        let sizes = try objectSizes(paths)
        let small = paths.indices.filter { sizes[$0] <= Int64(limit) }
        let request = small.map { ":" + paths[$0] + "\n" }.joined()
        let out = small.isEmpty ? [] : try run(["cat-file", "--batch"], input: Array(request.utf8))
        var contents = sizes.map { BoundedInput.tooLarge(size: $0) }
        var i = 0
        for index in small {
            let path = paths[index]
            guard let newline = out[i...].firstIndex(of: 0x0A) else { throw .git(command: "cat-file", status: nil, message: "short answer from cat-file for \(path)") }
            let header = String(decoding: out[i..<newline], as: UTF8.self).split(separator: " ")
            guard header.count == 3, let size = Int(header[2]), size <= limit, newline + 1 + size <= out.count else {
                throw .git(command: "cat-file", status: nil, message: "cannot read the staged content of \(path)")
            }
            contents[index] = .bytes(Array(out[(newline + 1)..<(newline + 1 + size)]))
            i = newline + 1 + size + 1
        }
        return contents
    }

    /// Staged paths (relative to the top level) that are symlinks (mode 120000): their blob is the link text.
    /// By bytes: a regular file spelled like a link (Unicode normalization) is not one.
    public func stagedSymlinks() throws(EngineError) -> Set<PathKey> {
        let fields = try run(["diff", "--cached", "--raw", "-z", "--diff-filter=ACMR"])
            .split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var links: Set<PathKey> = []
        var i = 0
        while i < fields.count {
            let header = fields[i].split(separator: " ")
            guard fields[i].hasPrefix(":"), header.count >= 5 else { i += 1; continue }
            // Renames and copies name the source, then the destination.
            let pathCount = header[4].hasPrefix("R") || header[4].hasPrefix("C") ? 2 : 1
            if header[1] == "120000", i + pathCount < fields.count { links.insert(PathKey(fields[i + pathCount])) }
            i += 1 + pathCount
        }
        return links
    }

    /// Sizes of the staged blobs, in the order of `paths`.
    private func objectSizes(_ paths: [String]) throws(EngineError) -> [Int64] {
        let request = paths.map { ":" + $0 + "\n" }.joined()
        let lines = try run(["cat-file", "--batch-check"], input: Array(request.utf8)).split(separator: 0x0A)
        guard lines.count == paths.count else { throw .git(command: "cat-file", status: nil, message: "short answer from cat-file --batch-check") }
        var sizes: [Int64] = []
        for (path, line) in zip(paths, lines) {
            let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
            guard fields.count == 3, let size = Int64(fields[2]) else {
                throw .git(command: "cat-file", status: nil, message: "cannot find the staged content of \(path)")
            }
            sizes.append(size)
        }
        return sizes
    }

    /// Where git looks for hooks (honours core.hooksPath), absolute.
    public func hooksDirectory() throws(EngineError) -> String {
        let path = String(decoding: try run(["rev-parse", "--git-path", "hooks"]), as: UTF8.self).trimmingNewlines()
        return path.isAbsolutePath ? path : PathNames.appending(workingDirectory, path)
    }
}

/// `check --staged`: what would be committed, not what is in the working tree.
public struct StagedFiles {
    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    public func check() throws(EngineError) -> [FileResult] {
        let git = Git(workingDirectory: Sys.currentDirectory())
        let top = try git.topLevel()
        let specsDir = engine.configuration.specsDirectory
        let resolvedSpecs = PathNames.resolvingSymlinks(specsDir)
        let candidates = try git.stagedPaths().filter { relative in
            let absolute = PathNames.appending(top, relative)
            for dir in [specsDir, resolvedSpecs] {
                if let inside = PathNames.relative(absolute, to: dir) { return engine.filter.isSpec(relativePath: inside) }
            }
            return false
        }
        let limit = engine.configuration.limits.maxBytes
        let contents = try git.stagedContents(candidates, limit: limit)
        let links = try git.stagedSymlinks()
        return zip(candidates, contents).map { relative, content in
            let path = PathNames.appending(top, relative)
            switch content {
            case .bytes(let bytes) where links.contains(PathKey(relative)):
                return checkLink(path, relative: relative, text: String(decoding: bytes, as: UTF8.self), top: top, git: git)
            case .bytes(let bytes): return engine.evaluate(path: path, bytes: bytes)
            case .tooLarge(let size):
                return engine.readFailure(path: path, StoreError.fileTooLarge(path: path, size: size, limit: limit))
            }
        }
    }

    /// A staged symlink's blob is its target's name, not a spec. A target in the work tree is checked
    /// by its staged content; one outside (which the commit does not contain) as it is on disk, and
    /// said so — the watcher's rule, with the git work tree as the tree.
    private func checkLink(_ path: String, relative: String, text: String, top: String, git: Git) -> FileResult {
        let limit = engine.configuration.limits.maxBytes
        let absolute = text.isAbsolutePath ? PathNames.standardized(text) : nil
        let inTree = absolute.map { PathNames.relative($0, to: top) }
            ?? Self.inside(link: relative, target: text)
        if let target = inTree {
            let targetPath = PathNames.appending(top, target)
            do {
                switch try git.stagedContents([target], limit: limit).first {
                case .bytes(let bytes)?: return engine.evaluate(path: path, bytes: bytes)
                case .tooLarge(let size)?:
                    return engine.readFailure(path: path, StoreError.fileTooLarge(path: path, size: size, limit: limit))
                case nil: break
                }
            } catch {}
            return FileResult(path: path, action: .error, diagnostics: [], wasCanonical: false,
                              failure: FileError(kind: .notFound, message: "\(path) is a symlink to \(targetPath), which is not in the index; stage it too"))
        }
        let resolved = text.isAbsolutePath ? text : PathNames.appending(PathNames.parent(PathNames.appending(top, relative)), text)
        var result = engine.reconcile(path, mode: .check)
        result.notWritten = TreeBoundary.refusal(path, resolved: PathNames.standardized(resolved), tree: top,
                                                 outcome: "the commit stores only the link; checked as it is on disk", flagHint: false)
        return result
    }

    /// The link's target relative to the top level, or nil when it leads outside the work tree
    /// (absolute, or more `..` than directories).
    static func inside(link relative: String, target: String) -> String? {
        guard !target.isAbsolutePath else { return nil }
        var parts = Array(FileName.components(relative).dropLast())
        for component in FileName.components(target) {
            switch component {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(component))
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }
}

/// Installs `specsync check --staged` as the repository's pre-commit hook without clobbering one
/// that is already there: an existing hook is kept and run first.
public struct HookInstaller {
    public static let marker = "# installed by specsync install-hook"

    public enum Outcome: Sendable, Equatable {
        case installed(path: String)
        case installedChaining(path: String, previous: String)
        case alreadyInstalled(path: String)
    }

    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    public func install(executable: String,
                        workingDirectory: String = Sys.currentDirectory()) throws(EngineError) -> Outcome {
        let git = Git(workingDirectory: workingDirectory)
        let hooks = try git.hooksDirectory()
        let hook = PathNames.appending(hooks, "pre-commit")
        let chained = hook + ".before-specsync"
        var previous: String?
        if let existing = SmallFiles.contents(hook) {
            if String(decoding: existing, as: UTF8.self).contains(Self.marker) { return .alreadyInstalled(path: hook) }
            guard !SmallFiles.exists(chained) else {
                throw .file(action: "move the existing hook aside", path: hook,
                            cause: FileError(kind: .other, message: "\(chained) exists too; move one of them away, then run install-hook again"))
            }
            do { try Sys.rename(hook, chained) } catch {
                throw .file(action: "move the existing hook to \(chained)", path: hook, cause: FileError(error))
            }
            previous = chained
        }
        do { try SmallFiles.createDirectories(hooks) } catch {
            throw .file(action: "create the hooks folder", path: hooks, cause: FileError(error))
        }
        let script = """
            #!/bin/sh
            \(Self.marker)
            # Runs the hook that was here before (if any), then checks the staged specs.
            hook_dir=$(dirname "$0")
            if [ -x "$hook_dir/pre-commit.before-specsync" ]; then
                "$hook_dir/pre-commit.before-specsync" "$@" || exit $?
            fi
            SPECSYNC="${SPECSYNC:-\(executable)}"
            command -v "$SPECSYNC" >/dev/null 2>&1 || SPECSYNC=specsync
            exec "$SPECSYNC" check --staged

            """
        do {
            _ = try engine.store.replace(hook, with: Array(script.utf8))
            try Sys.chmod(hook, 0o755)
        } catch {
            throw .file(action: "write the hook", path: hook, cause: FileError(error))
        }
        if let previous { return .installedChaining(path: hook, previous: previous) }
        return .installed(path: hook)
    }
}
