import Foundation
import XCTest

/// Every input path is bounded by `limits.max_file_bytes`: stdin, files, the watcher, staged blobs,
/// schema and configuration files. Memory is held to account by running the binary under
/// `ulimit -v` (400 MB of address space): reading 2 GB, or /dev/zero to the end, would abort it.
final class BoundedInputTests: XCTestCase {
    private let capped = "ulimit -v 400000; exec \"$0\" \"$@\""

    private func run(_ arguments: String, in p: Project, stdin: String? = nil) throws -> CommandResult {
        let redirect = stdin.map { " < \($0)" } ?? ""
        return try CLI.shell("ulimit -v 400000; exec '\(CLI.binary)' \(arguments)\(redirect)", cwd: p.root)
    }

    private func sparse(_ path: String, gigabytes: Int = 2) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        XCTAssertEqual(truncate(path, off_t(gigabytes) << 30), 0)
    }

    func testFmtStdinFromDevZeroIsRefusedAtTheLimit() throws {
        let p = try Project()
        let r = try run("fmt -", in: p, stdin: "/dev/zero")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "", "input that was not read whole cannot be echoed")
        XCTAssertTrue(r.stderr.contains("<stdin>:1:1: error: input is more than the limit of 262144 bytes"), r.stderr)
    }

    func testFmtStdinFromSparseFileIsRefusedByItsSize() throws {
        let p = try Project()
        sparse(p.root + "/big.yaml")
        let r = try run("fmt - --stdin-filename big.yaml", in: p, stdin: "big.yaml")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("big.yaml:1:1: error: file is 2147483648 bytes, more than the limit"), r.stderr)
    }

    func testWriteFromDevZeroLeavesTheFileUntouched() throws {
        let p = try Project()
        try p.write(".tandemonium/specs/f.yaml", canonicalSpec)
        let r = try run("write .tandemonium/specs/f.yaml", in: p, stdin: "/dev/zero")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("more than the limit of 262144 bytes"), r.stderr)
        XCTAssertEqual(try p.read(".tandemonium/specs/f.yaml"), canonicalSpec)
    }

    func testSparseSpecIsReportedAndOthersStillFormatted() throws {
        let p = try Project()
        sparse(p.specs + "/big.yaml")
        try p.write(".tandemonium/specs/a.yaml", "title: A\nid: a\n")
        let check = try run("check .tandemonium/specs/big.yaml", in: p)
        XCTAssertEqual(check.status, 1, check.stderr)
        XCTAssertTrue(check.stdout.contains("big.yaml:1:1: error: file is 2147483648 bytes, more than the limit of 262144 bytes"), check.stdout)
        let fmt = try run("fmt", in: p)
        XCTAssertEqual(fmt.status, 1, fmt.stderr)
        XCTAssertEqual(try p.read(".tandemonium/specs/a.yaml"), "id: a\ntitle: A\n")
        var st = stat()
        XCTAssertEqual(stat(p.specs + "/big.yaml", &st), 0)
        XCTAssertEqual(st.st_size, 2 << 30)
        XCTAssertEqual(st.st_blocks, 0, "the sparse file was written to")
    }

    func testOversizedSchemaAndConfigurationAreRefusedUnread() throws {
        let p = try Project()
        sparse(p.root + "/schema.json", gigabytes: 3)
        let schema = try run("check --schema schema.json", in: p)
        XCTAssertEqual(schema.status, 2)
        XCTAssertTrue(schema.stderr.contains("schema.json: invalid schema: cannot read the file: it is 3221225472 bytes, more than the limit"), schema.stderr)
        sparse(p.root + "/.specsync.yaml", gigabytes: 3)
        let config = try run("check", in: p)
        XCTAssertEqual(config.status, 2)
        XCTAssertTrue(config.stderr.contains(".specsync.yaml: cannot read configuration: it is 3221225472 bytes, more than the limit"), config.stderr)
    }

    func testStagedBlobOverTheLimitIsReportedUnread() throws {
        let p = try Project()
        let git = { (args: String) in try CLI.shell("git -c user.name=t -c user.email=t@example.com " + args, cwd: p.root) }
        XCTAssertEqual(try git("init -q .").status, 0)
        try p.write(".specsync.yaml", "limits:\n  max_file_bytes: 100\n")
        try p.write(".tandemonium/specs/big.yaml", "id: big\ntitle: \"\(String(repeating: "x", count: 200))\"\n")
        try p.write(".tandemonium/specs/ok.yaml", "id: ok\ntitle: OK\n")
        XCTAssertEqual(try git("add .").status, 0)
        let r = try CLI.run(["check", "--staged"], cwd: p.root)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stdout.contains("big.yaml:1:1: error: file is 218 bytes, more than the limit of 100 bytes"), r.stdout)
        XCTAssertFalse(r.stdout.contains("ok.yaml"), r.stdout)
    }

    /// The watcher meets a 2 GB sparse spec: reported invalid at once, memory bounded, other saves
    /// still normalized.
    func testWatcherRefusesSparseSpecAndKeepsWorking() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], launcher: ["/bin/sh", "-c", capped])
        let big = daemon.root + "/big.yaml"
        sparse(big)
        let event = try daemon.waitForEvent(big, action: "invalid")
        XCTAssertTrue((event.diagnostics.first?["message"] as? String ?? "").contains("2147483648 bytes, more than the limit"), event.raw)
        let other = daemon.root + "/other.yaml"
        try Save.inPlace(other, messySpec("O-1", "Other"))
        try daemon.waitForContent(other, canonicalForm("O-1", "Other"))
        XCTAssertEqual(try daemon.stop(), 0, daemon.log)
    }

    /// A late write into the version the watcher displaced is read back bounded too: over the limit
    /// it is reported, not restored (and not read whole).
    func testOversizedLateWriteIntoTheDisplacedVersionIsNotRestored() throws {
        let p = try Project()
        try p.write(".specsync.yaml", "limits:\n  max_file_bytes: 300\n")
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
        let path = daemon.root + "/late.yaml"
        try Save.inPlace(path, messySpec("LATE-1", "v1"))
        let w1 = open(path, O_WRONLY | O_CLOEXEC)
        try Save.check(Int(w1), "open")
        try daemon.waitForEvent(path, action: "normalized")
        XCTAssertEqual(ftruncate(w1, 0), 0)
        try Save.writeAll(w1, "title: \"" + String(repeating: "x", count: 10_000) + "\"\nid: LATE-1\n")
        close(w1)
        try daemon.waitForLog("late.yaml: a write reached the previous version after it was replaced, but it is over limits.max_file_bytes (300 bytes); not restored")
        XCTAssertEqual(fileText(path), canonicalForm("LATE-1", "v1"))
        XCTAssertEqual(try daemon.stop(), 0)
    }
}
