import ArgumentParser
import SpecSyncEngine

/// Flags every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (default: .specsync.yaml in this directory or a parent).")
    var config: String?

    @Option(name: .long, help: "JSON Schema (JSON or YAML) to validate against, overriding the configuration.")
    var schema: String?

    /// Argument help naming the folder used when no path is given, as found from here.
    static func specsFolderHelp(_ subject: String) -> ArgumentHelp {
        let rule = "specs_dir in .specsync.yaml, else \(Configuration.specsDirectoryCandidates.joined(separator: " if it exists, else "))"
        // The argument parser builds this text for every run (each time it makes the command), but
        // shows it only for help, the man page and completions: finding the folder costs a
        // configuration load, a good part of `check`'s start-up, so it is done only for those.
        let here = !mayShowArgumentHelp ? "" : (try? Configuration.load(from: ProcessContext.currentDirectory))
            .map { "; here: \(Terminal.display($0.specsDirectory))" } ?? ""
        return ArgumentHelp("\(subject) (default: the specs folder — \(rule)\(here)).")
    }

    /// Whether the arguments ask for something that prints argument help: --help/-h/help, the dump
    /// generate-manual reads, or completion scripts (zsh and fish carry the help text).
    static let mayShowArgumentHelp = CommandLine.arguments.dropFirst().contains { argument in
        ["-h", "--help", "-help", "help", "--help-hidden", "--experimental-dump-help"].contains(argument)
            || argument.hasPrefix("--generate-completion-script")
    }

    static let duringGitOperationHelp = ArgumentHelp(
        "Write even while git is mid-operation (rebase, merge, cherry-pick, am, revert, bisect) in the repository.")

    /// Exits 2 (with what git is doing and how to finish it) when a git operation is under way in the
    /// repository of the files to be written.
    static func refuseDuringGitOperation(paths: [String], engine: Engine) throws {
        let directories = (paths.isEmpty ? [engine.configuration.specsDirectory] : paths).map { path in
            PathNames.isDirectory(path) ? path : PathNames.parent(path)
        }.map { $0.isEmpty ? "." : $0 }
        do {
            try GitOperations.refuseDuringOperation(in: directories, flag: "--during-git-operation")
        } catch {
            throw stopped(by: error)
        }
    }

    /// Loads the configuration, lets the command adjust it (a flag overriding a setting), and builds the
    /// engine once; exits 2 with the reason. A `ValidationError` from `adjust` goes out as a usage error.
    func makeEngine(adjusting adjust: (inout Configuration) throws -> Void = { _ in }) throws -> Engine {
        try Self.makeEngine(config: config, schema: schema, adjusting: adjust)
    }

    static func makeEngine(config: String?, schema: String?,
                           adjusting adjust: (inout Configuration) throws -> Void = { _ in }) throws -> Engine {
        let cwd = ProcessContext.currentDirectory
        do {
            var configuration = try Configuration.load(explicitPath: config, from: cwd)
            try adjust(&configuration)
            let schemaPath = schema.map { PathNames.isAbsolute($0) ? $0 : cwd + "/" + $0 }
            return try Engine(configuration: configuration, schemaOverride: schemaPath)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw stopped(by: error)
        }
    }
}

/// The symlink rule for commands that write (fmt, check --fix, write).
struct SymlinkOptions: ParsableArguments {
    @Flag(name: .customLong("follow-symlinks-outside"),
          help: "Also rewrite specs that are symlinks to files outside the tree being processed (by default they are checked, never written).")
    var followOutside = false

    /// The files to reconcile and, unless following is allowed, the tree each must stay inside.
    func files(_ engine: Engine, _ paths: [String]) throws(EngineError) -> (files: [String], trees: [String?]) {
        let found = try engine.specFilesWithTrees(in: paths)
        return (found.map(\.file), found.map { followOutside ? nil : $0.tree })
    }
}

enum Terminal {
    static func error(_ line: String) {
        ProcessContext.writeError(Array((line + "\n").utf8))
    }

    static func out(_ text: String) {
        guard !text.isEmpty else { return }
        ProcessContext.writeOut(Array(text.utf8))
    }

    /// Paths shown relative to the working directory (`cwd`, read now unless given) when inside it.
    static func display(_ path: String, cwd: String = ProcessContext.currentDirectory) -> String {
        if let relative = PathNames.relative(path, to: cwd) { return PathNames.displayed(relative) }
        return PathNames.displayed(path)
    }
}
