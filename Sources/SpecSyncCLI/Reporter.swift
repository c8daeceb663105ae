import SpecSyncCore
import SpecSyncEngine

/// Renders reconcile results as text, JSON lines or GitHub annotations.
struct Reporter {
    var format: Check.Format
    var showDiff: Bool

    /// Every result, in order. Output goes out in blocks (`BufferedOutput`), and the working directory
    /// the paths are shown against is read once, not once per file.
    func report(_ results: [FileResult], fixing: Bool) {
        var output = BufferedOutput()
        let cwd = ProcessContext.currentDirectory
        for result in results { report(result, fixing: fixing, cwd: cwd, into: &output) }
        output.flush()
    }

    private func report(_ result: FileResult, fixing: Bool, cwd: String, into output: inout BufferedOutput) {
        let path = Terminal.display(result.path, cwd: cwd)
        switch format {
        case .text:
            // One write for all of a file's diagnostics: a hostile file can have 200k of them.
            output.out(result.diagnostics.map { d in d.rendered(path: path) + "\n" }.joined())
            if let reason = result.notWritten { output.error("specsync: \(reason)") }
            switch result.action {
            case .error: output.error("\(path): error: \(result.error ?? "unknown error")")
            case .normalized: output.out("Fixing \(path)\n")
            case .notCanonical:
                output.out("\(path): not in canonical form (run `specsync fmt \(path)`)\n")
            default: break
            }
        case .github:
            output.out(result.diagnostics.map { d in
                "::error file=\(escape(path)),line=\(d.line),col=\(d.column)::\(escapeData(d.message)) (at \(d.pointer.isEmpty ? "/" : d.pointer))\n"
            }.joined())
            switch result.action {
            case .error: output.out("::error file=\(escape(path))::\(escapeData(result.error ?? "error"))\n")
            case .notCanonical:
                output.out("::warning file=\(escape(path))::\(escapeData(result.notWritten ?? "not in canonical form (run specsync fmt)"))\n")
            case .normalized: output.out("Fixing \(path)\n")
            default: break
            }
        case .json:
            output.out(JSONLine.object(result, path: path) + "\n")
        }
        if showDiff, result.action == .notCanonical || result.action == .normalized,
           let original = result.original, let canonical = result.canonical {
            output.out(UnifiedDiff.render(old: String(decoding: original, as: UTF8.self),
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

/// Standard output gathered into blocks of up to 64 KiB, one write each: a check of 10,000 messy specs
/// made 10,000 writes (and as many `getcwd` calls for the paths). A line for standard error first writes
/// out what is gathered, so the two streams keep their order on a terminal.
private struct BufferedOutput {
    private var pending: [UInt8] = []

    mutating func out(_ text: String) {
        pending.append(contentsOf: text.utf8)
        if pending.count >= 1 << 16 { flush() }
    }

    mutating func error(_ line: String) {
        flush()
        Terminal.error(line)
    }

    mutating func flush() {
        guard !pending.isEmpty else { return }
        ProcessContext.writeOut(pending)
        pending.removeAll(keepingCapacity: true)
    }
}
