import ArgumentParser
import SpecSyncCore
import SpecSyncEngine

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",  // named, not derived from the type (a reflection lookup at every start)
        abstract: "Validate specs and report the ones that are invalid or not canonical.",
        discussion: "Exit 0 when every file is valid and canonical, 1 when any is not, 2 on usage or configuration errors.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, github }

    @OptionGroup var common: CommonOptions
    @OptionGroup var symlinks: SymlinkOptions

    @Option(help: "Output format: text, json (one object per file per line) or github (workflow annotations).")
    var format: Format = .text

    @Flag(help: "Print a unified diff between each non-canonical file and its canonical form.")
    var diff = false

    @Flag(help: "Rewrite valid, non-canonical files in canonical form (durable, locked). Invalid files are never rewritten.")
    var fix = false

    @Flag(help: "Check the staged (index) content of staged spec files instead of the working tree (for pre-commit).")
    var staged = false

    @Flag(help: CommonOptions.duringGitOperationHelp)
    var duringGitOperation = false

    @Argument(help: CommonOptions.specsFolderHelp("Spec files or directories"))
    var paths: [String] = []

    func validate() throws {
        if staged && fix { throw ValidationError("--staged and --fix cannot be combined: the index is not rewritten") }
        if staged && !paths.isEmpty { throw ValidationError("--staged takes no paths: it checks the staged spec files") }
    }

    func run() throws {
        let engine = try common.makeEngine()
        if fix && !duringGitOperation { try CommonOptions.refuseDuringGitOperation(paths: paths, engine: engine) }
        let results: [FileResult]
        do {
            if staged {
                results = try StagedFiles(engine: engine).check()
            } else {
                let found = try symlinks.files(engine, paths)
                // The bytes are only needed for --diff; without them a big tree's check holds verdicts only.
                results = engine.reconcile(found.files, mode: fix ? .fix : .check, trees: found.trees, keepingContents: diff)
            }
        } catch {
            throw stopped(by: error)
        }
        let reporter = Reporter(format: format, showDiff: diff)
        reporter.report(results, fixing: fix)
        reporter.summary(results, fixing: fix)
        throw ExitStatus.after(results, finding: { $0.action != .unchanged }).code
    }
}
