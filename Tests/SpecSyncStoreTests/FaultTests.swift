#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import SystemPackage
import XCTest

/// Every failure leaves the original byte-identical, removes the temporary file and names the cause.
final class FaultTests: XCTestCase {
    var scratch: ScratchDirectory!
    var mountPoint: String?
    let store = SpecStore()
    let original = Array("id: TAND-004\ntitle: original content\n".utf8)
    let replacement = Array("id: TAND-004\ntitle: replacement\n".utf8)

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        SysFaults.reset()
        if let mountPoint { umount2(mountPoint, Int32(MNT_DETACH)) }
        scratch.remove()
    }

    /// Writes the original, runs `body`, and checks the original survived untouched with no temporary left.
    func assertOriginalSurvives(_ name: String = "TAND-004.yaml", file: StaticString = #filePath, line: UInt = #line,
                                _ body: (String) throws -> Void) throws {
        let path = scratch.file(name)
        try writeFile(path, original)
        let before = try fileStatus(path)
        try body(path)
        XCTAssertEqual(try contents(path), original, "original must be byte-identical", file: file, line: line)
        XCTAssertEqual(try fileStatus(path).st_ino, before.st_ino, "original inode still in place", file: file, line: line)
        XCTAssertEqual(scratch.temporaryFiles(), [], "temporary file removed", file: file, line: line)
    }

    func testFsyncFailureFailsTheWriteWithoutRetrying() throws {
        try skipUnlessFaultInjection()
        try assertOriginalSurvives { path in
            SysFaults.inject(.fsync, .ioError)
            assertStoreError(try store.replace(path, with: replacement)) { error in
                guard case .io(path, .fsync, let subject, .ioError) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(subject.contains(".specsync-tmp-TAND-004.yaml."), subject)
                XCTAssertTrue(error.description.contains("fsync"), error.description)
                XCTAssertTrue(error.description.contains("EIO"), error.description)
                XCTAssertTrue(error.description.contains("not modified"), error.description)
            }
            XCTAssertEqual(SysFaults.pendingFaultCount, 0)
        }
        // The fault was used up once and not retried into success: the next write succeeds normally.
        try store.replace(scratch.file("TAND-004.yaml"), with: replacement)
        XCTAssertEqual(try contents(scratch.file("TAND-004.yaml")), replacement)
    }

    func testFsyncFailureInAChildProcessFromTheEnvironment() throws {
        try skipUnlessFaultInjection()
        try assertOriginalSurvives { path in
            let content = scratch.file("content")
            try writeFile(content, replacement)
            let result = try ChildProcess.run(testChildPath, ["replace", path, content],
                                              environment: [SysFaults.environmentVariable: "fsync=EIO"])
            XCTAssertEqual(result.code, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("fsync("), result.stderr)
            XCTAssertTrue(result.stderr.contains("Input/output error (EIO)"), result.stderr)
        }
    }

    func testInterruptedAndShortWritesStillProduceTheExactContent() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, original)
        let large = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        SysFaults.inject(.open, .interrupted, count: 2)
        SysFaults.inject(.flock, .interrupted, count: 2)
        SysFaults.inject(.write, .interrupted, count: 3)
        SysFaults.inject(InjectedFault(call: .write, effect: .shortTransfer(maxBytes: 4093), count: 10))
        try store.replace(path, with: large)
        XCTAssertEqual(try contents(path), large)
        XCTAssertEqual(SysFaults.pendingFaultCount, 0, "every injected interruption was met and retried")
    }

    func testInjectedNoSpaceDuringWrite() throws {
        try skipUnlessFaultInjection()
        try assertOriginalSurvives { path in
            SysFaults.inject(.write, .noSpace)
            assertStoreError(try store.replace(path, with: replacement)) { error in
                guard case .io(path, .write, _, .noSpace) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(error.description.contains("full"), error.description)
            }
        }
    }

    func testRenameFailureLeavesTheOriginal() throws {
        try skipUnlessFaultInjection()
        try assertOriginalSurvives { path in
            SysFaults.inject(.rename, .ioError)
            assertStoreError(try store.replace(path, with: replacement)) { error in
                guard case .io(path, .rename, _, .ioError) = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testCheckedCloseFailureLeavesTheOriginal() throws {
        try skipUnlessFaultInjection()
        try assertOriginalSurvives { path in
            SysFaults.inject(InjectedFault(call: .close, effect: .fail(.ioError), pathContains: ".specsync-tmp-"))
            assertStoreError(try store.replace(path, with: replacement)) { error in
                guard case .io(path, .close, _, .ioError) = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testModeAndOwnerFailuresLeaveTheOriginal() throws {
        try skipUnlessFaultInjection()
        try assertOriginalSurvives { path in
            SysFaults.inject(.fchmod, .readOnlyFileSystem)
            assertStoreError(try store.replace(path, with: replacement)) { error in
                guard case .io(path, .fchmod, _, .readOnlyFileSystem) = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testDirectoryFsyncFailureSaysTheContentIsInPlaceButNotDurable() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, original)
        SysFaults.inject(.fsync, .ioError, skip: 1)   // the temporary file's fsync passes, the directory's fails
        assertStoreError(try store.replace(path, with: replacement)) { error in
            XCTAssertEqual(error, .directorySyncFailed(path: path, directory: scratch.path, errno: .ioError))
            XCTAssertTrue(error.description.contains("may not survive"), error.description)
        }
        XCTAssertEqual(try contents(path), replacement)
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testNoSpaceOnATinyTmpfs() throws {
        try XCTSkipUnless(isRoot, "ENOSPC on a real tmpfs needs root to mount one; skipped (the injected ENOSPC test still runs)")
        let mountPoint = scratch.file("tiny")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=64k") == 0 else {
            throw XCTSkip("mounting a tmpfs failed (errno \(errno)); skipped")
        }
        self.mountPoint = mountPoint
        let path = mountPoint + "/TAND-004.yaml"
        try writeFile(path, original)
        let tooLarge = [UInt8](repeating: UInt8(ascii: "x"), count: 512 * 1024)

        assertStoreError(try store.replace(path, with: tooLarge)) { error in
            guard case .io(path, .write, let subject, .noSpace) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(subject.hasPrefix(mountPoint + "/.specsync-tmp-"), subject)
            XCTAssertTrue(error.description.contains("No space left on device (ENOSPC)"), error.description)
        }
        XCTAssertEqual(try contents(path), original)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: mountPoint).filter { $0.hasPrefix(".specsync-tmp-") }
        XCTAssertEqual(leftovers, [])
        // Space is back once the failed temporary is gone: a normal write still works.
        try store.replace(path, with: replacement)
        XCTAssertEqual(try contents(path), replacement)
    }

    func testUnwritableDirectory() throws {
        let directory = scratch.file("readonly")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let path = directory + "/TAND-004.yaml"
        try writeFile(path, original, mode: 0o666)
        let content = scratch.file("content")
        try writeFile(content, replacement)
        // The lock file already exists (an earlier write made it): what must fail is the temporary file.
        try writeFile(SpecStore.lockPath(for: path), [], mode: 0o644)

        if isRoot {
            // Root ignores permissions: run the writer as nobody. The lock file exists but is not
            // writable for nobody, so the read-only fallback for the lock is exercised too.
            try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                              "setpriv (util-linux) is needed to drop privileges; skipped")
            chmod(scratch.path, 0o755)
            let result = try ChildProcess.run("/usr/bin/setpriv", [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--", testChildPath, "replace", path, content,
            ])
            XCTAssertEqual(result.code, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("Permission denied (EACCES)"), result.stderr)
            XCTAssertTrue(result.stderr.contains("permission on \(directory)"), result.stderr)
            // The lock was taken through the read-only fallback; what failed is creating the temporary file.
            XCTAssertTrue(result.stderr.contains("open(\(directory)/.specsync-tmp-TAND-004.yaml."), result.stderr)
        } else {
            chmod(directory, 0o555)
            defer { chmod(directory, 0o755) }
            assertStoreError(try store.replace(path, with: replacement)) { error in
                guard case .io(path, .open, let subject, .permissionDenied) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(subject.hasPrefix(directory + "/.specsync-tmp-TAND-004.yaml."), subject)
            }
        }
        XCTAssertEqual(try contents(path), original)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
                       ["TAND-004.yaml", "TAND-004.yaml.lock"])
    }
}
