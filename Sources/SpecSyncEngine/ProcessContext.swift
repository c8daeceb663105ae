#if canImport(Glibc)
import Glibc
#endif
import SpecSyncSys

/// The process's own surroundings for the CLI, which sees only the engine: working directory, its
/// executable, standard output and error.
public enum ProcessContext {
    /// The working directory ("" when it is gone).
    public static var currentDirectory: String { Sys.currentDirectory() }

    /// This executable's absolute path, from /proc/self/exe.
    public static func executablePath() -> String? { try? Sys.readlink("/proc/self/exe") }

    /// Writes all of `bytes` to stdout. A closed or full output is not the command's failure to report
    /// (nowhere to report it); SIGPIPE still ends the process as before.
    public static func writeOut(_ bytes: [UInt8]) {
        try? Sys.writeAll(Descriptor(rawValue: STDOUT_FILENO, path: "<stdout>"), bytes)
    }

    public static func writeError(_ bytes: [UInt8]) {
        try? Sys.writeAll(Descriptor(rawValue: STDERR_FILENO, path: "<stderr>"), bytes)
    }
}
