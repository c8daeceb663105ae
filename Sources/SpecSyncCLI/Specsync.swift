import ArgumentParser
import Glibc
import SpecSyncEngine

/// Exit codes: 0 clean, 1 findings (invalid or not canonical), 2 usage, configuration or I/O trouble.
struct Specsync: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "specsync",
        abstract: "Keep YAML task specs valid and canonical.",
        version: "0.1.0",
        subcommands: [Check.self, Fmt.self, Write.self, Watch.self, Init.self, InstallHook.self, Merge.self]
    )

    static func main() {
        do {
            // Arguments from the raw argv: CommandLine.arguments would replace bytes that are not UTF-8
            // (a file name from another system) with U+FFFD, naming a file that does not exist.
            let arguments = (1..<Int(CommandLine.argc)).compactMap { CommandLine.unsafeArgv[$0].map { PathNames.argument($0) } }
            // `--version` alone is answered before the parser builds its command tree (nearly all of the
            // start-up of this one-line answer); the line is the one the parser would print.
            if arguments == ["--version"] && !configuration.version.isEmpty {
                ProcessContext.writeOut(Array((configuration.version + "\n").utf8))
                return
            }
            if let stdinFilename = Fmt.editorInvocation(arguments) {
                try Fmt.formatStandardInput(engine: CommonOptions.makeEngine(config: nil, schema: nil), name: stdinFilename)
                return
            }
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)  // --help, --version
            }
            let message = fullMessage(for: error)
            ProcessContext.writeError(Array((message.hasSuffix("\n") ? message : message + "\n").utf8))
            // Usage and configuration problems are exit 2, never confused with findings (1).
            Glibc.exit(ExitStatus.trouble.rawValue)
        }
    }
}

/// The command line as a library, so the `specsync` binary is one call and a test binary can wrap
/// the same commands (specsync-with-faults).
public enum SpecsyncCommandLine {
    /// Parses the process's arguments, runs the command and exits with its status.
    public static func main() { Specsync.main() }
}
