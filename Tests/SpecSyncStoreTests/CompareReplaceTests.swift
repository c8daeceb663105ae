#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import XCTest

/// replaceIfUnchanged against editors that ignore our lock (real child processes), including changes
/// landing inside the window between the check and the exchange (stepped into with the Sys hook).
final class CompareReplaceTests: XCTestCase {
    var scratch: ScratchDirectory!
    var path: String!
    let store = SpecStore()
    let original = Array("id: TAND-004\nstatus: todo\n".utf8)
    let ours = Array("id: TAND-004\nstatus: in_progress\n".utf8)
    let theirs = Array("id: TAND-004\nstatus: done\n".utf8)   // same size as the original

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        path = scratch.file("TAND-004.yaml")
        try writeFile(path, original, mode: 0o640)
        try writeFile(scratch.file("theirs"), theirs)
        XCTAssertEqual(theirs.count, original.count)
    }

    override func tearDown() {
        SysFaults.reset()
        scratch.remove()
    }

    func editor(_ mode: String) throws {
        let result = try ChildProcess.run(testChildPath, [mode, path, scratch.file("theirs")])
        XCTAssertEqual(result.code, 0, result.stderr)
    }

    func assertConflict(_ result: CompareReplaceResult, file: StaticString = #filePath, line: UInt = #line) throws {
        guard case .conflict(let current, _) = result else { return XCTFail("expected a conflict, got \(result)", file: file, line: line) }
        XCTAssertEqual(current, FileIdentity(try fileStatus(path)), "reports the identity found", file: file, line: line)
        XCTAssertEqual(try contents(path), theirs, "the other writer's content is kept", file: file, line: line)
        XCTAssertEqual(scratch.temporaryFiles(), [], file: file, line: line)
    }

    func testReplacesWhenTheFileIsStillTheExpectedVersion() throws {
        let snapshot = try store.read(path)
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: false)
        guard case .replaced(let newIdentity, let displaced) = result else { return XCTFail("\(result)") }
        XCTAssertNil(displaced)
        XCTAssertEqual(newIdentity, FileIdentity(try fileStatus(path)))
        XCTAssertNotEqual(newIdentity.inode, snapshot.identity.inode)
        XCTAssertEqual(try contents(path), ours)
        XCTAssertEqual(try fileStatus(path).st_mode & 0o7777, 0o640)
        XCTAssertEqual(scratch.temporaryFiles(), [], "the displaced old version was unlinked")
    }

    /// An in-place writer (Coldwine's `task` commands: truncate, write, close; no lock, no temp) paused
    /// between two chunks: the bytes read are unchanged, but the save is not over. The exchange is undone
    /// and the writer's file stays in place; once it closes, the replace goes through.
    func testAWriterStillHoldingTheFileOpenForWritingKeepsIt() throws {
        let writer = try ChildProcess("/bin/sh", ["-c", "exec 3>>\"$0\"; echo open; read line || true", path])
        XCTAssertEqual(writer.readLine(), "open")
        let before = FileIdentity(try fileStatus(path))
        let snapshot = try store.read(path)
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: true)
        guard case .conflict = result else { return XCTFail("expected a conflict while the writer has it open, got \(result)") }
        XCTAssertEqual(UInt64(try fileStatus(path).st_ino), before.inode, "the writer's inode is back at the path")
        XCTAssertEqual(try contents(path), original)
        XCTAssertEqual(scratch.temporaryFiles(), [])
        writer.closeStdin()
        XCTAssertEqual(writer.exitCode, 0)
        guard case .replaced = try store.replaceIfUnchanged(path, expected: try store.read(path), with: ours, keepDisplaced: false) else {
            return XCTFail("expected the replace to go through once the writer closed")
        }
        XCTAssertEqual(try contents(path), ours)
    }

    func testConflictWhenAnEditorRenamedANewFileInAfterTheRead() throws {
        let snapshot = try store.read(path)
        try editor("rename-in")
        try assertConflict(try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: true))
    }

    func testConflictWhenAnEditorWroteInPlaceAfterTheRead() throws {
        let snapshot = try store.read(path)
        try editor("write-in-place")
        XCTAssertEqual(UInt64(try fileStatus(path).st_ino), snapshot.identity.inode, "same inode, same size")
        try assertConflict(try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: false))
    }

    func testConflictWhenTheFileWasDeletedAfterTheRead() throws {
        let snapshot = try store.read(path)
        XCTAssertEqual(unlink(path), 0)
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: false)
        guard case .conflict(nil, _) = result else { return XCTFail("\(result)") }
        XCTAssertFalse(exists(path), "not recreated")
    }

    /// Runs `mode` as a real child process right before the first renameat2, i.e. after the check
    /// under the lock and before the exchange: the race only a foreign, lock-ignoring editor can win.
    func raceIntoExchangeWindow(_ mode: String) throws -> Counter {
        try skipUnlessFaultInjection()
        let exchanges = Counter()
        let (editorPath, target, theirsPath) = (testChildPath, path!, scratch.file("theirs"))
        SysFaults.setBeforeCall { call, _ in
            guard call == .renameat2 else { return }
            exchanges.increment()
            if exchanges.value == 1 { _ = try? ChildProcess.run(editorPath, [mode, target, theirsPath]) }
        }
        return exchanges
    }

    func testConflictWhenAFileIsRenamedInBetweenCheckAndExchange() throws {
        let exchanges = try raceIntoExchangeWindow("rename-in")
        let snapshot = try store.read(path)
        try assertConflict(try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: false))
        XCTAssertEqual(exchanges.value, 2, "exchanged, found the wrong file displaced, exchanged back")
    }

    /// Our version was at the path between the exchange and its undoing: a program that opened the path
    /// then holds our inode and may write into it after the undo. With `keepDisplaced` it stays linked
    /// and watched, like any displaced version, and a write found in it counts as newer than what the
    /// undo put back.
    func testAnUndoneExchangeKeepsOurVersionForAProgramThatOpenedThePathMeanwhile() throws {
        try skipUnlessFaultInjection()
        let exchanges = Counter()
        let (target, theirsPath) = (path!, scratch.file("theirs"))
        let holder = Box<ChildProcess?>(nil)
        SysFaults.setBeforeCall { call, _ in
            guard call == .renameat2 else { return }
            exchanges.increment()
            if exchanges.value == 1 { _ = try? ChildProcess.run(testChildPath, ["rename-in", target, theirsPath]) }
            guard exchanges.value == 2, let child = try? ChildProcess.testChild(["hold-open", target]) else { return }
            holder.value = child
            _ = child.readLine()    // "opened": it holds whatever is at the path now, our version
        }
        let snapshot = try store.read(path)
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: true)
        SysFaults.setBeforeCall(nil)
        guard let late = holder.value else { return XCTFail("the second program did not start") }
        guard case .conflict(let current, let kept) = result, let current, let kept else { return XCTFail("\(result)") }
        XCTAssertEqual(exchanges.value, 2)
        XCTAssertEqual(try contents(path), theirs, "the other writer's save is back at the path")
        XCTAssertEqual(try kept.bytes(), ours)
        XCTAssertFalse(try kept.hasBeenModified())
        XCTAssertTrue(kept.isSuccessor(current), "what the undo put back is the successor")

        late.writeLine("write status: saved into the version that was at the path")
        XCTAssertEqual(late.readLine(), "written", late.standardError)
        XCTAssertTrue(try kept.hasBeenModified())
        XCTAssertEqual(try kept.bytes(), Array("status: saved into the version that was at the path\n".utf8))
        XCTAssertEqual(try contents(path), theirs)
        kept.discard()
        XCTAssertEqual(scratch.temporaryFiles(), [])
        late.closeStdin()
        XCTAssertEqual(late.exitCode, 0)
    }

    func testConflictWhenTheFileIsWrittenInPlaceBetweenCheckAndExchange() throws {
        let exchanges = try raceIntoExchangeWindow("write-in-place")
        let snapshot = try store.read(path)
        try assertConflict(try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: false))
        XCTAssertEqual(UInt64(try fileStatus(path).st_ino), snapshot.identity.inode, "the original inode is back in place")
        XCTAssertEqual(exchanges.value, 2)
    }

    /// Where the kernel cannot say whether a writer holds the file open (leases unavailable, a file we do
    /// not own; forced here), the displaced inode stays linked and a late in-place write is caught.
    func testDisplacedFileDetectsALateInPlaceWriteThroughAnEarlierDescriptor() throws {
        try skipUnlessFaultInjection()
        SysFaults.inject(.fcntl, .invalidArgument, count: .max)
        // An editor opened the file for writing before our exchange and writes in place afterwards.
        let lateEditor = try ChildProcess.testChild(["hold-open", path])
        XCTAssertEqual(lateEditor.readLine(), "opened", lateEditor.standardError)

        let snapshot = try store.read(path)
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: true)
        guard case .replaced(_, let kept) = result, let displaced = kept else { return XCTFail("\(result)") }
        XCTAssertTrue(SpecStore.isOwnTemporaryFile(name: PathName(displaced.path).last), displaced.path)
        XCTAssertEqual(displaced.baseline.inode, snapshot.identity.inode)
        XCTAssertFalse(try displaced.hasBeenModified())
        XCTAssertEqual(try displaced.bytes(), original)

        lateEditor.writeLine("write status: edited late")
        XCTAssertEqual(lateEditor.readLine(), "written", lateEditor.standardError)
        XCTAssertTrue(try displaced.hasBeenModified())
        XCTAssertEqual(try displaced.bytes(), Array("status: edited late\n".utf8))
        XCTAssertEqual(try contents(path), ours, "the late write went to the displaced inode, not the file")

        displaced.discard()
        XCTAssertFalse(exists(displaced.path))
        displaced.discard()
        assertStoreError(try displaced.hasBeenModified()) { XCTAssertEqual($0, .fileNotFound(path: displaced.path)) }
        lateEditor.closeStdin()
        XCTAssertEqual(lateEditor.exitCode, 0)
    }

    func testDisplacedFileIsRemovedWhenReleased() throws {
        var displacedPath = ""
        do {
            let result = try store.replaceIfUnchanged(path, expected: try store.read(path), with: ours, keepDisplaced: true)
            guard case .replaced(_, let displaced?) = result else { return XCTFail("\(result)") }
            displacedPath = displaced.path
            XCTAssertTrue(exists(displacedPath))
        }
        XCTAssertFalse(exists(displacedPath))
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testFallsBackToCheckedRenameWithoutRenameExchange() throws {
        try skipUnlessFaultInjection()
        SysFaults.inject(.renameat2, .invalidArgument, count: .max)   // as on a file system without RENAME_EXCHANGE
        let snapshot = try store.read(path)
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: ours, keepDisplaced: true)
        guard case .replaced(let newIdentity, nil) = result else { return XCTFail("\(result)") }
        XCTAssertEqual(newIdentity, FileIdentity(try fileStatus(path)))
        XCTAssertEqual(try contents(path), ours)
        XCTAssertEqual(scratch.temporaryFiles(), [])

        // The check under the lock still catches changes made before the call.
        let second = try store.read(path)
        try editor("rename-in")
        try assertConflict(try store.replaceIfUnchanged(path, expected: second, with: original, keepDisplaced: false))
    }
}
