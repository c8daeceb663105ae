import ArgumentParser
import SpecSyncEngine

/// Every exit status, and every error line that ends a command, is decided here:
/// 0 clean; 1 findings (a spec invalid or not canonical, a merge left with conflicts); 2 trouble (usage,
/// configuration, a file that could not be read or written, git, another watcher on the tree).
enum ExitStatus: Int32 {
    case clean = 0
    case findings = 1
    case trouble = 2

    /// After a pass over files: trouble when any could not be handled, else findings when any is one.
    static func after(_ results: [FileResult], finding isFinding: (FileResult) -> Bool) -> ExitStatus {
        if results.contains(where: { $0.action == .error }) { return .trouble }
        return results.contains(where: isFinding) ? .findings : .clean
    }

    var code: ExitCode { ExitCode(rawValue) }
}

/// The command cannot go on: says why on stderr (`context: message`) and ends with status 2.
func stopped(by error: Error, context: String = "specsync") -> ExitCode {
    Terminal.error("\(context): \(error)")
    return ExitStatus.trouble.code
}
