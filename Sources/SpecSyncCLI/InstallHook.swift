import ArgumentParser
import SpecSyncEngine

struct InstallHook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-hook",
        abstract: "Install a git pre-commit hook running `specsync check --staged` (an existing hook is kept and run first); --merge-driver also registers `specsync merge`.")

    @OptionGroup var common: CommonOptions

    @Flag(help: "Also register `specsync merge` as git's merge driver for the specs folder (git config and .gitattributes).")
    var mergeDriver = false

    func run() throws {
        let engine = try common.makeEngine()
        let executable = ProcessContext.executablePath() ?? "specsync"
        do {
            switch try HookInstaller(engine: engine).install(executable: executable) {
            case .installed(let path):
                Terminal.out("Installed \(path)\n")
            case .installedChaining(let path, let previous):
                Terminal.out("Installed \(path); the existing hook moved to \(previous) and still runs first\n")
            case .alreadyInstalled(let path):
                Terminal.out("Already installed: \(path)\n")
            }
            if mergeDriver { Terminal.out(Self.describe(try MergeDriverInstaller(engine: engine).install(executable: executable)) + "\n") }
        } catch {
            throw stopped(by: error)
        }
    }

    static func describe(_ outcome: MergeDriverInstaller.Outcome) -> String {
        switch outcome {
        case .registered(let attributes, let patterns):
            let added = patterns.isEmpty ? "" : "; added to \(Terminal.display(attributes)): \(patterns.joined(separator: ", "))"
            return "Registered the merge driver (git config merge.specsync.driver)\(added)"
        case .alreadyRegistered(let attributes):
            return "Kept the merge driver: already registered (git config and \(Terminal.display(attributes)))"
        case .specsOutsideWorkTree:
            return "The specs folder is outside the git work tree: no merge driver registered"
        }
    }
}
