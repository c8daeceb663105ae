import ArgumentParser
import SpecSyncEngine

struct Write: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",  // named, not derived from the type (a reflection lookup at every start)
        abstract: "Replace a spec with content from stdin: validated, canonical, durable, under the file's lock.",
        discussion: "Exit 0 written, 1 content rejected (file untouched), 2 usage, lock timeout or I/O error.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var symlinks: SymlinkOptions

    @Argument(help: "The spec file to write.")
    var file: String

    func run() throws {
        let engine = try common.makeEngine()
        let result: FileResult
        switch engine.readStandardInput(name: "<stdin>") {
        case .bytes(let input):
            result = engine.write(file, content: input, tree: symlinks.followOutside ? nil : engine.tree(forFile: file))
        case .rejected(let rejected): result = rejected
        }
        for diagnostic in result.diagnostics { Terminal.error(diagnostic.rendered(path: "<stdin>")) }
        switch result.action {
        case .invalid:
            Terminal.error("specsync: \(file) left unchanged: the new content is not a valid spec")
            throw ExitStatus.findings.code
        case .error:
            throw stopped(by: result.failure ?? FileError(kind: .other, message: "write failed"))
        default:
            return
        }
    }
}
