import SpecSyncCore
import SpecSyncEngine

/// Renders reconcile results as text, JSON lines or GitHub annotations.
struct Reporter {
    var format: Check.Format
    var showDiff: Bool

    func report(_ result: FileResult, fixing: Bool) {
        let path = Terminal.display(result.path)
        switch format {
        case .text:
            // One write for all of a file's diagnostics: a hostile file can have 200k of them.
            Terminal.out(result.diagnostics.map { d in d.rendered(path: path) + "\n" }.joined())
            if let reason = result.notWritten { Terminal.error("specsync: \(reason)") }
            switch result.action {
            case .error: Terminal.error("\(path): error: \(result.error ?? "unknown error")")
            case .normalized: Terminal.out("Fixing \(path)\n")
            case .notCanonical:
                Terminal.out("\(path): not in canonical form (run `specsync fmt \(path)`)\n")
            default: break
            }
        case .github:
            Terminal.out(result.diagnostics.map { d in
                "::error file=\(escape(path)),line=\(d.line),col=\(d.column)::\(escapeData(d.message)) (at \(d.pointer.isEmpty ? "/" : d.pointer))\n"
            }.joined())
            switch result.action {
            case .error: Terminal.out("::error file=\(escape(path))::\(escapeData(result.error ?? "error"))\n")
            case .notCanonical:
                Terminal.out("::warning file=\(escape(path))::\(escapeData(result.notWritten ?? "not in canonical form (run specsync fmt)"))\n")
            case .normalized: Terminal.out("Fixing \(path)\n")
            default: break
            }
        case .json:
            Terminal.out(JSONLine.object(result, path: path) + "\n")
        }
        if showDiff, result.action == .notCanonical || result.action == .normalized,
           let original = result.original, let canonical = result.canonical {
            Terminal.out(UnifiedDiff.render(old: String(decoding: original, as: UTF8.self),
                                            new: String(decoding: canonical, as: UTF8.self),
                                            oldName: "a/\(path)", newName: "b/\(path)"))
        }
    }

    func summary(_ results: [FileResult], fixing: Bool) {
        guard format == .text else { return }
        let invalid = results.filter { $0.action == .invalid }.count
        let notCanonical = results.filter { $0.action == .notCanonical }.count
        let fixed = results.filter { $0.action == .normalized }.count
        let errors = results.filter { $0.action == .error }.count
        var parts = ["\(results.count) file\(results.count == 1 ? "" : "s") checked"]
        if invalid > 0 { parts.append("\(invalid) invalid") }
        if notCanonical > 0 { parts.append("\(notCanonical) not canonical") }
        if fixed > 0 { parts.append("\(fixed) fixed") }
        if errors > 0 { parts.append("\(errors) unreadable") }
        Terminal.error("specsync: " + parts.joined(separator: ", "))
    }

    /// Workflow-command escaping: message data, and (stricter) property values such as file=.
    private func escapeData(_ s: String) -> String {
        s.replacingEvery("%", with: "%25").replacingEvery("\r", with: "%0D")
            .replacingEvery("\n", with: "%0A")
    }

    private func escape(_ s: String) -> String {
        escapeData(s).replacingEvery(":", with: "%3A").replacingEvery(",", with: "%2C")
    }
}
