#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import XCTest

/// `updateMany` semantics in one process: results in input order, one barrier per chunk, untouched
/// files really untouched, duplicates applied in order, symlinks/mode/owner, individual failures.
final class BatchUpdateTests: XCTestCase {
    var scratch: ScratchDirectory!
    let store = SpecStore()

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        SysFaults.reset()
        scratch.remove()
    }

    func testManyFilesAcrossChunksGetOneBarrierPerChunkAndResultsInInputOrder() throws {
        let chunkSize = SpecStore.currentUpdateManyChunkSize
        let count = 2 * chunkSize + 88     // three chunks, the last one partial
        let insertAt = count / 2
        var paths = (0..<count).map { scratch.file("TAND-\($0).yaml") }
        for (number, path) in paths.enumerated() { try writeFile(path, batchContent("TAND-\(number)", "old")) }
        let created = scratch.file("TAND-new.yaml")
        paths.insert(created, at: insertAt)
        let before = try paths.map { exists($0) ? try fileStatus($0) : nil }
        // By position: leave alone (nil), same bytes (no write either), or new content.
        func plan(_ position: Int) -> Int { position % 3 }
        let log = SysFaults.isAvailable ? CallLog.install() : nil

        var seen: [String] = []
        let results = store.updateMany(paths) { path, current in
            seen.append(path)
            let position = seen.count - 1
            if path == created {
                XCTAssertNil(current, "a missing file reads as nil")
                return batchContent("TAND-new", "new")
            }
            XCTAssertEqual(current, batchContent("TAND-\(position > insertAt ? position - 1 : position)", "old"))
            switch plan(position) {
            case 0: return nil
            case 1: return current
            default: return current.map { _ in batchContent("TAND-\(position > insertAt ? position - 1 : position)", "new") }
            }
        }

        XCTAssertEqual(seen, paths, "transform runs once per file, in input order")
        XCTAssertEqual(results.count, paths.count)
        for (position, path) in paths.enumerated() {
            let name = path == created ? "TAND-new" : "TAND-\(position > insertAt ? position - 1 : position)"
            if path == created || plan(position) == 2 {
                let identity = try XCTUnwrap(results[position].replacedIdentity, "\(path): \(results[position])")
                XCTAssertEqual(try contents(path), batchContent(name, "new"))
                XCTAssertEqual(identity, FileIdentity(try fileStatus(path)), "the result names the new version")
            } else {
                XCTAssertTrue(results[position].isUnchanged, "\(path): \(results[position])")
                let old = try XCTUnwrap(before[position])
                let now = try fileStatus(path)
                XCTAssertEqual(now.st_ino, old.st_ino, "\(path): not replaced")
                XCTAssertEqual(FileIdentity(now), FileIdentity(old), "\(path): not touched at all")
                XCTAssertEqual(try contents(path), batchContent(name, "old"))
            }
            XCTAssertTrue(exists(SpecStore.lockPath(for: path)))
        }
        XCTAssertEqual(scratch.temporaryFiles(), [])
        if let log {
            let chunks = (paths.count + chunkSize - 1) / chunkSize
            XCTAssertEqual(log.count(.syncfs), chunks, "one barrier per chunk")
            XCTAssertEqual(log.count(.fsync), chunks, "no per-file fsync, one directory fsync per chunk")
            XCTAssertEqual(log.count(.fsync, pathContains: ".specsync-tmp-"), 0)
        }
    }

    func testEntriesNamingTheSameFileAreAppliedOneAfterAnother() throws {
        let path = scratch.file("TAND-1.yaml")
        let other = scratch.file("TAND-2.yaml")
        try writeFile(path, counterFile(0))
        try writeFile(other, counterFile(0))
        let link = scratch.file("link.yaml")
        XCTAssertEqual(symlink("TAND-1.yaml", link), 0)
        // "/./TAND-1.yaml.lock" sorts before "/TAND-1.yaml.lock", so the dotted spelling takes the flock
        // and the plain one shares it. The plain entry runs first; the dotted one is then put off to a
        // later chunk and lets go of its share, yet TAND-1.yaml's write is still pending: the lock must
        // stay held (probed from another process in every later transform).
        let dotted = scratch.path + "/./TAND-1.yaml"
        let paths = [path, dotted, other, link, path]
        var probes: [String] = []
        func lockIsHeld() -> Bool {
            (try? ChildProcess.run("/usr/bin/flock", ["-n", "-x", SpecStore.lockPath(for: path), "true"]))?.code == 1
        }

        let results = store.updateMany(paths) { entry, current in
            probes.append("\(entry == path ? "path" : entry == dotted ? "dotted" : entry == link ? "link" : "other") "
                + (lockIsHeld() ? "held" : "free"))
            return Array(counterFile((Int(String(decoding: current ?? [], as: UTF8.self)
                .split(separator: "\n").last?.dropFirst(9) ?? "") ?? -100) + 1).utf8)
        }

        XCTAssertEqual(results.filter { $0.replacedIdentity != nil }.count, paths.count, "\(results)")
        XCTAssertEqual(try counterValue(path), 4, "four entries name TAND-1.yaml: none lost")
        XCTAssertEqual(try counterValue(other), 1)
        // Chunks: [path, other] (dotted, link, path deferred), [dotted], [link], [path].
        XCTAssertEqual(probes, ["path held", "other held", "dotted held", "link held", "path held"])
        XCTAssertFalse(lockIsHeld(), "released at the end")
        XCTAssertEqual(try fileStatus(link).st_mode & S_IFMT, S_IFLNK)
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testSymlinksAreWrittenThroughAndModeAndOwnerAreKept() throws {
        try FileManager.default.createDirectory(atPath: scratch.file("real"), withIntermediateDirectories: false)
        let target = scratch.file("real/TAND-1.yaml")
        try writeFile(target, "old\n", mode: 0o600)
        chmod(target, 0o600)
        let link = scratch.file("TAND-1.yaml")
        XCTAssertEqual(symlink("real/TAND-1.yaml", link), 0)
        let grouped = scratch.file("TAND-2.yaml")
        try writeFile(grouped, "old\n")
        chmod(grouped, 0o2640)
        let owned = scratch.file("TAND-3.yaml")
        try writeFile(owned, "old\n")
        if isRoot { XCTAssertEqual(chown(owned, 65534, 65534), 0) }
        let ownedBefore = try fileStatus(owned)

        let results = store.updateMany([link, grouped, owned]) { path, _ in Array("new \(path)\n".utf8) }

        XCTAssertTrue(results.allSatisfy { $0.replacedIdentity != nil }, "\(results)")
        XCTAssertEqual(try fileStatus(link).st_mode & S_IFMT, S_IFLNK, "the link stays a link")
        XCTAssertEqual(try Sys.readlink(link), "real/TAND-1.yaml")
        XCTAssertEqual(try text(target), "new \(link)\n", "its target got the content")
        XCTAssertEqual(try fileStatus(target).st_mode & 0o7777, 0o600)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.file("real")), ["TAND-1.yaml"],
                       "the temporary file was made next to the target, and is gone")
        XCTAssertEqual(try fileStatus(grouped).st_mode & 0o7777, 0o2640)
        let ownedAfter = try fileStatus(owned)
        XCTAssertEqual(ownedAfter.st_uid, ownedBefore.st_uid)
        XCTAssertEqual(ownedAfter.st_gid, ownedBefore.st_gid)
        XCTAssertNotEqual(ownedAfter.st_ino, ownedBefore.st_ino)
        if !isRoot { print("BatchUpdateTests: not root, so the owner check only covers our own files") }
    }

    struct TransformRefused: Error, Equatable {}

    func testBadTargetsAndTransformErrorsFailOnlyTheirOwnFile() throws {
        let good = (0..<3).map { scratch.file("TAND-\($0).yaml") }
        for path in good { try writeFile(path, "old\n") }
        let directory = scratch.file("specs")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let noParent = scratch.file("no/such/TAND-9.yaml")
        let fifo = scratch.file("fifo.yaml")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let lockLinked = scratch.file("TAND-lock.yaml")
        try writeFile(lockLinked, "old\n")
        XCTAssertEqual(symlink(scratch.file("elsewhere"), SpecStore.lockPath(for: lockLinked)), 0)
        let refused = scratch.file("TAND-refused.yaml")
        try writeFile(refused, "old\n")
        let paths = [good[0], directory, noParent, good[1], fifo, lockLinked, "", refused, good[2]]

        let results = store.updateMany(paths) { path, current in
            if path == refused { throw TransformRefused() }
            return Array("new \(path)\n".utf8)
        }

        XCTAssertEqual(results[1].failure as? StoreError, .targetIsDirectory(path: directory))
        XCTAssertEqual(results[2].failure as? StoreError,
                       .missingParentDirectory(path: noParent, directory: scratch.file("no/such")))
        XCTAssertEqual(results[4].failure as? StoreError, .targetNotRegularFile(path: fifo, resolved: fifo))
        XCTAssertEqual(results[5].failure as? StoreError, .lockPathIsSymlink(lockPath: lockLinked + ".lock"))
        XCTAssertEqual(results[6].failure as? StoreError, .invalidPath(path: "", reason: "empty"))
        XCTAssertEqual(results[7].failure as? TransformRefused, TransformRefused(), "the transform's error, unchanged")
        for (position, path) in good.enumerated() {
            XCTAssertNotNil(results[[0, 3, 8][position]].replacedIdentity)
            XCTAssertEqual(try text(path), "new \(path)\n")
        }
        XCTAssertEqual(try text(lockLinked), "old\n")
        XCTAssertEqual(try text(refused), "old\n")
        XCTAssertFalse(exists(directory + ".lock"), "no lock file next to a refused target")
        XCTAssertFalse(exists(scratch.file("elsewhere")))
        XCTAssertEqual(try fileStatus(fifo).st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testStaleTemporariesAreSweptButNotTheBatchsOwn() throws {
        // A zero stale age makes every temporary in the directory "stale": the sweep must run before
        // the chunk writes its own, or it would delete them before their rename.
        let store = SpecStore(configuration: StoreConfiguration(staleTempAge: .zero))
        let paths = (0..<300).map { scratch.file("TAND-\($0).yaml") }
        for path in paths { try writeFile(path, "old\n") }
        let stale = scratch.file(".specsync-tmp-TAND-1.yaml.4242.deadbeef")
        let notOurs = scratch.file(".specsync-tmp-notes.txt")
        try writeFile(stale, "leftover\n")
        try writeFile(notOurs, "someone else's\n")

        let results = store.updateMany(paths) { path, _ in Array("new \(path)\n".utf8) }

        XCTAssertTrue(results.allSatisfy { $0.replacedIdentity != nil }, "\(results.compactMap(\.failure).prefix(3))")
        for path in paths { XCTAssertEqual(try text(path), "new \(path)\n") }
        XCTAssertFalse(exists(stale), "our stale leftover was removed")
        XCTAssertEqual(scratch.temporaryFiles(), [".specsync-tmp-notes.txt"], "anything not ours stays")
        XCTAssertEqual(try text(notOurs), "someone else's\n")
    }

    func testEmptyInputAndAllUnchangedWriteNothing() throws {
        XCTAssertEqual(store.updateMany([]) { _, _ in [1] }.count, 0)
        let paths = (0..<5).map { scratch.file("TAND-\($0).yaml") }
        for path in paths { try writeFile(path, "same\n") }
        let log = SysFaults.isAvailable ? CallLog.install() : nil
        let results = store.updateMany(paths) { _, current in current }
        XCTAssertTrue(results.allSatisfy(\.isUnchanged))
        XCTAssertEqual(scratch.temporaryFiles(), [])
        if let log {
            XCTAssertEqual(log.count(.syncfs), 0, "no barrier when nothing was written")
            XCTAssertEqual(log.count(.rename), 0)
            XCTAssertEqual(log.count(.fsync), 0)
        }
    }
}
