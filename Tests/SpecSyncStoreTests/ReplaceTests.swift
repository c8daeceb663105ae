#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import Synchronization
import XCTest

/// Durable replace and locked update in one process: content, mode, owner, symlinks, refusals.
final class ReplaceTests: XCTestCase {
    var scratch: ScratchDirectory!
    let store = SpecStore()

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        scratch.remove()
    }

    func testReplaceCreatesMissingFileWithUmaskAppliedTo0644() throws {
        let path = scratch.file("TAND-001.yaml")
        let previousUmask = umask(0o027)
        defer { umask(previousUmask) }

        let identity = try store.replace(path, with: Array("id: TAND-001\n".utf8))

        XCTAssertEqual(try text(path), "id: TAND-001\n")
        let st = try fileStatus(path)
        XCTAssertEqual(st.st_mode & 0o7777, 0o640)
        XCTAssertEqual(identity.inode, UInt64(st.st_ino))
        XCTAssertEqual(identity, FileIdentity(st), "the returned identity is the file's as it is now")
        XCTAssertTrue(exists(SpecStore.lockPath(for: path)), "the sidecar lock file stays")
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    /// A name that starts with a combining mark makes one Character with the slash before it; paths are
    /// split on the byte, so the temporary goes beside the file (split by Character, it went one
    /// directory up, into a directory that does not exist, and the write failed).
    func testANameStartingWithACombiningMarkIsWrittenInItsDirectory() throws {
        try FileManager.default.createDirectory(atPath: scratch.file("sub"), withIntermediateDirectories: true)
        let path = scratch.file("sub/\u{301}accent.yaml")
        try store.replace(path, with: Array("id: TAND-001\n".utf8))
        XCTAssertEqual(try text(path), "id: TAND-001\n")
        let outcome = store.updateMany([path]) { _, _ in Array("id: TAND-002\n".utf8) }
        guard case .success(.replaced) = outcome.first else { return XCTFail("\(outcome)") }
        XCTAssertEqual(try text(path), "id: TAND-002\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.file("sub")).sorted(),
                       ["\u{301}accent.yaml", "\u{301}accent.yaml.lock"])
    }

    /// Temporary names are `.specsync-tmp-<name>.<pid>.<8 lowercase hex digits>`: the pid lets a later
    /// write remove those of a writer that died, and the sweep takes nothing of another shape.
    func testTemporaryNamesCarryThePidAndEightHexDigits() throws {
        try XCTSkipUnless(SysFaults.isAvailable, "fault injection exists only in debug builds")
        let names = Mutex<[String]>([])
        SysFaults.setBeforeCall { call, path in
            if call == .open, let path, path.contains("/.specsync-tmp-") { names.withLock { $0.append(path) } }
        }
        defer { SysFaults.setBeforeCall(nil) }
        let path = scratch.file("TAND-\u{E9}1.yaml")
        for round in 0..<20 { try store.replace(path, with: Array("id: TAND-\(round)\n".utf8)) }
        let written = names.withLock { $0 }
        XCTAssertEqual(written.count, 20)
        let prefix = scratch.file(".specsync-tmp-TAND-\u{E9}1.yaml.\(getpid()).")
        for name in written {
            XCTAssertTrue(name.hasPrefix(prefix), name)
            let random = name.utf8.dropFirst(prefix.utf8.count)
            XCTAssertEqual(random.count, 8, name)
            XCTAssertTrue(random.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, name)
        }
        XCTAssertEqual(Set(written).count, written.count, "every name drawn anew")
    }

    func testReplaceSwapsInANewInodeAndPreservesMode0600() throws {
        let path = scratch.file("secret.yaml")
        try writeFile(path, "old\n", mode: 0o600)
        let before = try fileStatus(path)

        try store.replace(path, with: Array("new\n".utf8))

        let after = try fileStatus(path)
        XCTAssertEqual(try text(path), "new\n")
        XCTAssertEqual(after.st_mode & 0o7777, 0o600)
        XCTAssertNotEqual(after.st_ino, before.st_ino, "replaced by rename, not rewritten in place")
    }

    func testReplacePreservesUnusualModeBits() throws {
        let path = scratch.file("group.yaml")
        try writeFile(path, "old\n")
        chmod(path, 0o664)
        try store.replace(path, with: Array("new\n".utf8))
        XCTAssertEqual(try fileStatus(path).st_mode & 0o7777, 0o664)
    }

    func testReplacePreservesOwnerAndGroup() throws {
        try XCTSkipUnless(isRoot, "needs root to chown the file to another user; skipped")
        let path = scratch.file("owned.yaml")
        try writeFile(path, "old\n")
        XCTAssertEqual(chown(path, 65534, 65534), 0)

        try store.replace(path, with: Array("new\n".utf8))

        let st = try fileStatus(path)
        XCTAssertEqual(st.st_uid, 65534)
        XCTAssertEqual(st.st_gid, 65534)
        XCTAssertEqual(try text(path), "new\n")
    }

    func testWritingThroughASymlinkReplacesItsTargetAndKeepsTheLink() throws {
        try FileManager.default.createDirectory(atPath: scratch.file("real"), withIntermediateDirectories: false)
        let target = scratch.file("real/TAND-002.yaml")
        try writeFile(target, "old\n", mode: 0o640)
        // Two hops, one relative and one absolute.
        XCTAssertEqual(symlink("real/TAND-002.yaml", scratch.file("hop.yaml")), 0)
        XCTAssertEqual(symlink(scratch.file("hop.yaml"), scratch.file("link.yaml")), 0)

        try store.replace(scratch.file("link.yaml"), with: Array("new\n".utf8))

        XCTAssertEqual(try Sys.readlink(scratch.file("link.yaml")), scratch.file("hop.yaml"))
        XCTAssertEqual(try Sys.readlink(scratch.file("hop.yaml")), "real/TAND-002.yaml")
        XCTAssertEqual(try text(target), "new\n")
        XCTAssertEqual(try fileStatus(target).st_mode & 0o7777, 0o640)
        XCTAssertTrue(exists(scratch.file("link.yaml.lock")), "the lock is on the path as given")
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testDanglingSymlinkGetsItsTargetCreated() throws {
        XCTAssertEqual(symlink("created.yaml", scratch.file("link.yaml")), 0)
        try store.replace(scratch.file("link.yaml"), with: Array("new\n".utf8))
        XCTAssertEqual(try text(scratch.file("created.yaml")), "new\n")
        XCTAssertEqual(try Sys.readlink(scratch.file("link.yaml")), "created.yaml")
    }

    func testSymlinkLoopIsRefused() throws {
        XCTAssertEqual(symlink("b.yaml", scratch.file("a.yaml")), 0)
        XCTAssertEqual(symlink("a.yaml", scratch.file("b.yaml")), 0)
        assertStoreError(try store.replace(scratch.file("a.yaml"), with: [1])) { error in
            XCTAssertEqual(error, .tooManySymlinks(path: scratch.file("a.yaml")))
        }
    }

    func testLockPathThatIsASymlinkIsRefused() throws {
        let path = scratch.file("TAND-003.yaml")
        try writeFile(path, "old\n")
        let elsewhere = scratch.file("elsewhere")
        XCTAssertEqual(symlink(elsewhere, SpecStore.lockPath(for: path)), 0)

        assertStoreError(try store.replace(path, with: Array("new\n".utf8))) { error in
            XCTAssertEqual(error, .lockPathIsSymlink(lockPath: path + ".lock"))
            XCTAssertTrue(error.description.contains("symbolic link"), error.description)
        }
        XCTAssertEqual(try text(path), "old\n")
        XCTAssertFalse(exists(elsewhere), "the link's target was not created")
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testTargetThatIsADirectoryIsRefusedWithoutCreatingAnything() throws {
        let path = scratch.file("specs")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try writeFile(path + "/inside.yaml", "keep\n")

        assertStoreError(try store.replace(path, with: [1])) { error in
            XCTAssertEqual(error, .targetIsDirectory(path: path))
            XCTAssertTrue(error.description.contains("is a directory"), error.description)
        }
        XCTAssertEqual(try text(path + "/inside.yaml"), "keep\n")
        XCTAssertFalse(exists(path + ".lock"))
        assertStoreError(try store.replace(path + "/", with: [1])) { XCTAssertEqual($0, .targetIsDirectory(path: path + "/")) }
    }

    func testMissingParentDirectoryIsNamed() throws {
        let path = scratch.file("no/such/dir/TAND-004.yaml")
        assertStoreError(try store.replace(path, with: [1])) { error in
            XCTAssertEqual(error, .missingParentDirectory(path: path, directory: scratch.file("no/such/dir")))
            XCTAssertTrue(error.description.contains(scratch.file("no/such/dir")), error.description)
        }
        XCTAssertFalse(exists(scratch.file("no")))
    }

    func testFIFOTargetIsRefused() throws {
        let path = scratch.file("fifo.yaml")
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        assertStoreError(try store.replace(path, with: [1])) { error in
            XCTAssertEqual(error, .targetNotRegularFile(path: path, resolved: path))
        }
        XCTAssertEqual(try fileStatus(path).st_mode & S_IFMT, S_IFIFO)
    }

    func testReadReturnsBytesAndIdentityAndNamesMissingFiles() throws {
        let path = scratch.file("read.yaml")
        try writeFile(path, "content\n")
        let snapshot = try store.read(path)
        XCTAssertEqual(snapshot.bytes, Array("content\n".utf8))
        XCTAssertEqual(snapshot.identity, FileIdentity(try fileStatus(path)))
        assertStoreError(try store.read(scratch.file("missing.yaml"))) {
            XCTAssertEqual($0, .fileNotFound(path: scratch.file("missing.yaml")))
        }
    }

    func testUpdateTransformsUnderTheLockAndSkipsNilOrUnchangedResults() throws {
        let path = scratch.file("update.yaml")
        var seen: [[UInt8]?] = []
        let created = try store.update(path) { current in
            seen.append(current)
            return Array("v1\n".utf8)
        }
        guard case .replaced(let firstIdentity) = created else { return XCTFail("expected a write, got \(created)") }
        XCTAssertEqual(firstIdentity, FileIdentity(try fileStatus(path)))

        let untouched = try store.update(path) { current in
            seen.append(current)
            return nil
        }
        XCTAssertEqual(untouched, .unchanged(firstIdentity))
        let same = try store.update(path) { $0 }
        XCTAssertEqual(same, .unchanged(firstIdentity), "identical bytes are not rewritten")
        XCTAssertEqual(FileIdentity(try fileStatus(path)), firstIdentity, "nothing touched the file")
        XCTAssertEqual(seen, [nil, Array("v1\n".utf8)])
    }

    func testUpdateTransformErrorPropagatesAndWritesNothing() throws {
        struct Refused: Error {}
        let path = scratch.file("update.yaml")
        try writeFile(path, "keep\n")
        let before = FileIdentity(try fileStatus(path))
        XCTAssertThrowsError(try store.update(path) { _ in throw Refused() }) { XCTAssertTrue($0 is Refused) }
        XCTAssertEqual(FileIdentity(try fileStatus(path)), before)
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testWithLockIsReentrantOnTheSameThreadAndHeldAgainstOtherProcesses() throws {
        let path = scratch.file("nested.yaml")
        let lockPath = SpecStore.lockPath(for: path)
        try store.withLock(path) {
            // A nested store call on the same thread reuses the lock instead of deadlocking.
            try store.replace(path, with: Array("inside\n".utf8))
            // The lock is a real flock on <file>.lock: flock(1) cannot take it meanwhile.
            let probe = try ChildProcess.run("/usr/bin/flock", ["-n", "-x", lockPath, "true"])
            XCTAssertEqual(probe.code, 1, "flock -n must fail while we hold the lock")
        }
        let after = try ChildProcess.run("/usr/bin/flock", ["-n", "-x", lockPath, "true"])
        XCTAssertEqual(after.code, 0, "released after withLock returns")
        XCTAssertEqual(try text(path), "inside\n")
    }
}
