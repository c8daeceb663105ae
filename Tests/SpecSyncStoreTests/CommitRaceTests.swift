#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import Synchronization
import XCTest

/// The commit step (exchange, verify what was displaced, undo and verify again) against programs that
/// ignore the lock, at the moments that matter: between the read under the lock and the exchange, and
/// between the exchange and the swap-back. The store runs in a real child process stopped at each
/// renameat2 (`update-many --pause-before renameat2`), or in this process with the Sys hook; the other
/// writers are real processes too. Whatever happens, every save by another program ends up at the path
/// or is reported, never deleted.
final class CommitRaceTests: XCTestCase {
    var scratch: ScratchDirectory!
    let store = SpecStore()

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        SysFaults.reset()
        scratch.remove()
    }

    func spec(_ name: String) -> String { scratch.file(name + ".yaml") }

    /// An editor that writes a copy and renames it over `path`, as a separate process.
    func renameIn(_ path: String, _ content: String) throws {
        let source = scratch.file("content.\(UInt32.random(in: 0 ... .max))")
        try writeFile(source, content)
        let result = try ChildProcess.run(testChildPath, ["rename-in", path, source])
        XCTAssertEqual(result.code, 0, result.stderr)
        unlink(source)
    }

    /// Runs `update-many` in a child stopped before every renameat2; `atPause(number, argument)` runs
    /// while it waits. Returns the child's result line per path.
    func steppedBatch(_ paths: [String], atPause: (Int, String) throws -> Void) throws -> [String: String] {
        try skipUnlessFaultInjection()
        let child = try ChildProcess.testChild(["update-many", "--pause-before", "renameat2"] + paths)
        var results: [String: String] = [:]
        while let line = child.readLine() {
            if line.hasPrefix("before renameat2 ") {
                let rest = line.dropFirst("before renameat2 ".count)
                guard let space = rest.firstIndex(of: " "), let number = Int(rest[..<space]) else {
                    XCTFail(line)
                    break
                }
                try atPause(number, String(rest[rest.index(after: space)...]))
                child.writeLine("go")
            } else if let colon = line.range(of: ": ") {
                results[String(line[..<colon.lowerBound])] = String(line[colon.upperBound...])
            }
        }
        child.closeStdin()
        XCTAssertEqual(child.exitCode, 0, child.standardError)
        return results
    }

    /// Our files and leftovers other than the editors' content sources.
    func directoryEntries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? [])
            .filter { !$0.hasPrefix("content.") && !$0.hasSuffix(".lock") }.sorted()
    }

    // MARK: Batches

    func testABatchKeepsAThirdSaveThatLandsBetweenTheExchangeAndTheSwapBack() throws {
        let raced = spec("TAND-1"), bystander = spec("TAND-2")
        try writeFile(raced, "read under the lock\n")
        try writeFile(bystander, "old bystander\n")
        var exchangesOfRaced = 0
        let results = try steppedBatch([raced, bystander]) { _, argument in
            guard argument.hasSuffix("-> " + raced) else { return }
            exchangesOfRaced += 1
            // First: a save lands after the read, before the exchange (so the batch must swap back).
            // Second: another save lands after the exchange, before the swap-back.
            if exchangesOfRaced == 1 { try renameIn(raced, "second save\n") }
            if exchangesOfRaced == 2 { try renameIn(raced, "third save, the newest\n") }
        }
        XCTAssertGreaterThanOrEqual(exchangesOfRaced, 2, "the swap-back ran")
        XCTAssertEqual(try text(raced), "third save, the newest\n", "the newest save is at the path")
        XCTAssertEqual(results[raced], "changed")
        XCTAssertEqual(results[bystander], "replaced")
        XCTAssertEqual(try text(bystander), "batch TAND-2.yaml\n")
        XCTAssertEqual(directoryEntries(), ["TAND-1.yaml", "TAND-2.yaml"], "no temporary left behind")
    }

    func testABatchWhoseSwapBackFailsReportsWhereTheOtherSaveIsAndDeletesNothing() throws {
        try skipUnlessFaultInjection()
        let raced = spec("TAND-1"), bystander = spec("TAND-2")
        try writeFile(raced, "read under the lock\n")
        try writeFile(bystander, "old bystander\n")
        let (editor, source) = (testChildPath, scratch.file("content.other"))
        try writeFile(source, "the other program's save\n")
        let exchanges = Counter()
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2, argument?.hasSuffix("-> " + raced) == true else { return }
            exchanges.increment()
            if exchanges.value == 1 { _ = try? ChildProcess.run(editor, ["rename-in", raced, source]) }
        }
        // The exchange works; the swap-back of the same temporary fails.
        SysFaults.inject(InjectedFault(call: .renameat2, effect: .fail(.ioError), skip: 1,
                                       pathContains: ".specsync-tmp-TAND-1.yaml."))

        let results = store.updateMany([raced, bystander]) { path, current in
            current.map { _ in Array("batch \(PathName(path).last)\n".utf8) }
        }

        XCTAssertEqual(SysFaults.pendingFaultCount, 0, "the swap-back was attempted")
        guard case .unresolvedExchange(raced, let stranded)? = results[0].failure as? StoreError else {
            return XCTFail("\(results[0])")
        }
        XCTAssertEqual(try text(stranded), "the other program's save\n", "kept where the error says")
        XCTAssertEqual(try text(raced), "batch TAND-1.yaml\n")
        XCTAssertTrue("\(results[0].failure!)".contains(stranded))
        XCTAssertNotNil(results[1].replacedIdentity, "\(results[1])")
    }

    func testABatchDoesNotRecreateAFileDeletedAfterItWasRead() throws {
        let deleted = spec("TAND-1"), bystander = spec("TAND-2")
        try writeFile(deleted, "read under the lock\n")
        try writeFile(bystander, "old bystander\n")
        let results = try steppedBatch([deleted, bystander]) { number, argument in
            if argument.hasSuffix("-> " + deleted) {
                let result = try ChildProcess.run("/bin/rm", ["-f", deleted])
                XCTAssertEqual(result.code, 0, result.stderr)
            }
        }
        XCTAssertFalse(exists(deleted), "the deleted spec was brought back")
        XCTAssertEqual(results[deleted], "changed")
        XCTAssertEqual(results[bystander], "replaced")
        XCTAssertEqual(directoryEntries(), ["TAND-2.yaml"], "no temporary left behind")
    }

    func testABatchDoesNotOverwriteAFileCreatedAfterItFoundNone() throws {
        try skipUnlessFaultInjection()
        let created = spec("TAND-1")
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2 || call == .rename, argument?.hasSuffix("-> " + created) == true, !exists(created) else { return }
            try? writeFile(created, "created by another program\n")
        }
        let results = store.updateMany([created]) { _, current in
            XCTAssertNil(current)
            return Array("ours\n".utf8)
        }
        XCTAssertEqual(results[0].failure as? StoreError, .changedDuringUpdate(path: created))
        XCTAssertEqual(try text(created), "created by another program\n")
        XCTAssertEqual(directoryEntries(), ["TAND-1.yaml"])
    }

    func testABatchPutsBackALateWriteIntoTheVersionItDisplaced() throws {
        try skipUnlessFaultInjection()
        let raced = spec("TAND-1"), bystander = spec("TAND-2")
        try writeFile(raced, "read under the lock\n")
        try writeFile(bystander, "old bystander\n")
        // An editor that opened the file before the batch and writes in place after the batch swapped
        // its version in: into the displaced inode, which the batch must not throw away with its write.
        let editor = try ChildProcess.testChild(["hold-open", raced])
        XCTAssertEqual(editor.readLine(), "opened", editor.standardError)
        let wrote = Counter()
        let directory = scratch.path
        SysFaults.setBeforeCall { call, argument in
            // The directory fsync comes after every exchange of the chunk.
            guard call == .fsync, argument == directory, wrote.value == 0 else { return }
            wrote.increment()
            editor.writeLine("write late edit")
            _ = editor.readLine()
        }

        let results = store.updateMany([raced, bystander]) { path, current in
            current.map { _ in Array("batch \(PathName(path).last)\n".utf8) }
        }

        XCTAssertEqual(wrote.value, 1, "the late write happened")
        XCTAssertEqual(try text(raced), "late edit\n", "the late write is at the path")
        XCTAssertEqual(results[0].failure as? StoreError, .changedDuringUpdate(path: raced))
        XCTAssertNotNil(results[1].replacedIdentity, "\(results[1])")
        XCTAssertEqual(directoryEntries(), ["TAND-1.yaml", "TAND-2.yaml"], "no temporary left behind")
        editor.closeStdin()
        XCTAssertEqual(editor.exitCode, 0)
    }

    /// A batch that keeps displaced versions keeps our version too when its exchange is undone (a
    /// program may have opened the path while it was there) — unmodified, with the bytes it was written
    /// with, so only a real late write into it ever counts as one.
    func testABatchKeepsOurVersionUnmodifiedAfterAnUndoneExchange() throws {
        try skipUnlessFaultInjection()
        let path = spec("TAND-1")
        try writeFile(path, "read under the lock\n")
        let theirs = scratch.file("content.theirs")
        try writeFile(theirs, "their save\n")
        let exchanges = Counter()
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2, argument?.hasSuffix("-> " + path) == true else { return }
            exchanges.increment()
            if exchanges.value == 1 { _ = try? ChildProcess.run(testChildPath, ["rename-in", path, theirs]) }
        }
        let outcomes = store.updateMany([path], keepingDisplaced: { _ in true }) { _, current in
            current.map { _ in Array("ours\n".utf8) }
        }
        SysFaults.setBeforeCall(nil)
        guard case .failure(StoreError.changedDuringUpdate) = outcomes[0].result else { return XCTFail("\(outcomes[0].result)") }
        guard let kept = outcomes[0].displaced else { return XCTFail("our version was not kept") }
        XCTAssertEqual(exchanges.value, 2)
        XCTAssertEqual(try text(path), "their save\n")
        XCTAssertEqual(try kept.bytes(), Array("ours\n".utf8))
        XCTAssertFalse(try kept.hasBeenModified(), "nothing wrote into our version")
        kept.discard()
        XCTAssertEqual(directoryEntries(), ["TAND-1.yaml"])
    }

    /// W1 holds the file and writes into it as we swap, so the exchange is undone; W2 opened the path
    /// while our version was there, with O_TRUNC. Caught part-way, such a save shows its new size before
    /// its new timestamps (ext4 sets them after the truncate), so our version looks saved into *earlier*
    /// than W1's write. It must be kept (W2's write lands in it next), not unlinked under W2.
    func testAnUndoKeepsOurVersionCaughtMidSaveWithItsOldTimestamp() throws {
        try skipUnlessFaultInjection()
        let path = spec("TAND-1")
        try writeFile(path, "read under the lock\n")
        let snapshot = try store.read(path)
        let w1 = open(path, O_WRONLY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(w1, 0)
        defer { close(w1) }
        SysFaults.inject(.fcntl, .invalidArgument, count: Int.max)     // no writer probe: W1 is let through
        let w2 = Box<Int32>(-1)
        let exchanges = Counter()
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2, argument?.hasSuffix("-> " + path) == true else { return }
            exchanges.increment()
            if exchanges.value == 1 {
                // W1's in-place write: the version read is gone, the exchange will be undone.
                _ = ftruncate(w1, 0)
                _ = "W1's save, older\n".withCString { write(w1, $0, strlen($0)) }
            } else if exchanges.value == 2 {
                // W2 opens the path (our version) with O_TRUNC; the undo sees the new size with the
                // mtime our version was written with (before W1's write).
                var before = stat()
                guard stat(path, &before) == 0 else { return }
                let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
                var times = [timespec(tv_sec: before.st_mtim.tv_sec - 10, tv_nsec: 0), timespec(tv_sec: before.st_mtim.tv_sec - 10, tv_nsec: 0)]
                _ = futimens(fd, &times)
                w2.value = fd
            }
        }
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: Array("ours\n".utf8), keepDisplaced: true)
        SysFaults.setBeforeCall(nil)
        XCTAssertGreaterThanOrEqual(w2.value, 0)
        defer { close(w2.value) }
        // W2's save completes after the undo.
        _ = "W2's save, the newest\n".withCString { write(w2.value, $0, strlen($0)) }
        var written = stat()
        XCTAssertEqual(fstat(w2.value, &written), 0)
        XCTAssertEqual(written.st_nlink, 1, "the undo unlinked our version while W2 was saving into it")
        guard case .conflict(_, let ours) = result, let kept = ours else { return XCTFail("our version was not kept: \(result)") }
        XCTAssertEqual(try text(path), "W1's save, older\n")
        XCTAssertTrue(try kept.hasBeenModified())
        XCTAssertEqual(try kept.bytes(), Array("W2's save, the newest\n".utf8))
        kept.discard()
    }

    // MARK: Single files

    /// The check of what an exchange displaced reads it to a pread of 0 bytes, so a program appending
    /// to the displaced version just after the read of its content (here: at the next system call) is
    /// still seen, and its save put back. (With the read stopped at the size fstat gave, that append was
    /// lost with the unlinked inode: found by review.)
    func testAnAppendToTheDisplacedVersionRightAfterItIsReadIsPutBack() throws {
        try skipUnlessFaultInjection()
        let path = spec("late-append")
        try writeFile(path, "id: TAND-001\ntitle: old\n")
        struct Step { var displacedAt: String?; var callsSinceRead = -1; var done = false }
        let step = Mutex(Step())
        SysFaults.setBeforeCall { call, argument in
            let appendTo: String? = step.withLock { step in
                guard !step.done else { return nil }
                if call == .renameat2, step.displacedAt == nil, let argument, let arrow = argument.range(of: " -> ") {
                    step.displacedAt = String(argument[..<arrow.lowerBound])   // the temporary's name
                    return nil
                }
                guard let displaced = step.displacedAt else { return nil }
                if step.callsSinceRead >= 0 { step.callsSinceRead += 1 }
                if call == .pread, argument == path, step.callsSinceRead < 0 { step.callsSinceRead = 0 }
                guard step.callsSinceRead == 1 else { return nil }
                step.done = true
                return displaced
            }
            guard let appendTo else { return }
            let descriptor = open(appendTo, O_WRONLY | O_APPEND)
            guard descriptor >= 0 else { return }
            _ = "late: appended\n".withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
        }
        XCTAssertThrowsError(try store.update(path) { _ in Array("id: TAND-001\ntitle: new\n".utf8) }) { error in
            XCTAssertEqual(error as? StoreError, .changedDuringUpdate(path: path))
        }
        SysFaults.setBeforeCall(nil)
        XCTAssertTrue(step.withLock { $0.done }, "the append was made")
        XCTAssertEqual(String(decoding: try contents(path), as: UTF8.self), "id: TAND-001\ntitle: old\nlate: appended\n")
    }

    func testUpdateAndReplaceIfUnchangedDoNotRecreateAFileDeletedAfterItWasRead() throws {
        try skipUnlessFaultInjection()
        let path = spec("TAND-1")
        let deletes = Counter()
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2 || call == .rename, argument?.hasSuffix("-> " + path) == true, exists(path) else { return }
            deletes.increment()
            _ = try? ChildProcess.run("/bin/rm", ["-f", path])
        }

        try writeFile(path, "read under the lock\n")
        assertStoreError(try store.update(path) { _ in Array("ours\n".utf8) }) {
            XCTAssertEqual($0, .changedDuringUpdate(path: path))
        }
        XCTAssertEqual(deletes.value, 1, "the delete ran")
        XCTAssertFalse(exists(path), "update brought the deleted file back")

        try writeFile(path, "read under the lock\n")
        let snapshot = try store.read(path)
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: Array("ours\n".utf8), keepDisplaced: true)
        guard case .conflict(nil, _) = result else { return XCTFail("\(result)") }
        XCTAssertEqual(deletes.value, 2, "the delete ran")
        XCTAssertFalse(exists(path), "replaceIfUnchanged brought the deleted file back")
        XCTAssertEqual(directoryEntries(), [])
    }

    func testReplaceIfUnchangedKeepsAThirdSaveThatLandsBetweenTheExchangeAndTheSwapBack() throws {
        try skipUnlessFaultInjection()
        let path = spec("TAND-1")
        try writeFile(path, "read under the lock\n")
        let snapshot = try store.read(path)
        let exchanges = Counter()
        let (editor, second, third) = (testChildPath, scratch.file("content.second"), scratch.file("content.third"))
        try writeFile(second, "second save\n")
        try writeFile(third, "third save, the newest\n")
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2, argument?.hasSuffix("-> " + path) == true else { return }
            exchanges.increment()
            if exchanges.value <= 2 { _ = try? ChildProcess.run(editor, ["rename-in", path, exchanges.value == 1 ? second : third]) }
        }
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: Array("ours\n".utf8), keepDisplaced: true)
        guard case .conflict = result else { return XCTFail("\(result)") }
        XCTAssertEqual(try text(path), "third save, the newest\n")
        XCTAssertEqual(directoryEntries(), ["TAND-1.yaml"])
    }

    func testReplaceIfUnchangedEndsWithTheNewestOfSavesThatKeepLandingDuringTheSwapBack() throws {
        try skipUnlessFaultInjection()
        let path = spec("TAND-1")
        try writeFile(path, "read under the lock\n")
        let snapshot = try store.read(path)
        let exchanges = Counter()
        let saves = try (1...5).map { number in
            let file = scratch.file("content.\(number)")
            try writeFile(file, "save \(number)\n")
            return file
        }
        // A save before the exchange and one before each of the next four exchanges: every swap back
        // brings a newer save than the one it put in place.
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2, argument?.hasSuffix("-> " + path) == true else { return }
            exchanges.increment()
            if exchanges.value <= saves.count {
                _ = try? ChildProcess.run(testChildPath, ["rename-in", path, saves[exchanges.value - 1]])
            }
        }
        let result = try store.replaceIfUnchanged(path, expected: snapshot, with: Array("ours\n".utf8), keepDisplaced: true)
        guard case .conflict = result else { return XCTFail("\(result)") }
        XCTAssertEqual(try text(path), "save 5\n")
        XCTAssertEqual(exchanges.value, saves.count + 1, "one exchange more than the saves: the last brings back what it put")
        XCTAssertEqual(directoryEntries(), ["TAND-1.yaml"])
    }

    /// Saves that never stop landing (one before every exchange) end the undo after its 64 rounds: an
    /// error that names where the version it holds was left, and nothing deleted — every save is either
    /// at the path, at the named temporary, or was replaced by a newer save as it would have been anyway.
    func testAnUndoThatSavesNeverLetFinishGivesUpAfter64RoundsAndDeletesNothingUnreplaced() throws {
        try skipUnlessFaultInjection()
        let path = spec("TAND-1")
        try writeFile(path, "read under the lock\n")
        let snapshot = try store.read(path)
        let exchanges = Counter()
        let source = scratch.file("content.next")
        SysFaults.setBeforeCall { call, argument in
            guard call == .renameat2, argument?.hasSuffix("-> " + path) == true else { return }
            exchanges.increment()
            try? Data("save \(exchanges.value)\n".utf8).write(to: URL(fileURLWithPath: source))
            _ = try? ChildProcess.run(testChildPath, ["rename-in", path, source])
        }
        assertStoreError(try store.replaceIfUnchanged(path, expected: snapshot, with: Array("ours\n".utf8),
                                                      keepDisplaced: false)) { error in
            guard case .unresolvedExchange(path, let stranded) = error else { return XCTFail("\(error)") }
            // The first exchange, then 64 rounds of the undo; a save before each.
            XCTAssertEqual(exchanges.value, 65)
            // Each round brought back a newer save; the last one is where the error says, the one
            // before it at the path. Older saves were each replaced by a newer one, as without us.
            XCTAssertEqual(try? text(stranded), "save 65\n", "the newest save is where the error says")
            XCTAssertEqual(try? text(path), "save 64\n")
        }
        SysFaults.setBeforeCall(nil)
        XCTAssertEqual(directoryEntries().filter { !$0.hasPrefix(".specsync-tmp-") }, ["TAND-1.yaml"])
        XCTAssertEqual(directoryEntries().filter { $0.hasPrefix(".specsync-tmp-") }.count, 1, "only the stranded version")
    }

    // MARK: Hammer

    /// Two editors (separate processes, no spec lock, saves by rename, taking turns and numbering their
    /// saves) against a process running updateMany in a loop that stamps every file it finds unstamped.
    /// Afterwards each file holds its newest save, stamped or not: never an older save, never nothing.
    func testNoSaveIsLostWhenBatchesRaceTwoForeignWriters() throws {
        let paths = (0..<8).map { spec("TAND-\($0)") }
        for path in paths { try writeFile(path, "seq: 0\n") }
        let mutex = scratch.file("writers.mutex")
        let stamper = try ChildProcess.testChild(["stamp-loop"] + paths)
        XCTAssertEqual(stamper.readLine(), "ready", stamper.standardError)
        let savesPerWriter = 1_500
        let writers = try (0..<2).map { _ in
            try ChildProcess.testChild(["foreign-saves", mutex, String(savesPerWriter)] + paths)
        }
        for writer in writers {
            writer.closeStdin()
            XCTAssertEqual(writer.exitCode, 0, writer.standardError)
        }
        stamper.closeStdin()
        let changed = stamper.readLine().flatMap { Int($0.dropFirst("changed ".count)) }
        let rounds = stamper.readLine().flatMap { Int($0.dropFirst("rounds ".count)) }
        XCTAssertEqual(stamper.exitCode, 0, stamper.standardError)

        let total = 2 * savesPerWriter
        for (index, path) in paths.enumerated() {
            let newest = (1...total).last { $0 % paths.count == index } ?? 0
            let save = "seq: \(newest)\nbody: \(String(repeating: "x", count: newest % 97))\n"
            let found = try text(path)
            XCTAssertTrue(found == save || found == save + "stamped\n", "\(path): \(found.debugDescription), newest save \(newest)")
        }
        XCTAssertEqual(scratch.temporaryFiles(), [])
        print("CommitRaceTests: \(total) foreign saves, \(rounds ?? -1) batches, \(changed ?? -1) files changed during a batch")
        XCTAssertGreaterThan(changed ?? 0, 0, "no save ever landed inside a batch: the race was not run")
    }
}
