import ArgumentParser
import SpecSyncEngine

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",  // named, not derived from the type (a reflection lookup at every start)
        abstract: "Git merge driver: merge three versions of a spec by structure into OURS.",
        discussion: """
            Register it with `specsync install-hook --merge-driver` (or `specsync init`), or by hand:
              git config merge.specsync.name "specsync: merge task specs by structure"
              git config merge.specsync.driver "specsync merge %O %A %B %P"
              echo '.tandemonium/specs/**/*.yaml merge=specsync' >> .gitattributes
            Exit 0 merged cleanly (valid and canonical), 1 conflict left in OURS with markers, 2 I/O trouble.
            Specs that cannot be read as YAML are merged by `git merge-file` instead.
            """)

    @OptionGroup var common: CommonOptions

    @Argument(help: "The common ancestor's version (%O).")
    var base: String

    @Argument(help: "Our version (%A); the result is written here.")
    var ours: String

    @Argument(help: "Their version (%B).")
    var theirs: String

    @Argument(help: "The spec's path in the repository (%P), for messages.")
    var path: String?

    func run() throws {
        let engine = try common.makeEngine()
        let name = path ?? ours
        let report: MergeDriver.Report
        do {
            report = try MergeDriver(engine: engine).merge(base: base, ours: ours, theirs: theirs)
        } catch {
            throw stopped(by: error, context: "specsync merge: \(name)")
        }
        if case .text(let side) = report.method {
            Terminal.error("specsync merge: \(name): \(side.rawValue) is not a readable spec; merged as text by git merge-file")
            if !report.clean && report.conflictBlocks == 0 {
                for diagnostic in report.diagnostics { Terminal.error(diagnostic.rendered(path: name)) }
                Terminal.error("specsync merge: \(name): left as a conflict: the result is not a valid spec")
            }
        }
        for conflict in report.conflicts { Terminal.error("specsync merge: \(name): conflict at \(conflict)") }
        if case .structural = report.method, !report.clean, report.conflicts.isEmpty {
            for diagnostic in report.diagnostics {
                Terminal.error("specsync merge: \(name): the merged spec would be invalid: \(diagnostic.rendered(path: name))")
            }
        }
        if !report.clean { throw ExitStatus.findings.code }
    }
}
