import Foundation
import XCTest

/// The format-on-save snippets in docs/editors.md, extracted from the document and run in real
/// editors (vim -es, nvim --headless, emacs --batch) with `specsync watch` running:
/// - a messy valid spec is saved canonical, so the watcher finds nothing to rewrite (no reload prompt);
/// - an invalid spec is saved byte for byte as typed; its diagnostics reach the quickfix list /
///   `*specsync*` buffer, never the file.
final class EditorSnippetTests: XCTestCase {
    private static let valid = "title: Fix login\n\nid:    ED-1   # the id\n"
    private static let validCanonical = "id: ED-1  # the id\ntitle: Fix login\n"
    private static let invalid = "id: ED-2\ntitle: Bad\npriority: high\n"

    /// The first fenced block of `language` in docs/editors.md.
    private func snippet(_ language: String) throws -> String {
        let doc = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/editors.md"), encoding: .utf8)
        let fence = "```\(language)\n"
        guard let start = doc.range(of: fence), let end = doc.range(of: "\n```", range: start.upperBound..<doc.endIndex) else {
            throw XCTSkip("no \(language) block in docs/editors.md") // fails below: the docs must have it
        }
        return String(doc[start.upperBound..<end.lowerBound]) + "\n"
    }

    private var environment: [String: String] {
        ["PATH": CLI.productsDirectory.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
         "HOME": NSTemporaryDirectory()]
    }

    /// Saves `valid.yaml` and `invalid.yaml` with `save(path, diagnosticsFile)`, the watcher running;
    /// checks what reached the disk, the watcher's verdicts and the diagnostics file.
    private func exercise(_ save: (String, String) throws -> Void) throws {
        let p = try Project()
        try p.write(".tandemonium/specs/valid.yaml", Self.valid)
        try p.write(".tandemonium/specs/invalid.yaml", Self.invalid)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let valid = daemon.root + "/valid.yaml", invalid = daemon.root + "/invalid.yaml"

        try save(valid, p.root + "/valid.diagnostics")
        XCTAssertEqual(fileText(valid), Self.validCanonical, "the editor saved the canonical form")
        let saved = try Inode(valid)
        try daemon.waitForEvent(valid, action: "unchanged")

        let diagnostics = p.root + "/invalid.diagnostics"
        try save(invalid, diagnostics)
        XCTAssertEqual(fileText(invalid), Self.invalid, "an invalid spec is saved exactly as it was")
        try daemon.waitForEvent(invalid, action: "invalid")
        let reported = fileText(diagnostics) ?? ""
        XCTAssertTrue(reported.contains("3") && reported.contains("priority: expected integer"), "diagnostics: \(reported)")

        try daemon.quiesce()
        XCTAssertEqual(try Inode(valid), saved, "the watcher rewrote a file the editor had saved canonical")
        XCTAssertEqual(daemon.events(for: valid).map(\.action), ["unchanged"])
        XCTAssertEqual(fileText(invalid), Self.invalid)
        XCTAssertEqual(try daemon.stop(), 0)
    }

    private func vimLike(_ editor: String, _ arguments: [String]) throws {
        let script = NSTemporaryDirectory() + "specsync-\(UUID().uuidString.prefix(8)).vim"
        try snippet("vim").write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        try exercise { path, diagnostics in
            // The quickfix list, one "line:column:text" per entry, is what the test reads back.
            let dump = "call writefile(map(getqflist(), 'v:val.lnum . \":\" . v:val.col . \":\" . v:val.text'), '\(diagnostics)')"
            let r = try CLI.run(arguments + ["-c", "source \(script)", "-c", "edit \(path)", "-c", "write", "-c", dump, "-c", "qall!"],
                                cwd: NSTemporaryDirectory(), environment: environment, executable: editor)
            XCTAssertEqual(r.status, 0, "\(editor): \(r.stdout) \(r.stderr)")
        }
    }

    func testVimSnippet() throws {
        guard let vim = which("vim") else { throw XCTSkip("vim is not installed (scripts/deps installs it)") }
        try vimLike(vim, ["-u", "NONE", "-i", "NONE", "-N", "-n", "-es"])
    }

    func testNeovimSnippet() throws {
        guard let nvim = which("nvim") else { throw XCTSkip("nvim is not installed (scripts/deps installs neovim)") }
        try vimLike(nvim, ["--headless", "-u", "NONE", "-i", "NONE", "-n"])
    }

    func testEmacsSnippet() throws {
        guard let emacs = which("emacs") else { throw XCTSkip("emacs is not installed (scripts/deps installs emacs-nox)") }
        let script = NSTemporaryDirectory() + "specsync-\(UUID().uuidString.prefix(8)).el"
        try snippet("elisp").write(toFile: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: script) }
        try exercise { path, diagnostics in
            let save = """
                (progn (find-file "\(path)") (set-buffer-modified-p t) (save-buffer)
                  (when (get-buffer "*specsync*")
                    (with-current-buffer "*specsync*" (write-region nil nil "\(diagnostics)"))))
                """
            let r = try CLI.run(["--batch", "-Q", "-l", script, "--eval", save],
                                cwd: NSTemporaryDirectory(), environment: environment, executable: emacs)
            XCTAssertEqual(r.status, 0, "emacs: \(r.stderr)")
        }
    }
}
