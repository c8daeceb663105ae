import ArgumentParser
import Dispatch
import Glibc
import Logging
import SpecSyncEngine

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",  // named, not derived from the type (a reflection lookup at every start)
        abstract: "Watch the specs directory and keep every spec valid and canonical as it is edited.",
        discussion: """
            Runs until SIGINT or SIGTERM (in-flight writes finish, exit 0) or until the watched directory \
            disappears. One instance per directory: a second one exits 2. Log lines go to stderr.
            """)

    @OptionGroup var common: CommonOptions

    @Option(help: "Write one JSON object per processed file to FILE, or to stdout with `-`.")
    var events: String?

    @Option(help: "Start-up policy for the files already there (default: from the configuration).")
    var startup: StartupPolicy?

    @Option(help: "Log level.")
    var logLevel: Logger.Level = .info

    @Argument(help: CommonOptions.specsFolderHelp("Directory to watch"))
    var directory: String?

    func run() throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "specsync")
        // --startup overrides the configuration before the engine is built (once: building it loads the schema).
        let engine = try common.makeEngine { configuration in
            if let startup { configuration.startup = startup }
        }
        let root = directory.map { PathNames.isAbsolute($0) ? $0 : ProcessContext.currentDirectory + "/" + $0 }
            ?? engine.configuration.specsDirectory
        let service: WatchService
        do {
            let log = try events.map { try EventLog(path: $0) }
            service = try WatchService(engine: engine, root: root, logger: logger, events: log)
        } catch {
            throw stopped(by: error)
        }
        // Signals become an orderly stop on the watcher's loop: the file being written is finished first.
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler {
                logger.notice("stopping on \(sig == SIGINT ? "SIGINT" : "SIGTERM")")
                service.stop()
            }
            source.resume()
            sources.append(source)
        }
        let code = service.run()
        withExtendedLifetime(sources) {}
        throw ExitCode(code)
    }
}

extension StartupPolicy: ExpressibleByArgument {}

// swift-log's levels by their names (trace … critical); retroactive: neither module is ours.
extension Logger.Level: @retroactive ExpressibleByArgument {}
