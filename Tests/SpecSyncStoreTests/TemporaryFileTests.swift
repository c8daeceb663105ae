#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import XCTest

/// Temporary-file names and the cleanup of crash leftovers: only ours, only stale ones.
final class TemporaryFileTests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        scratch.remove()
    }

    func testOwnTemporaryNamesAreRecognizedAndNothingElse() {
        XCTAssertTrue(SpecStore.isOwnTemporaryFile(name: ".specsync-tmp-TAND-004.yaml.1234.0a1b2c3d"))
        XCTAssertTrue(SpecStore.isOwnTemporaryFile(name: ".specsync-tmp-a.b.c.yaml.7.ffffffff"))
        for name in ["TAND-004.yaml", ".specsync-tmp-", ".specsync-tmp-TAND-004.yaml",
                     ".specsync-tmp-TAND-004.yaml.12x4.0a1b2c3d", ".specsync-tmp-TAND-004.yaml.1234.0A1B2C3D",
                     ".specsync-tmp-TAND-004.yaml.1234.0a1b2c3", ".specsync-tmp-.1234.0a1b2c3d",
                     ".specsync-tmp-x.yaml..0a1b2c3d", "TAND-004.yaml.lock", ".TAND-004.yaml.swp"] {
            XCTAssertFalse(SpecStore.isOwnTemporaryFile(name: name), name)
        }
        let custom = SpecStore(configuration: StoreConfiguration(tempPrefix: ".mine-"))
        XCTAssertTrue(custom.isTemporaryFile(name: ".mine-x.yaml.1.00000000"))
        XCTAssertFalse(custom.isTemporaryFile(name: ".specsync-tmp-x.yaml.1.00000000"))
    }

    func testNextWriteRemovesOnlyOurStaleTemporaryFiles() throws {
        let ours = [".specsync-tmp-TAND-001.yaml.4242.deadbeef", ".specsync-tmp-other.yaml.1.00000000"]
        let notOurs = [".specsync-tmp-notes.txt", ".specsync-tmp-TAND-001.yaml.4242.DEADBEEF", "TAND-001.yaml.bak",
                       ".specsync-tmp-x.yaml.1"]
        for name in ours + notOurs { try writeFile(scratch.file(name), "leftover\n") }
        // A directory and a symlink with our name pattern are not files we created.
        let directoryName = ".specsync-tmp-dir.yaml.1.00000001"
        let symlinkName = ".specsync-tmp-link.yaml.1.00000002"
        try FileManager.default.createDirectory(atPath: scratch.file(directoryName), withIntermediateDirectories: false)
        XCTAssertEqual(symlink("TAND-001.yaml.bak", scratch.file(symlinkName)), 0)

        let store = SpecStore(configuration: StoreConfiguration(staleTempAge: .zero))
        try store.replace(scratch.file("TAND-001.yaml"), with: Array("id: TAND-001\n".utf8))

        for name in ours { XCTAssertFalse(exists(scratch.file(name)), "\(name) should have been removed") }
        for name in notOurs + [directoryName, symlinkName] { XCTAssertTrue(exists(scratch.file(name)), "\(name) must stay") }
    }

    func testYoungTemporaryFilesAreLeftForTheWriterThatOwnsThem() throws {
        // The owner is alive (our parent process), so only the age can make it stale.
        let young = ".specsync-tmp-TAND-001.yaml.\(getppid()).deadbeef"
        try writeFile(scratch.file(young), "in progress\n")
        try SpecStore(configuration: StoreConfiguration(staleTempAge: .seconds(3600)))
            .replace(scratch.file("TAND-001.yaml"), with: Array("x\n".utf8))
        XCTAssertTrue(exists(scratch.file(young)))

        // The same file counts as stale once it is older than the configured age.
        try SpecStore(configuration: StoreConfiguration(staleTempAge: .zero))
            .replace(scratch.file("TAND-001.yaml"), with: Array("y\n".utf8))
        XCTAssertFalse(exists(scratch.file(young)))
    }

    /// After a crash or kill -9 the writer's pid is gone: its temporaries go with the next write in
    /// the directory, however young (here with a one-hour stale age).
    func testTemporariesOfADeadProcessAreRemovedAtOnce() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let deadPID = child.processIdentifier
        XCTAssertEqual(kill(deadPID, 0), -1, "precondition: the child is gone")
        let orphan = ".specsync-tmp-TAND-001.yaml.\(deadPID).0badc0de"
        let live = ".specsync-tmp-TAND-002.yaml.\(getppid()).0badc0de"
        try writeFile(scratch.file(orphan), "whole old version\n")
        try writeFile(scratch.file(live), "in progress\n")
        try SpecStore(configuration: StoreConfiguration(staleTempAge: .seconds(3600)))
            .replace(scratch.file("TAND-003.yaml"), with: Array("x\n".utf8))
        XCTAssertFalse(exists(scratch.file(orphan)), "a dead writer's temporary stays")
        XCTAssertTrue(exists(scratch.file(live)), "a live writer's young temporary was removed")
    }

    func testTemporaryFileNameFollowsTheDocumentedPattern() throws {
        try XCTSkipUnless(SysFaults.isAvailable, "observing the temporary name needs the debug-build hook")
        let seen = SeenPaths()
        SysFaults.setBeforeCall { call, path in if call == .fsync, let path { seen.append(path) } }
        defer { SysFaults.reset() }
        try SpecStore().replace(scratch.file("TAND-009.yaml"), with: [1, 2, 3])
        let names = seen.all.map { PathName($0).last }
        let temporary = try XCTUnwrap(names.first)
        XCTAssertTrue(temporary.hasPrefix(".specsync-tmp-TAND-009.yaml.\(getpid())."), temporary)
        XCTAssertTrue(SpecStore.isOwnTemporaryFile(name: temporary))
        XCTAssertEqual(seen.all.count, 2, "the temporary file and then its directory are fsynced")
        XCTAssertEqual(seen.all.last, scratch.path)
    }
}

final class SeenPaths: @unchecked Sendable {
    private let lock = NSLock()
    private var paths: [String] = []
    func append(_ path: String) { lock.lock(); paths.append(path); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return paths }
}

struct PathName {
    let last: String
    init(_ path: String) { last = String(path.split(separator: "/").last ?? "") }
}
