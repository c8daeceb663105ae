import ArgumentParser
import SpecSyncEngine

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",  // named, not derived from the type (a reflection lookup at every start)
        abstract: "Set a project up for specsync: .specsync.yaml, the specs folder's .gitignore, the pre-commit hook, the merge driver.",
        discussion: """
            Idempotent: files that exist are kept (and said so); missing .gitignore lines are appended. The \
            specs folder is found as Tandemonium's Go tools find it: .coldwine/tasks if it exists, else \
            .tandemonium/specs. Prints how to run the watcher as a systemd user service.
            """)

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print the systemd user unit (ExecStart is this binary) and do nothing else.")
    var serviceUnit = false

    func run() throws {
        let executable = ProcessContext.executablePath() ?? "specsync"
        if serviceUnit {
            Terminal.out(ProjectInitializer.serviceUnit(executable: executable))
            return
        }
        let engine = try common.makeEngine()
        let report: ProjectInitializer.Report
        do {
            report = try ProjectInitializer(engine: engine).run(from: ProcessContext.currentDirectory, executable: executable)
        } catch {
            throw stopped(by: error)
        }
        for step in report.steps { Terminal.out(describe(step) + "\n") }
        let root = report.projectRoot
        Terminal.out("""
            Specs folder: \(Terminal.display(report.specsDirectory)) (\(report.specsDirectoryOrigin))

            Run the watcher in a terminal:   cd \(root) && specsync watch
            Or as a systemd user service:
              mkdir -p ~/.config/systemd/user
              specsync init --service-unit > ~/.config/systemd/user/specsync@.service
              systemctl --user daemon-reload
              systemctl --user enable --now "specsync@$(systemd-escape --path \(root)).service"
              journalctl --user -u "specsync@$(systemd-escape --path \(root))" -f

            """)
    }

    private func describe(_ step: ProjectInitializer.Step) -> String {
        switch step {
        case .wroteConfiguration(let path): return "Wrote \(Terminal.display(path)) (the defaults, commented)"
        case .keptConfiguration(let path): return "Kept \(Terminal.display(path)): it exists and was not changed"
        case .createdSpecsFolder(let path): return "Created \(Terminal.display(path))"
        case .addedIgnorePatterns(let path, let patterns):
            return "Added to \(Terminal.display(path)): \(patterns.joined(separator: " "))"
        case .ignoreComplete(let path): return "Kept \(Terminal.display(path)): it already ignores lock files and temporaries"
        case .hook(.installed(let path)): return "Installed the pre-commit hook \(Terminal.display(path))"
        case .hook(.installedChaining(let path, let previous)):
            return "Installed the pre-commit hook \(Terminal.display(path)); the existing hook moved to \(Terminal.display(previous)) and still runs first"
        case .hook(.alreadyInstalled(let path)): return "Kept the pre-commit hook \(Terminal.display(path)): already installed"
        case .mergeDriver(let outcome): return InstallHook.describe(outcome)
        case .noGitWorkTree: return "Not in a git work tree: no pre-commit hook or merge driver installed (run specsync install-hook --merge-driver later)"
        }
    }
}
