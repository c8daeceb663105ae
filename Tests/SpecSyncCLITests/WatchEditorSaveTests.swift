import Foundation
import XCTest

/// Every way editors and tools save a file, replayed with the same system calls (or the real tool),
/// against the real `specsync watch`: each save is rewritten exactly once, then the watcher is quiet,
/// and none of the editors' by-products is ever reported.
///
/// The project counts every file as a spec (`include: ["**/*", "**/.*"]`), so a by-product that got
/// past the watcher's editor filter would show up as an event of its own.
final class WatchEditorSaveTests: XCTestCase {
    private var project: Project!
    private var daemon: WatchDaemon!
    private var specs: String { daemon.root }

    override func setUpWithError() throws {
        project = try Project()
        try project.write(".specsync.yaml", "include: [\"**/*\", \"**/.*\"]\n")
    }

    override func tearDownWithError() throws {
        if let daemon, daemon.process.isRunning { XCTAssertEqual(try daemon.stop(), 0) }
        daemon = nil
        project = nil
    }

    /// Writes canonical versions of `names`, then starts the watcher (start-up off: only saves count).
    private func start(with names: [String]) throws {
        for (i, name) in names.enumerated() {
            try project.write(".tandemonium/specs/" + name, canonicalForm("ED-\(i)", "old \(i)"))
        }
        daemon = try WatchDaemon(project, arguments: ["--startup", "off"])
    }

    /// After every save: each path has exactly one event, `normalized`, and holds `expected`; no other
    /// path (by-products, temporaries) was reported.
    private func assertEachSavedOnce(_ expected: [String: String], file: StaticString = #filePath, line: UInt = #line) throws {
        for (path, content) in expected { try daemon.waitForContent(path, content) }
        let events = try daemon.quiesce()
        for (path, content) in expected {
            XCTAssertEqual(daemon.events(for: path).map(\.action), ["normalized"],
                           "\(path): one save, one rewrite, no echo", file: file, line: line)
            XCTAssertEqual(fileText(path), content, file: file, line: line)
        }
        XCTAssertEqual(Set(events.map(\.path)), Set(expected.keys),
                       "only the saved files are reported; all events: \(events)", file: file, line: line)
    }

    func testWriteAndCloseInPlace() throws {
        try start(with: ["a.yaml"])
        let path = specs + "/a.yaml"
        let inode = try Inode(path)
        try Save.inPlace(path, messySpec("ED-0", "in place"))
        XCTAssertEqual(try Inode(path).inode, inode.inode, "precondition: the save kept the inode")
        try assertEachSavedOnce([path: canonicalForm("ED-0", "in place")])
    }

    /// A save that settles while another program has the file open for writing (an in-place writer
    /// whose truncate came just before the read — vim with `backupcopy=yes` saving again) may have been
    /// read half done: an invalid read is not reported then; the writer's close brings the file back.
    func testAnInvalidReadWhileAWriterHoldsTheFileOpenIsNotReportedUntilItCloses() throws {
        try project.write(".tandemonium/specs/held.yaml", canonicalForm("ED-0", "old"))
        daemon = try WatchDaemon(project, arguments: ["--startup", "off", "--log-level", "debug"])
        let path = specs + "/held.yaml"
        let holder = open(path, O_WRONLY | O_CLOEXEC)
        try Save.check(Int(holder), "open")
        try Save.inPlace(path, "id: ED-0\ntitle: [half a save\n")
        try daemon.waitForLog("held.yaml: invalid while another program has it open for writing or is changing it")
        _ = try daemon.quiesce()
        XCTAssertEqual(daemon.events(for: path).map(\.action), [], "nothing reported while it is held open")
        close(holder)
        XCTAssertEqual(try daemon.waitForEvent(path).action, "invalid", "reported once the writer closed it")
    }

    func testTruncateThenSeveralWrites() throws {
        try start(with: ["one-fd.yaml", "many-closes.yaml"])
        // One descriptor, O_TRUNC then writes that split lines and keys.
        let oneFD = specs + "/one-fd.yaml"
        try Save.inPlace(oneFD, ["tit", "le: several\ni", "d: ED", "-0\n"])
        // Truncate and close, then append and close three times (shell `: > f; echo >> f` style):
        // four IN_CLOSE_WRITEs in one burst.
        let manyCloses = specs + "/many-closes.yaml"
        try Save.inPlace(manyCloses, "")
        for chunk in ["title: appended\n", "id: ", "ED-1\n"] {
            let fd = open(manyCloses, O_WRONLY | O_APPEND | O_CLOEXEC)
            try Save.check(Int(fd), "open")
            try Save.writeAll(fd, chunk)
            close(fd)
        }
        try assertEachSavedOnce([oneFD: canonicalForm("ED-0", "several"), manyCloses: canonicalForm("ED-1", "appended")])
    }

    func testTemporaryThenRenameIntoPlace() throws {
        let names = ["dot-tmp.yaml", "tmp-pid.yaml", "gio.yaml", "jetbrains.yaml"]
        try start(with: names)
        let paths = names.map { specs + "/" + $0 }
        // Atomic-save writers: `.x.tmp`, `x.tmp.<pid>`, GIO/gedit `.goutputstream-XXXXXX`.
        try Save.renameIntoPlace(paths[0], messySpec("ED-0", "dot tmp"), temporaryName: ".dot-tmp.yaml.tmp")
        try Save.renameIntoPlace(paths[1], messySpec("ED-1", "tmp pid"), temporaryName: "tmp-pid.yaml.tmp.4242")
        try Save.renameIntoPlace(paths[2], messySpec("ED-2", "gio"), temporaryName: ".goutputstream-K3J9QZ")
        // JetBrains safe write: new content to x___jb_tmp___, x → x___jb_old___, tmp → x, delete old.
        let jb = paths[3]
        try Save.inPlace(jb + "___jb_tmp___", messySpec("ED-3", "jetbrains"))
        try Save.check(Int(rename(jb, jb + "___jb_old___")), "rename")
        try Save.check(Int(rename(jb + "___jb_tmp___", jb)), "rename")
        try Save.check(Int(unlink(jb + "___jb_old___")), "unlink")
        try assertEachSavedOnce([
            paths[0]: canonicalForm("ED-0", "dot tmp"), paths[1]: canonicalForm("ED-1", "tmp pid"),
            paths[2]: canonicalForm("ED-2", "gio"), paths[3]: canonicalForm("ED-3", "jetbrains"),
        ])
    }

    /// Real vim: `backupcopy=yes` writes the same inode in place; `no` renames the original to a backup
    /// and writes a new file; `auto` probes the directory with `4913` first; `backup` keeps `x~`.
    /// Swap files (.x.swp) appear while vim runs.
    func testRealVimSaves() throws {
        guard let vim = which("vim") else { throw XCTSkip("vim is not installed") }
        let modes = ["yes": "backupcopy=yes", "no": "backupcopy=no", "auto": "backupcopy=auto",
                     "backup": "backup backupcopy=no backupskip="]  // backupskip: vim skips /tmp/* by default
        let names = modes.keys.sorted().map { "vim-\($0).yaml" }
        try start(with: names)
        var expected: [String: String] = [:]
        for (i, mode) in modes.keys.sorted().enumerated() {
            let path = specs + "/vim-\(mode).yaml"
            // Line 2 (title) moved above line 1 (id), and the title edited: valid, not canonical.
            try runTool(vim, ["-u", "NONE", "-N", "-es", "-c", "set \(modes[mode]!)", "-c", "2m0",
                              "-c", "%s/old/vim \(mode)/", "-c", "wq", path], cwd: specs)
            expected[path] = canonicalForm("ED-\(i)", "old \(i)".replacingOccurrences(of: "old", with: "vim \(mode)"))
        }
        try assertEachSavedOnce(expected)
        XCTAssertTrue(FileManager.default.fileExists(atPath: specs + "/vim-backup.yaml~"),
                      "precondition: `set backup` left a backup file (which must not be reported)")
    }

    func testSedInPlace() throws {
        guard let sed = which("sed") else { throw XCTSkip("sed is not installed") }
        try start(with: ["sed.yaml"])
        let path = specs + "/sed.yaml"
        // GNU sed -i writes ./sedXXXXXX and renames it over the file. The edit puts title first.
        try runTool(sed, ["-i", "-e", "1{h;d}", "-e", "2{G}", "-e", "s/old 0/sed edit/", path], cwd: specs)
        // Messy, or already normalized by the watcher (which only rewrites a non-canonical form).
        XCTAssertTrue([messySpec("ED-0", "sed edit"), canonicalForm("ED-0", "sed edit")].contains(fileText(path)),
                      "precondition: sed made the edit: \(fileText(path)?.debugDescription ?? "missing")")
        try assertEachSavedOnce([path: canonicalForm("ED-0", "sed edit")])
    }

    /// Emacs leaves a lock symlink `.#x` (dangling, pointing at user@host.pid) and an auto-save file
    /// `#x#` while editing; neither is a spec, even though both would match the include globs here.
    func testEmacsLockAndAutosaveFilesAreIgnored() throws {
        try start(with: ["emacs.yaml"])
        let path = specs + "/emacs.yaml"
        let lock = specs + "/.#emacs.yaml"
        let autosave = specs + "/#emacs.yaml#"
        try Save.check(Int(symlink("root@host.4242:1700000000", lock)), "symlink")
        try Save.inPlace(autosave, messySpec("ED-0", "autosaved"))
        // Emacs' default save: rename the original to the backup `x~`, write a new file.
        try Save.check(Int(rename(path, path + "~")), "rename")
        try Save.inPlace(path, messySpec("ED-0", "emacs"))
        try Save.check(Int(unlink(lock)), "unlink")
        try assertEachSavedOnce([path: canonicalForm("ED-0", "emacs")])
        XCTAssertEqual(fileText(autosave), messySpec("ED-0", "autosaved"), "the auto-save file is never rewritten")
    }

    func testRealEmacsSave() throws {
        guard let emacs = which("emacs") else { throw XCTSkip("emacs is not installed") }
        try start(with: ["real-emacs.yaml"])
        let path = specs + "/real-emacs.yaml"
        // Transpose the two lines and edit the title, then save the way emacs does.
        let lisp = """
            (progn (find-file "\(path)") (goto-char (point-min)) (forward-line 1) (transpose-lines 1) \
            (goto-char (point-min)) (while (search-forward "old 0" nil t) (replace-match "by emacs")) (save-buffer))
            """
        try runTool(emacs, ["--batch", "-Q", "--eval", lisp], cwd: specs)
        try assertEachSavedOnce([path: canonicalForm("ED-0", "by emacs")])
    }

    func testMkdirPThenWriteAtOnce() throws {
        try start(with: [])
        let result = try CLI.shell("mkdir -p a/b/c && printf 'title: deep\\nid: DEEP-1\\n' > a/b/c/x.yaml", cwd: specs)
        XCTAssertEqual(result.status, 0, result.stderr)
        try assertEachSavedOnce([specs + "/a/b/c/x.yaml": canonicalForm("DEEP-1", "deep")])
    }

    /// A directory tree moved in from elsewhere (e.g. `mv ../draft/specs specs/imported`) is scanned.
    func testDirectoryMovedInIsScanned() throws {
        try start(with: [])
        try project.write("outside/draft/x.yaml", messySpec("MV-1", "moved in"))
        try Save.check(Int(rename(project.root + "/outside", specs + "/imported")), "rename")
        try assertEachSavedOnce([specs + "/imported/draft/x.yaml": canonicalForm("MV-1", "moved in")])
    }
}
