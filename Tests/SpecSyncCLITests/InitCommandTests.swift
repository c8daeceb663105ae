import Foundation
import XCTest

/// `specsync init` on real folders and real git repositories: what it writes, and that a second run
/// changes nothing.
final class InitCommandTests: XCTestCase {
    private func snapshot(_ root: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = root + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
               !relative.hasPrefix(".git/objects"), !relative.hasPrefix(".git/logs") {
                files[relative] = FileManager.default.contents(atPath: path)
            }
        }
        return files
    }

    func testInitInAColdwineRepositoryWritesConfigIgnoreAndHookAndIsIdempotent() throws {
        let p = try Project()
        try FileManager.default.createDirectory(atPath: p.root + "/.coldwine/tasks", withIntermediateDirectories: true)
        try p.write(".coldwine/tasks/.gitignore", "*.bak")  // no final newline: appended lines must not join it
        XCTAssertEqual(try CLI.run(["init", "-q"], cwd: p.root, executable: "/usr/bin/git").status, 0)
        try FileManager.default.createDirectory(atPath: p.root + "/src", withIntermediateDirectories: true)

        let first = try CLI.run(["init"], cwd: p.root + "/src")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Specs folder: \(p.root)/.coldwine/tasks"), first.stdout)
        XCTAssertTrue(first.stdout.contains("systemctl --user enable --now \"specsync@$(systemd-escape --path \(p.root)).service\""), first.stdout)
        let config = try p.read(".specsync.yaml")
        XCTAssertTrue(config.contains("specs_dir: null  # today: .coldwine/tasks"), config)
        XCTAssertEqual(try p.read(".coldwine/tasks/.gitignore"),
                       "*.bak\n# specsync and Tandemonium writers: lock sidecars and crash leftovers\n*.yaml.lock\n*.yml.lock\n.specsync-tmp-*\n")
        let hook = try String(contentsOfFile: p.root + "/.git/hooks/pre-commit", encoding: .utf8)
        XCTAssertTrue(hook.contains("check --staged"), hook)

        // The configuration written is one specsync reads, and it finds the same folder.
        let check = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)

        // Lock sidecars made by writers stay out of git status.
        try p.write(".coldwine/tasks/TAND-001.yaml", canonicalSpec)
        XCTAssertEqual(try CLI.run(["write", ".coldwine/tasks/TAND-001.yaml"], stdin: canonicalSpec, cwd: p.root).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: p.root + "/.coldwine/tasks/TAND-001.yaml.lock"))
        let status = try CLI.run(["status", "--porcelain", "--untracked-files=all"], cwd: p.root, executable: "/usr/bin/git")
        XCTAssertFalse(status.stdout.contains(".lock"), status.stdout)
        XCTAssertTrue(status.stdout.contains("TAND-001.yaml\n"), status.stdout)

        let before = try snapshot(p.root)
        let second = try CLI.run(["init"], cwd: p.root)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("Kept \(Terminal.displayName(p.root + "/.specsync.yaml", cwd: p.root))"), second.stdout)
        XCTAssertTrue(second.stdout.contains("already installed"), second.stdout)
        XCTAssertEqual(try snapshot(p.root), before, "a second init changes nothing")
    }

    func testInitKeepsAnExistingConfigurationAndWorksOutsideGit() throws {
        // Outside every git work tree (the scratch projects live inside this repository's checkout).
        let root = NSTemporaryDirectory() + "specsync-init-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        guard try CLI.run(["rev-parse", "--show-toplevel"], cwd: root, executable: "/usr/bin/git").status != 0 else {
            throw XCTSkip("\(root) is inside a git work tree")
        }
        try "settle_ms: 20\n".write(toFile: root + "/.specsync.yaml", atomically: true, encoding: .utf8)
        let run = try CLI.run(["init"], cwd: root)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try String(contentsOfFile: root + "/.specsync.yaml", encoding: .utf8), "settle_ms: 20\n",
                       "an existing configuration is never rewritten")
        XCTAssertTrue(run.stdout.contains("Kept .specsync.yaml: it exists and was not changed"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Created .tandemonium/specs\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Not in a git work tree"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Specs folder: .tandemonium/specs (found:"), run.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/.tandemonium/specs/.gitignore"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).sorted(), [".specsync.yaml", ".tandemonium"],
                       "no lock sidecar or temporary beside the configuration")
    }

    func testServiceUnitNamesThisBinary() throws {
        let p = try Project()
        let unit = try CLI.run(["init", "--service-unit"], cwd: p.root)
        XCTAssertEqual(unit.status, 0)
        XCTAssertTrue(unit.stdout.contains("\nExecStart=\(CLI.binary) watch\n") || unit.stdout.contains("ExecStart=/"), unit.stdout)
        XCTAssertTrue(unit.stdout.contains("WorkingDirectory=%f"), unit.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: p.root + "/.specsync.yaml"), "--service-unit only prints")
    }
}

private enum Terminal {
    /// How the CLI shows a path when run in `cwd`.
    static func displayName(_ path: String, cwd: String) -> String {
        path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
    }
}
