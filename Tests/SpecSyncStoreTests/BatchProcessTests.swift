#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import XCTest

/// `updateMany` between real processes: SIGKILL in the middle of batches, batches racing batches and
/// single updates on overlapping files, flock(1) holding one file's lock, a low descriptor limit.
final class BatchProcessTests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        SysFaults.reset()
        scratch.remove()
    }

    func spec(_ number: Int) -> String { scratch.file("TAND-\(number).yaml") }

    /// Version "a" (~2 KB) or "b" (~3 KB) of file `number`; every line names the file and the version.
    static func version(_ letter: String, _ number: Int) -> [UInt8] {
        let lines = letter == "a" ? 30 : 45
        return Array((0..<lines).map { "\(letter) \(number) line \($0): \(String(repeating: letter, count: 50))\n" }
            .joined().utf8)
    }

    func testSIGKILLDuringBatchesLeavesEveryFileOldOrNewAndTheNextBatchCleansUp() throws {
        // 40 files, and the child's descriptor limit makes its chunks about 8 files: several per batch
        // without churning thousands of inodes (freeing and allocating them is what costs time here).
        let count = 40
        let versionsDirectory = scratch.file("versions")
        try FileManager.default.createDirectory(atPath: versionsDirectory, withIntermediateDirectories: false)
        let versions = (0..<count).map { number in (a: Self.version("a", number), b: Self.version("b", number)) }
        for (number, pair) in versions.enumerated() {
            try writeFile("\(versionsDirectory)/TAND-\(number).a", pair.a)
            try writeFile("\(versionsDirectory)/TAND-\(number).b", pair.b)
        }
        let paths = (0..<count).map(spec)
        // The cleaner flips every file after each kill; a zero stale age lets it remove the leftovers.
        let cleaner = SpecStore(configuration: StoreConfiguration(staleTempAge: .zero))
        func flipAll() -> Duration {
            let start = ContinuousClock.now
            let results = cleaner.updateMany(paths) { path, current in
                guard let number = paths.firstIndex(of: path) else { return nil }
                return current == versions[number].a ? versions[number].b : versions[number].a
            }
            XCTAssertTrue(results.allSatisfy { $0.replacedIdentity != nil }, "\(results.compactMap(\.failure).prefix(2))")
            return ContinuousClock.now - start
        }
        for (number, path) in paths.enumerated() { try writeFile(path, versions[number].a) }
        // Kill moments spread over about two batches (a child's batch costs about what ours does).
        let batchTime = flipAll()
        let spread = max(batchTime.components.attoseconds / 1_000_000_000_000 + batchTime.components.seconds * 1_000_000, 1_000)

        let rounds = 60
        var killsLeavingTemporaryFiles = 0
        var killsMidBatch = 0
        var generator = SystemRandomNumberGenerator()
        for round in 0..<rounds {
            let child = try ChildProcess("/bin/sh", ["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", testChildPath,
                                                     "batch-loop", scratch.path, versionsDirectory, String(count)])
            XCTAssertEqual(child.readLine(), "ready", child.standardError)
            Sys.sleep(for: .microseconds(Int64.random(in: 0..<(2 * spread), using: &generator)))
            child.kill(SIGKILL)
            XCTAssertEqual(child.terminatingSignal, SIGKILL, "round \(round): the child died on its own: \(child.standardError)")

            var seen: Set<Character> = []
            for (number, path) in paths.enumerated() {
                let found = try contents(path)
                if found == versions[number].a { seen.insert("a") } else if found == versions[number].b { seen.insert("b") } else {
                    return XCTFail("round \(round): \(path) is neither of its versions (\(found.count) bytes)")
                }
            }
            if seen.count == 2 { killsMidBatch += 1 }
            if !scratch.temporaryFiles().isEmpty { killsLeavingTemporaryFiles += 1 }

            _ = flipAll()
            XCTAssertEqual(scratch.temporaryFiles(), [], "round \(round): the next batch removes crash leftovers")
        }
        // Evidence the kills landed inside batches (otherwise this test would prove nothing).
        XCTAssertGreaterThan(killsLeavingTemporaryFiles, 0)
        XCTAssertGreaterThan(killsMidBatch, 0)
        print("BatchProcessTests: one batch of \(count) files takes ~\(spread / 1000) ms here; \(rounds) kills, \(killsLeavingTemporaryFiles) left temporary files, "
              + "\(killsMidBatch) left a mix of old and new files")
    }

    func testNoLostUpdatesWhenBatchesAndSingleUpdatesRace() throws {
        let paths = (0..<8).map(spec)
        for path in paths { try writeFile(path, counterFile(0)) }
        let rounds = 25, singleIncrements = 40
        // Overlapping sets, listed in different orders, one with a repeated entry.
        let batches: [[String]] = [
            Array(paths[0...5]),
            Array(paths[2...7].reversed()) + [paths[4]],
            [paths[6], paths[1], paths[3], paths[1]],
        ]
        let singles = [paths[3], paths[5], paths[3]]
        var expected = [String: Int]()
        for batch in batches { for path in batch { expected[path, default: 0] += rounds } }
        for path in singles { expected[path, default: 0] += singleIncrements }

        let children = try batches.map { try ChildProcess.testChild(["increment-many", String(rounds)] + $0) }
            + singles.map { try ChildProcess.testChild(["increment", $0, String(singleIncrements)]) }
        for child in children {
            child.closeStdin()
            XCTAssertEqual(child.exitCode, 0, child.standardError)
        }
        for path in paths {
            XCTAssertEqual(try counterValue(path), expected[path] ?? 0, path)
        }
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testAForeignFlockHolderMakesOnlyItsFilesTimeOutWithinOneDeadline() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/flock"), "needs flock(1); skipped")
        let paths = (0..<8).map(spec)
        for path in paths { try writeFile(path, "old \(path)\n") }
        let held = [3, 5, 6]
        let before = try held.map { try fileStatus(paths[$0]) }
        let holders = try held.map { number -> ChildProcess in
            let holder = try ChildProcess("/usr/bin/flock", ["-x", SpecStore.lockPath(for: paths[number]),
                                                             "sh", "-c", "echo held; exec cat >/dev/null"])
            XCTAssertEqual(holder.readLine(), "held")
            return holder
        }
        let store = SpecStore(configuration: StoreConfiguration(lockTimeout: .seconds(1)))
        let start = ContinuousClock.now

        let results = store.updateMany(paths) { path, _ in Array("new \(path)\n".utf8) }

        let elapsed = ContinuousClock.now - start
        for (number, path) in paths.enumerated() {
            if let index = held.firstIndex(of: number) {
                guard case .lockTimeout(path + ".lock", .seconds(1), let holderPID)? = results[number].failure as? StoreError else {
                    return XCTFail("\(path): \(results[number])")
                }
                XCTAssertNotNil(holderPID, "the holder is found in /proc/locks")
                XCTAssertEqual(try text(path), "old \(path)\n")
                XCTAssertEqual(try fileStatus(path).st_ino, before[index].st_ino)
            } else {
                XCTAssertNotNil(results[number].replacedIdentity, "\(path): \(results[number])")
                XCTAssertEqual(try text(path), "new \(path)\n")
            }
        }
        XCTAssertGreaterThanOrEqual(elapsed, .seconds(1), "the busy locks were waited for")
        XCTAssertLessThan(elapsed, .milliseconds(2_500), "one deadline for the chunk, not one second per busy lock")
        XCTAssertEqual(scratch.temporaryFiles(), [])
        for holder in holders {
            holder.closeStdin()
            XCTAssertEqual(holder.exitCode, 0)
        }
    }

    func testALowDescriptorLimitShrinksChunksInsteadOfFailing() throws {
        // 300 files in one chunk would need 600+ descriptors; the child may open 64.
        let paths = (0..<300).map(spec)
        for path in paths { try writeFile(path, counterFile(0)) }
        let result = try ChildProcess.run("/bin/sh", ["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", testChildPath,
                                                      "increment-many", "1"] + paths)
        XCTAssertEqual(result.code, 0, result.stderr)
        for path in paths { XCTAssertEqual(try counterValue(path), 1, path) }
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }
}
