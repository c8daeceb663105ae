import ArgumentParser
import Foundation
import SpecSyncEngine

struct Fmt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite specs in canonical form, or format stdin to stdout with `-`.",
        discussion: """
            With `-`, reads a spec on stdin and writes its canonical form to stdout (editor format-on-save); \
            diagnostics go to stderr and an invalid spec is echoed back unchanged with exit 1. \
            Otherwise valid files are rewritten in place (durable, under <file>.lock); invalid files are \
            reported and left alone (exit 1).
            """)

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("stdin-filename"), help: "Name used for stdin in diagnostics.")
    var stdinFilename = "<stdin>"

    @Flag(help: CommonOptions.duringGitOperationHelp)
    var duringGitOperation = false

    @Argument(help: CommonOptions.specsFolderHelp("Spec files or directories, or `-` for stdin"))
    var paths: [String] = []

    func run() throws {
        let engine = try common.makeEngine()
        if paths == ["-"] {
            let input = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            let result = engine.evaluate(path: stdinFilename, bytes: input)
            for diagnostic in result.diagnostics { Terminal.error(diagnostic.rendered(path: stdinFilename)) }
            if result.action == .invalid {
                FileHandle.standardOutput.write(Data(input))
                throw ExitCode(1)
            }
            FileHandle.standardOutput.write(Data(result.canonical ?? input))
            return
        }
        if paths.contains("-") { throw ValidationError("`-` (stdin) cannot be combined with paths") }
        let files: [String]
        do { files = try engine.specFiles(in: paths) } catch {
            Terminal.error("specsync: \(error)")
            throw ExitCode(2)
        }
        if !duringGitOperation { try CommonOptions.refuseDuringGitOperation(paths: paths, engine: engine) }
        let results = engine.reconcile(files, mode: .fix)
        let reporter = Reporter(format: .text, showDiff: false)
        for result in results { reporter.report(result, fixing: true) }
        if results.contains(where: { $0.action == .error }) { throw ExitCode(2) }
        throw ExitCode(results.contains { $0.action == .invalid } ? 1 : 0)
    }
}
