import ArgumentParser
import SpecSyncEngine

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt",  // named, not derived from the type (a reflection lookup at every start)
        abstract: "Rewrite specs in canonical form, or format stdin to stdout with `-`.",
        discussion: """
            With `-`, reads a spec on stdin and writes its canonical form to stdout (editor format-on-save); \
            diagnostics go to stderr and an invalid spec is echoed back unchanged with exit 1. \
            Otherwise valid files are rewritten in place (durable, under <file>.lock); invalid files are \
            reported and left alone (exit 1).
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var symlinks: SymlinkOptions

    @Option(name: .customLong("stdin-filename"), help: "Name used for stdin in diagnostics.")
    var stdinFilename = "<stdin>"

    @Flag(help: CommonOptions.duringGitOperationHelp)
    var duringGitOperation = false

    @Argument(help: CommonOptions.specsFolderHelp("Spec files or directories, or `-` for stdin"))
    var paths: [String] = []

    func run() throws {
        let engine = try common.makeEngine()
        if paths == ["-"] {
            try Self.formatStandardInput(engine: engine, name: stdinFilename)
            return
        }
        if paths.contains("-") { throw ValidationError("`-` (stdin) cannot be combined with paths") }
        let found: (files: [String], trees: [String?])
        do { found = try symlinks.files(engine, paths) } catch {
            throw stopped(by: error)
        }
        if !duringGitOperation { try CommonOptions.refuseDuringGitOperation(paths: paths, engine: engine) }
        let results = engine.reconcile(found.files, mode: .fix, trees: found.trees, keepingContents: false)
        let reporter = Reporter(format: .text, showDiff: false)
        reporter.report(results, fixing: true)
        // A file left non-canonical (a symlink out of the tree) is a finding like an invalid one.
        throw ExitStatus.after(results, finding: { $0.action == .invalid || $0.action == .notCanonical }).code
    }
}

extension Fmt {
    /// `specsync fmt -` as editors run it on every save: `fmt -`, optionally with
    /// `--stdin-filename NAME`, in any order. `Specsync.main` answers these before the argument
    /// parser, whose set-up (it reflects over every command's arguments) was half of this start-up;
    /// any other form, or anything unusual in this one, is left to the parser (nil). Returns the name
    /// diagnostics use for stdin.
    static func editorInvocation(_ arguments: [String]) -> String? {
        guard arguments.first == "fmt" else { return nil }
        var name: String?
        var sawStdin = false
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            if argument == "-" && !sawStdin {
                sawStdin = true
            } else if argument == "--stdin-filename", name == nil, let value = rest.popFirst(), !value.hasPrefix("-") {
                name = value
            } else if argument.hasPrefix("--stdin-filename="), name == nil {
                name = String(argument.dropFirst("--stdin-filename=".count))
            } else {
                return nil
            }
        }
        return sawStdin ? name ?? "<stdin>" : nil
    }

    /// Reads a spec on stdin and writes its canonical form to stdout; an invalid spec is echoed back
    /// unchanged (exit 1), diagnostics go to stderr.
    static func formatStandardInput(engine: Engine, name stdinFilename: String) throws {
        let input: [UInt8]
        switch engine.readStandardInput(name: stdinFilename) {
        case .bytes(let bytes): input = bytes
        case .rejected(let result):
            // Nothing on stdout: the input was not read whole, so it cannot be echoed back.
            for diagnostic in result.diagnostics { Terminal.error(diagnostic.rendered(path: stdinFilename)) }
            if let error = result.error { Terminal.error("specsync: \(error)") }
            throw (result.action == .error ? ExitStatus.trouble : .findings).code
        }
        let result = engine.evaluate(path: stdinFilename, bytes: input)
        if !result.diagnostics.isEmpty {
            Terminal.error(result.diagnostics.map { $0.rendered(path: stdinFilename) }.joined(separator: "\n"))
        }
        if result.action == .invalid {
            ProcessContext.writeOut(input)
            throw ExitStatus.findings.code
        }
        ProcessContext.writeOut(result.canonical ?? input)
    }
}
