#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys
import SpecSyncCore
import SpecSyncStore

/// `specsync merge BASE OURS THEIRS [PATH]`, git's merge-driver protocol (`%O %A %B %P`): merges the
/// three versions of a spec by structure and leaves the result in OURS, through the store's durable
/// write. Specs it cannot read (conflict markers, binary, over the limits, not YAML) are merged by
/// git's own text merge, `git merge-file`, so the driver is never worse than git without it.
public struct MergeDriver {
    public struct Report: Sendable {
        public enum Method: Sendable, Equatable {
            case structural
            /// `git merge-file`, because this side could not be read as a spec.
            case text(unreadable: SpecMerge.Side)
        }

        public var method: Method
        /// True when OURS holds a clean merge (git then stages it).
        public var clean: Bool
        public var conflicts: [SpecMerge.Conflict]
        /// Why the structural merge was refused (the merged spec would be invalid), or why a side
        /// could not be read.
        public var diagnostics: [Diagnostic]
        /// Conflict blocks written (structural or text).
        public var conflictBlocks: Int
    }

    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    public func merge(base: String, ours: String, theirs: String,
                      workingDirectory: String = Sys.currentDirectory()) throws(EngineError) -> Report {
        let sides = [(SpecMerge.Side.base, base), (.ours, ours), (.theirs, theirs)]
        var contents: [[UInt8]] = []
        var tooLarge: (SpecMerge.Side, Diagnostic)?
        for (side, path) in sides {
            switch try read(path) {
            case .bytes(let bytes): contents.append(bytes)
            case .tooLarge(let diagnostic):
                contents.append([])
                if tooLarge == nil { tooLarge = (side, diagnostic) }
            }
        }
        let oursBytes = contents[1]
        let outcome = tooLarge.map { SpecMerge.Outcome.unreadable($0.0, [$0.1]) }
            ?? SpecMerge.merge(base: contents[0], ours: contents[1], theirs: contents[2], processor: engine.processor)
        let report: Report
        let result: [UInt8]
        switch outcome {
        case .merged(let bytes):
            result = bytes
            report = Report(method: .structural, clean: true, conflicts: [], diagnostics: [], conflictBlocks: 0)
        case .conflicted(let bytes, let conflicts, let diagnostics):
            result = bytes
            report = Report(method: .structural, clean: false, conflicts: conflicts, diagnostics: diagnostics,
                            conflictBlocks: ConflictMarkers.find(in: bytes).filter { $0.marker.hasPrefix("<") }.count)
        case .unreadable(let side, let diagnostics):
            let text = try textMerge(base: base, ours: ours, theirs: theirs, workingDirectory: workingDirectory)
            guard let merged = text.bytes else {
                // git could not merge them either (binary): OURS stays as it is, and it is a conflict.
                return Report(method: .text(unreadable: side), clean: false, conflicts: [], diagnostics: diagnostics, conflictBlocks: 0)
            }
            result = merged
            // A text merge git calls clean is clean here only when it is a valid spec (not, say, a side
            // committed with conflict markers): never a clean exit with an invalid spec.
            let markers = ConflictMarkers.find(in: merged).filter { $0.marker.hasPrefix("<") }.count
            let analysis = engine.processor.analyze(merged)
            report = Report(method: .text(unreadable: side), clean: text.conflicts == 0 && analysis.isValid, conflicts: [],
                            diagnostics: text.conflicts == 0 && !analysis.isValid ? analysis.diagnostics : diagnostics,
                            conflictBlocks: max(markers, text.conflicts))
        }
        if result != oursBytes {
            // Git's temporary OURS file is no spec any writer locks: durable replace without a sidecar
            // (a `.lock` file there would be left in the work tree).
            do { _ = try engine.store.replaceUnlocked(ours, with: result) } catch {
                throw .file(action: "write the merge result", path: ours, cause: FileError(error))
            }
        }
        return report
    }

    /// The file's bytes, or — over `limits.max_file_bytes`, never read — the diagnostic saying so (git's
    /// text merge takes such files).
    private enum Read {
        case bytes([UInt8])
        case tooLarge(Diagnostic)
    }

    private func read(_ path: String) throws(EngineError) -> Read {
        do { return .bytes(try engine.store.read(path).bytes) } catch {
            if case StoreError.fileTooLarge = error {
                return .tooLarge(Diagnostic(kind: .limit, line: 1, column: 1, pointer: "", message: "\(error)"))
            }
            throw .file(action: "read it", path: path, cause: FileError(error))
        }
    }

    /// `git merge-file` in diff3 style, to stdout; nil bytes when git refuses (binary files).
    private func textMerge(base: String, ours: String, theirs: String,
                           workingDirectory: String) throws(EngineError) -> (bytes: [UInt8]?, conflicts: Int) {
        let git = Git(workingDirectory: workingDirectory)
        let labels = ConflictMarkers.Labels()
        let result = try git.execute(["merge-file", "-p", "--diff3", "-L", labels.ours, "-L", labels.base, "-L", labels.theirs,
                                      ours, base, theirs])
        // The status is the number of conflicts (capped at 127); more means git failed.
        guard result.status >= 0 && result.status < 128 else { return (nil, 0) }
        return (result.stdout, Int(result.status))
    }
}

/// Registers `specsync merge` as git's merge driver for the specs folder: `merge.specsync.*` in the
/// repository's configuration and a `.gitattributes` line at the top of the work tree. Idempotent.
public struct MergeDriverInstaller {
    public static let driverName = "specsync"
    public static let description = "specsync: merge task specs by structure"

    public enum Outcome: Sendable, Equatable {
        case registered(attributes: String, patterns: [String])
        case alreadyRegistered(attributes: String)
        /// The specs folder is outside the git work tree: nothing to register.
        case specsOutsideWorkTree
    }

    public let engine: Engine

    public init(engine: Engine) {
        self.engine = engine
    }

    /// The configuration line's command: `specsync merge %O %A %B %P` when `specsync` on PATH is
    /// this executable, else this executable's absolute path.
    public static func driverCommand(executable: String) -> String {
        let onPath = (getenv("PATH").map { String(cString: $0) } ?? "").split(separator: ":").contains { dir in
            let candidate = String(dir) + "/specsync"
            return PathNames.resolvingSymlinks(candidate) == PathNames.resolvingSymlinks(executable)
        }
        let program = onPath ? "specsync" : "'" + executable.replacingEvery("'", with: "'\\''") + "'"
        return program + " merge %O %A %B %P"
    }

    /// Patterns for `.gitattributes`, relative to the work tree's top: every spec under the folder.
    public static func patterns(specsFolder: String) -> [String] {
        ["\(specsFolder)/**/*.yaml merge=\(driverName)", "\(specsFolder)/**/*.yml merge=\(driverName)"]
    }

    public func install(executable: String, specsDirectory: String? = nil,
                        workingDirectory: String = Sys.currentDirectory()) throws(EngineError) -> Outcome {
        let git = Git(workingDirectory: workingDirectory)
        let top = try git.topLevel()
        let specs = PathNames.resolvingSymlinks(specsDirectory ?? engine.configuration.specsDirectory)
        let resolvedTop = PathNames.resolvingSymlinks(top)
        guard let folder = PathNames.relative(specs, to: resolvedTop) else { return .specsOutsideWorkTree }

        var changed = false
        for (key, value) in [("merge.\(Self.driverName).name", Self.description),
                             ("merge.\(Self.driverName).driver", Self.driverCommand(executable: executable))] {
            let current = try git.execute(["config", "--get", key])
            if current.status == 0 && String(decoding: current.stdout, as: UTF8.self).trimmingNewlines() == value {
                continue
            }
            try git.run(["config", key, value])
            changed = true
        }

        let attributes = PathNames.appending(top, ".gitattributes")
        let existing = SmallFiles.contents(attributes).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let present = Set(existing.split(separator: "\n").map { $0.trimmingWhitespace() })
        let missing = Self.patterns(specsFolder: folder).filter { !present.contains($0) }
        if !missing.isEmpty {
            var text = existing
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            text += "# specs merge by structure (specsync merge; see `git config merge.specsync.driver`)\n"
            text += missing.map { $0 + "\n" }.joined()
            do { _ = try engine.store.replaceUnlocked(attributes, with: Array(text.utf8)) } catch {
                throw .file(action: "write it", path: attributes, cause: FileError(error))
            }
            return .registered(attributes: attributes, patterns: missing)
        }
        return changed ? .registered(attributes: attributes, patterns: []) : .alreadyRegistered(attributes: attributes)
    }
}
