import Foundation
import XCTest

/// A rewrite that fails for a condition that clears (here a full file system: a real tmpfs filled up)
/// is tried again by the watcher, without a new save, once it can succeed.
final class WatchRetryTests: XCTestCase {
    private var mountPoint: String?

    override func tearDown() {
        if let mountPoint { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
        mountPoint = nil
    }

    func testARewriteThatFailedOnAFullDiskIsRetriedOnceSpaceIsFreed() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root to mount a tmpfs that can be filled; skipped") }
        let project = try Project()
        // The specs directory is a tiny tmpfs of its own.
        guard mount("tmpfs", project.specs, "tmpfs", 0, "size=256k") == 0 else {
            throw XCTSkip("mounting a tmpfs failed (errno \(errno)); skipped")
        }
        mountPoint = project.specs
        let path = project.specs + "/full.yaml"
        try project.write(".tandemonium/specs/full.yaml", canonicalForm("FD-1", "before"))
        let daemon = try WatchDaemon(project, arguments: ["--startup", "off"])

        // Every page taken, then a save in place: it reuses the page its truncate freed, but the
        // watcher's temporary file finds none.
        let filler = project.specs + "/filler"
        let descriptor = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        try Save.check(Int(descriptor), "open filler")
        let page = [UInt8](repeating: 0x78, count: 4096)
        while page.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        XCTAssertEqual(errno, ENOSPC, "the filler stops at a full file system")
        close(descriptor)
        try Save.inPlace(path, messySpec("FD-1", "after"))

        let failed = try daemon.waitForEvent(path, action: "error")
        XCTAssertTrue(failed.raw.contains("No space left on device"), "\(failed)")
        XCTAssertTrue(failed.raw.contains("tries again in"), "\(failed)")
        XCTAssertTrue(failed.raw.contains("\"error_kind\":\"no-space\""), "\(failed)")
        XCTAssertEqual(fileText(path), messySpec("FD-1", "after"), "the save is untouched")

        XCTAssertEqual(unlink(filler), 0)
        _ = try daemon.waitForEvent(path, action: "normalized")
        XCTAssertEqual(fileText(path), canonicalForm("FD-1", "after"))
        _ = try daemon.quiesce()  // the displaced version's grace ends; no temporary stays
        XCTAssertEqual(fileText(path), canonicalForm("FD-1", "after"))
        XCTAssertEqual(try daemon.stop(), 0)
    }
}
