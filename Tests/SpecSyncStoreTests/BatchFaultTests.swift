#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import SystemPackage
import XCTest

/// `updateMany` under injected faults: a failed barrier fails its whole chunk (never retried), a
/// failure in one file's step fails only that file, and every failed file is byte-identical with no
/// temporary left. Plus the per-file fsync fallbacks (syncfs unavailable, several file systems).
final class BatchFaultTests: XCTestCase {
    var scratch: ScratchDirectory!
    var otherScratch: String?
    let store = SpecStore()

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        SysFaults.reset()
        scratch.remove()
        if let otherScratch { try? FileManager.default.removeItem(atPath: otherScratch) }
    }

    /// `count` files with their old content, and their stat before the batch.
    func makeFiles(_ count: Int, in directory: String? = nil) throws -> (paths: [String], before: [stat]) {
        let paths = (0..<count).map { (directory ?? scratch.path) + "/TAND-\($0).yaml" }
        for (number, path) in paths.enumerated() { try writeFile(path, batchContent("TAND-\(number)", "old")) }
        return (paths, try paths.map { try fileStatus($0) })
    }

    func rewrite(_ paths: [String]) -> [Result<UpdateResult, Error>] {
        store.updateMany(paths) { path, current in
            current.map { _ in batchContent(String(path.split(separator: "/").last!.dropLast(5)), "new") }
        }
    }

    func assertUntouched(_ path: String, _ before: stat, file: StaticString = #filePath, line: UInt = #line) throws {
        let name = String(path.split(separator: "/").last!.dropLast(5))
        XCTAssertEqual(try contents(path), batchContent(name, "old"), "\(path) byte-identical", file: file, line: line)
        XCTAssertEqual(try fileStatus(path).st_ino, before.st_ino, "\(path) not replaced", file: file, line: line)
    }

    func assertRewritten(_ path: String, _ result: Result<UpdateResult, Error>,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let name = String(path.split(separator: "/").last!.dropLast(5))
        XCTAssertNotNil(result.replacedIdentity, "\(path): \(result)", file: file, line: line)
        XCTAssertEqual(try contents(path), batchContent(name, "new"), file: file, line: line)
    }

    func testBarrierFailureFailsItsWholeChunkAndIsNotRetried() throws {
        try skipUnlessFaultInjection()
        let chunkSize = SpecStore.currentUpdateManyChunkSize
        let (paths, before) = try makeFiles(chunkSize + 44)
        let log = CallLog.install()
        SysFaults.inject(.syncfs, .ioError)

        let results = rewrite(paths)

        for (position, path) in paths.enumerated() {
            if position < chunkSize {
                guard case .io(path, .syncfs, scratch.path, .ioError)? = results[position].failure as? StoreError else {
                    return XCTFail("\(path): \(results[position])")
                }
                try assertUntouched(path, before[position])
            } else {
                try assertRewritten(path, results[position])
            }
        }
        let message = "\(results[0].failure!)"
        XCTAssertTrue(message.contains("syncfs(\(scratch.path)) failed: Input/output error (EIO)"), message)
        XCTAssertTrue(message.contains("not modified"), message)
        XCTAssertEqual(SysFaults.pendingFaultCount, 0)
        XCTAssertEqual(log.count(.syncfs), 1 + (44 + chunkSize - 1) / chunkSize,
                       "one per chunk: the failed barrier was not retried")
        XCTAssertEqual(log.count(.fsync, pathContains: ".specsync-tmp-"), 0, "nor replaced by fsyncs")
        XCTAssertEqual(log.count(.renameat2), 44, "nothing of the failed chunk was swapped in")
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testBarrierFailureInAChildProcessFromTheEnvironment() throws {
        try skipUnlessFaultInjection()
        let directory = try Sys.open(scratch.path, .readOnly, [.directory])
        defer { Sys.closeIgnoringErrors(directory) }
        XCTAssertNoThrow(try Sys.syncfs(directory), "the real call works here")
        XCTAssertEqual(try SysFaults.parse("syncfs=ENOSYS*always"),
                       [InjectedFault(call: .syncfs, effect: .fail(.noFunction), count: Int.max)])
        let paths = (0..<5).map { scratch.file("TAND-\($0).yaml") }
        for path in paths { try writeFile(path, counterFile(0)) }
        let before = try paths.map { try fileStatus($0) }

        let result = try ChildProcess.run(testChildPath, ["increment-many", "1"] + paths,
                                          environment: [SysFaults.environmentVariable: "syncfs=EIO"])

        XCTAssertEqual(result.code, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("syncfs(\(scratch.path)) failed: Input/output error (EIO)"), result.stderr)
        for (path, status) in zip(paths, before) {
            XCTAssertEqual(try text(path), counterFile(0))
            XCTAssertEqual(try fileStatus(path).st_ino, status.st_ino)
        }
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testSyncfsUnavailableFallsBackToOneFsyncPerFile() throws {
        try skipUnlessFaultInjection()
        let (paths, _) = try makeFiles(10)
        let log = CallLog.install()
        SysFaults.inject(.syncfs, .noFunction, count: Int.max)

        let results = rewrite(paths)

        for (path, result) in zip(paths, results) { try assertRewritten(path, result) }
        XCTAssertEqual(log.count(.syncfs), 1)
        XCTAssertEqual(log.count(.fsync, pathContains: ".specsync-tmp-"), 10, "every temporary fsynced")
        XCTAssertEqual(log.count(.fsync), 11, "plus the directory once")
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testFallbackFsyncFailureFailsOnlyThatFile() throws {
        try skipUnlessFaultInjection()
        let (paths, before) = try makeFiles(6)
        SysFaults.inject(.syncfs, .noFunction, count: Int.max)
        SysFaults.inject(InjectedFault(call: .fsync, effect: .fail(.ioError), pathContains: ".specsync-tmp-TAND-3.yaml."))

        let results = rewrite(paths)

        guard case .io(paths[3], .fsync, _, .ioError)? = results[3].failure as? StoreError else {
            return XCTFail("\(results[3])")
        }
        try assertUntouched(paths[3], before[3])
        for position in [0, 1, 2, 4, 5] { try assertRewritten(paths[position], results[position]) }
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testRenameFailureFailsOnlyThatFile() throws {
        try skipUnlessFaultInjection()
        let (paths, before) = try makeFiles(6)
        // Files are swapped in with renameat2(RENAME_EXCHANGE), so that what they displace can be checked.
        SysFaults.inject(InjectedFault(call: .renameat2, effect: .fail(.ioError), pathContains: ".specsync-tmp-TAND-2.yaml."))

        let results = rewrite(paths)

        guard case .io(paths[2], .renameat2, _, .ioError)? = results[2].failure as? StoreError else {
            return XCTFail("\(results[2])")
        }
        XCTAssertEqual(SysFaults.pendingFaultCount, 0)
        try assertUntouched(paths[2], before[2])
        for position in [0, 1, 3, 4, 5] { try assertRewritten(paths[position], results[position]) }
        XCTAssertEqual(scratch.temporaryFiles(), [], "the failed rename's temporary was removed")
    }

    func testWriteAndCloseFailuresFailOnlyTheirFile() throws {
        try skipUnlessFaultInjection()
        let (paths, before) = try makeFiles(6)
        SysFaults.inject(InjectedFault(call: .write, effect: .fail(.noSpace), pathContains: ".specsync-tmp-TAND-1.yaml."))
        SysFaults.inject(InjectedFault(call: .close, effect: .fail(.ioError), pathContains: ".specsync-tmp-TAND-4.yaml."))

        let results = rewrite(paths)

        guard case .io(paths[1], .write, _, .noSpace)? = results[1].failure as? StoreError,
              case .io(paths[4], .close, _, .ioError)? = results[4].failure as? StoreError else {
            return XCTFail("\(results)")
        }
        try assertUntouched(paths[1], before[1])
        try assertUntouched(paths[4], before[4])
        for position in [0, 2, 3, 5] { try assertRewritten(paths[position], results[position]) }
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testDirectoryFsyncFailureSaysTheContentIsInPlace() throws {
        try skipUnlessFaultInjection()
        let (paths, _) = try makeFiles(4)
        SysFaults.inject(.fsync, .ioError)     // the only fsync of a syncfs chunk is the directory's

        let results = rewrite(paths)

        for (number, path) in paths.enumerated() {
            XCTAssertEqual(results[number].failure as? StoreError,
                           .directorySyncFailed(path: path, directory: scratch.path, errno: .ioError))
            XCTAssertEqual(try contents(path), batchContent("TAND-\(number)", "new"))
        }
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testFilesOnSeveralFileSystemsAreFsyncedOneByOne() throws {
        var template = Array("/dev/shm/specsync-batch-test.XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw XCTSkip("no /dev/shm to put a second file system in") }
        otherScratch = String(cString: created)
        let other = try XCTUnwrap(otherScratch)
        try XCTSkipIf(try fileStatus(other).st_dev == fileStatus(scratch.path).st_dev,
                      "/dev/shm is on the same file system as /tmp here; skipped")
        let (here, _) = try makeFiles(3)
        let (there, _) = try makeFiles(3, in: other)
        let log = SysFaults.isAvailable ? CallLog.install() : nil

        let results = rewrite(here + there)

        for (path, result) in zip(here + there, results) { try assertRewritten(path, result) }
        if let log {
            XCTAssertEqual(log.count(.syncfs), 0, "one syncfs cannot cover two file systems")
            XCTAssertEqual(log.count(.fsync, pathContains: ".specsync-tmp-"), 6)
            XCTAssertEqual(log.count(.fsync), 8, "and each directory once")
        }
        XCTAssertEqual(scratch.temporaryFiles(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other).filter { $0.hasPrefix(".specsync-tmp-") }, [])
    }
}
