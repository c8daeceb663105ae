import Foundation
import XCTest

/// The specs folder found as Coldwine finds it (.coldwine/tasks, else .tandemonium/specs) by check,
/// fmt, the hook and the watcher alike.
final class ColdwineLayoutTests: XCTestCase {
    /// A project with both folders: a messy spec in .coldwine/tasks, an invalid one in .tandemonium/specs
    /// (which must be ignored: Coldwine reads only the first folder that exists).
    private func bothFolders() throws -> Project {
        let p = try Project()
        try p.write(".coldwine/tasks/TAND-001.yaml", "title: From Coldwine\nid: TAND-001\nstatus: in_progress\n")
        try p.write(".tandemonium/specs/OLD-1.yaml", "id: OLD-1\nstatus: nonsense\n")
        return p
    }

    func testCheckAndFmtUseColdwinesFolderFirst() throws {
        let p = try bothFolders()
        let check = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(check.status, 1, check.stdout + check.stderr)
        XCTAssertTrue(check.stdout.contains(".coldwine/tasks/TAND-001.yaml"), check.stdout)
        XCTAssertFalse((check.stdout + check.stderr).contains("OLD-1"), "the fallback folder is not read when .coldwine/tasks exists")

        // From a subdirectory too, as Coldwine finds its project root.
        try FileManager.default.createDirectory(atPath: p.root + "/src/app", withIntermediateDirectories: true)
        let fmt = try CLI.run(["fmt"], cwd: p.root + "/src/app")
        XCTAssertEqual(fmt.status, 0, fmt.stdout + fmt.stderr)
        XCTAssertEqual(try p.read(".coldwine/tasks/TAND-001.yaml"), "id: TAND-001\ntitle: From Coldwine\nstatus: in_progress\n")
        XCTAssertEqual(try p.read(".tandemonium/specs/OLD-1.yaml"), "id: OLD-1\nstatus: nonsense\n")
        XCTAssertEqual(try CLI.run(["check"], cwd: p.root).status, 0)
    }

    func testHelpNamesTheFolderChosen() throws {
        let p = try bothFolders()
        for command in ["check", "fmt", "watch"] {
            let help = try CLI.run([command, "--help"], cwd: p.root)
            let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            XCTAssertTrue(flat.contains("here: .coldwine/tasks"), "\(command): \(help.stdout)")
        }
    }

    func testWatcherWatchesColdwinesFolderAndSaysWhy() throws {
        let p = try bothFolders()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        let folder = resolvedPath(p.root + "/.coldwine/tasks")
        XCTAssertTrue(daemon.log.contains("ready: watching \(folder) "), daemon.log)
        XCTAssertTrue(daemon.log.contains("specs folder: found: .coldwine/tasks if it exists, else .tandemonium/specs"), daemon.log)
        try daemon.cookie(in: folder)
        XCTAssertEqual(try daemon.stop(), 0)
    }
}
