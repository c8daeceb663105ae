import Foundation
import XCTest

/// File names are bytes: a name that is not UTF-8 (`caf\xE9.yaml` from a Latin-1 system) is found,
/// checked, formatted and watched like any other, and shown with `\xNN` escapes — it used to be
/// skipped silently by `check DIR`, `fmt DIR` and the watcher, and "no such file" when named.
final class NonUTF8NameTests: XCTestCase {
    private func writeRaw(_ directory: String, _ name: [UInt8], _ text: String) throws {
        let path = Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]
        let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } }
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = Array(text.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    private func readRaw(_ directory: String, _ name: [UInt8]) -> String? {
        let path = Array(directory.utf8) + [UInt8(ascii: "/")] + name + [0]
        let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY) } }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        return String(decoding: buffer[0..<max(0, count)], as: UTF8.self)
    }

    private let latin1 = Array("caf".utf8) + [0xE9] + Array(".yaml".utf8)   // café.yaml in Latin-1
    private let broken = [UInt8(ascii: "b"), 0xFF] + Array(".yaml".utf8)

    func testCheckAndFmtOfADirectoryProcessThemAndShowEscapes() throws {
        let p = try Project()
        try writeRaw(p.specs, latin1, messySpec("L-1", "latin"))
        try writeRaw(p.specs, broken, "id: B-1\ntitle: Bad\nstatus: wip\n")
        let check = try CLI.run(["check"], cwd: p.root)
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains(".tandemonium/specs/caf\\xE9.yaml: not in canonical form"), check.stdout)
        XCTAssertTrue(check.stdout.contains(".tandemonium/specs/b\\xFF.yaml:3:9: error: status"), check.stdout)
        XCTAssertTrue(check.stderr.contains("2 files checked"), check.stderr)
        let json = try CLI.run(["check", "--format", "json"], cwd: p.root)
        XCTAssertTrue(json.stdout.contains("\"path\":\".tandemonium/specs/caf\\\\xE9.yaml\""), json.stdout)

        let fmt = try CLI.run(["fmt", ".tandemonium/specs"], cwd: p.root)
        XCTAssertEqual(fmt.status, 1, "b\\xFF.yaml is invalid: " + fmt.stderr)
        XCTAssertTrue(fmt.stdout.contains("Fixing .tandemonium/specs/caf\\xE9.yaml"), fmt.stdout)
        XCTAssertEqual(readRaw(p.specs, latin1), canonicalForm("L-1", "latin"))
    }

    /// Named on the command line (raw bytes from the shell), the file is found.
    func testANamedFileIsFound() throws {
        let p = try Project()
        try writeRaw(p.specs, latin1, canonicalForm("L-2", "named"))
        let r = try CLI.shell("'\(CLI.binary)' check \"$(printf '.tandemonium/specs/caf\\351.yaml')\"", cwd: p.root)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stderr.contains("1 file checked"), r.stderr)
    }

    func testTheWatcherNormalizesASaveToSuchAName() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"])
        try writeRaw(daemon.root, latin1, messySpec("L-3", "watched"))
        let event = try daemon.waitForEvent(daemon.root + "/caf\\xE9.yaml", action: "normalized")
        XCTAssertEqual(event.action, "normalized")
        try waitUntil("the canonical form on disk") { self.readRaw(daemon.root, self.latin1) == canonicalForm("L-3", "watched") }
        XCTAssertEqual(try daemon.stop(), 0)
    }
}
