import ArgumentParser
import Foundation
import SpecSyncEngine

struct InstallHook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-hook",
        abstract: "Install a git pre-commit hook running `specsync check --staged` (an existing hook is kept and run first).")

    @OptionGroup var common: CommonOptions

    func run() throws {
        let engine = try common.makeEngine()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "specsync"
        do {
            switch try HookInstaller(engine: engine).install(executable: executable) {
            case .installed(let path):
                Terminal.out("Installed \(path)\n")
            case .installedChaining(let path, let previous):
                Terminal.out("Installed \(path); the existing hook moved to \(previous) and still runs first\n")
            case .alreadyInstalled(let path):
                Terminal.out("Already installed: \(path)\n")
            }
        } catch {
            Terminal.error("specsync: \(error)")
            throw ExitCode(2)
        }
    }
}
