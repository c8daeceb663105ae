#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import XCTest

/// The lock protocol between real processes: flock(1) as the foreign writer, and our own children.
final class LockTests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/flock"),
                          "flock(1) from util-linux is needed for the interop tests; skipped")
    }

    override func tearDown() {
        SysFaults.reset()
        scratch.remove()
    }

    /// flock(1) takes `<file>.lock` exactly as Tandemonium's Go writers do, and holds it until its stdin closes.
    func holdWithFlockUtility(_ lockPath: String) throws -> ChildProcess {
        let holder = try ChildProcess("/usr/bin/flock", ["-x", lockPath, "sh", "-c", "echo held; exec cat >/dev/null"])
        XCTAssertEqual(holder.readLine(), "held")
        return holder
    }

    func testNoLostUpdatesAcrossProcesses() throws {
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, "id: TAND-004\ncounter: 0\nstatus: todo\n")
        let processes = 4, increments = 150
        let children = try (0..<processes).map { _ in
            try ChildProcess.testChild(["increment", path, String(increments)])
        }
        for child in children {
            child.closeStdin()
            XCTAssertEqual(child.exitCode, 0, child.standardError)
        }
        XCTAssertEqual(try text(path), "id: TAND-004\ncounter: \(processes * increments)\nstatus: todo\n")
        XCTAssertEqual(scratch.temporaryFiles(), [])
    }

    func testNoLostUpdatesAcrossThreadsOfOneProcess() throws {
        // Threads take separate open file descriptions of the lock file, so they exclude each other
        // like processes do (the same-thread reentrancy must not leak across threads).
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, "counter: 0\n")
        let threads = 4, increments = 50
        let failures = Counter()
        let finished = Counter()
        for _ in 0..<threads {
            Thread {
                for _ in 0..<increments {
                    do {
                        _ = try SpecStore().update(path) { current in
                            let value = Int(String(decoding: current ?? [], as: UTF8.self)
                                .dropFirst("counter: ".count).dropLast()) ?? -1_000_000
                            return Array("counter: \(value + 1)\n".utf8)
                        }
                    } catch {
                        failures.increment()
                    }
                }
                finished.increment()
            }.start()
        }
        XCTAssertTrue(waitUntil(timeout: .seconds(60)) { finished.value == threads })
        XCTAssertEqual(failures.value, 0)
        XCTAssertEqual(try text(path), "counter: \(threads * increments)\n")
    }

    func testWriteWaitsInTheKernelForAForeignFlockHolderAndSucceedsAfterRelease() throws {
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, "original\n")
        let before = FileIdentity(try fileStatus(path))
        let lockPath = SpecStore.lockPath(for: path)
        let holder = try holdWithFlockUtility(lockPath)

        let outcome = Outcome()
        let writer = Thread {
            outcome.set(Result { try SpecStore(configuration: StoreConfiguration(lockTimeout: .seconds(30)))
                .replace(path, with: Array("written after release\n".utf8)) })
        }
        writer.start()

        // Queued behind the holder like any blocking flock waiter (a "->" line in /proc/locks), not polling.
        let inode = UInt64(try fileStatus(lockPath).st_ino)
        XCTAssertTrue(waitUntil { blockedFlockWaiters(inode: inode) == 1 }, "the writer waits in the kernel")
        XCTAssertNil(outcome.value, "the writer is still waiting")
        XCTAssertEqual(FileIdentity(try fileStatus(path)), before, "the file is untouched while the lock is held")
        XCTAssertEqual(try text(path), "original\n")
        XCTAssertEqual(scratch.temporaryFiles(), [], "no temporary file is created before the lock is taken")

        holder.closeStdin()
        XCTAssertEqual(holder.exitCode, 0)
        XCTAssertTrue(waitUntil { outcome.value != nil }, "the writer finishes after release")
        XCTAssertNoThrow(try outcome.value?.get())
        XCTAssertEqual(try text(path), "written after release\n")
    }

    func testAnInterruptedWaitKeepsWaitingUntilTheLockIsReleased() throws {
        try skipUnlessFaultInjection()
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, "original\n")
        let lockPath = SpecStore.lockPath(for: path)
        let holder = try holdWithFlockUtility(lockPath)
        // The first flock is the non-blocking try; the next two blocking waits return EINTR (a stray
        // signal) and must be resumed, not reported and not mistaken for the deadline.
        SysFaults.inject(.flock, .interrupted, count: 2, skip: 1)
        let outcome = Outcome()
        Thread {
            outcome.set(Result { try SpecStore(configuration: StoreConfiguration(lockTimeout: .seconds(30)))
                .replace(path, with: Array("after two interruptions\n".utf8)) })
        }.start()
        let inode = UInt64(try fileStatus(lockPath).st_ino)
        XCTAssertTrue(waitUntil { blockedFlockWaiters(inode: inode) == 1 }, "the writer waits in the kernel again")
        holder.closeStdin()
        XCTAssertEqual(holder.exitCode, 0)
        XCTAssertTrue(waitUntil { outcome.value != nil })
        XCTAssertNoThrow(try outcome.value?.get())
        XCTAssertEqual(try text(path), "after two interruptions\n")
    }

    func testTheDeadlineHoldsOnAThreadThatBlocksEverySignal() throws {
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, "original\n")
        let lockPath = SpecStore.lockPath(for: path)
        let holder = try holdWithFlockUtility(lockPath)
        let outcome = Outcome()
        Thread {
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_BLOCK, &all, nil)  // as thread pools do
            outcome.set(Result { try SpecStore(configuration: StoreConfiguration(lockTimeout: .milliseconds(200)))
                .replace(path, with: Array("never\n".utf8)) })
        }.start()
        XCTAssertTrue(waitUntil(timeout: .seconds(5)) { outcome.value != nil }, "the wait ends at its deadline")
        guard case .failure(let error as StoreError)? = outcome.value, case .lockTimeout = error else {
            return XCTFail("expected a lock timeout, got \(String(describing: outcome.value))")
        }
        XCTAssertEqual(try text(path), "original\n")
        holder.closeStdin()
        XCTAssertEqual(holder.exitCode, 0)
    }

    func testWriteTimesOutWithAClearErrorAndLeavesTheFileUntouched() throws {
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, "original\n")
        let before = FileIdentity(try fileStatus(path))
        let lockPath = SpecStore.lockPath(for: path)
        let holder = try holdWithFlockUtility(lockPath)

        let store = SpecStore(configuration: StoreConfiguration(lockTimeout: .milliseconds(300)))
        let clock = ContinuousClock()
        let start = clock.now
        assertStoreError(try store.replace(path, with: Array("never\n".utf8))) { error in
            guard case .lockTimeout(lockPath, .milliseconds(300), let holderPID) = error else { return XCTFail("\(error)") }
            XCTAssertNotNil(holderPID, "the holder is found in /proc/locks")
            XCTAssertTrue(error.description.contains("timed out after 300 ms"), error.description)
            XCTAssertTrue(error.description.contains("fuser -v \(lockPath)"), error.description)
        }
        XCTAssertGreaterThanOrEqual(clock.now - start, .milliseconds(300))
        XCTAssertEqual(FileIdentity(try fileStatus(path)), before)
        XCTAssertEqual(scratch.temporaryFiles(), [])
        holder.closeStdin()
        XCTAssertEqual(holder.exitCode, 0)
    }

    func testUpdateHoldsTheLockAcrossReadTransformAndWrite() throws {
        let path = scratch.file("TAND-004.yaml")
        try writeFile(path, "counter: 1\n")
        let lockPath = SpecStore.lockPath(for: path)
        var probeExitCode: Int32?
        let result = try SpecStore().update(path) { current in
            // Mid-transform, another process cannot take the lock.
            probeExitCode = try? ChildProcess.run("/usr/bin/flock", ["-n", "-x", lockPath, "true"]).code
            return current.map { _ in Array("counter: 2\n".utf8) }
        }
        XCTAssertEqual(probeExitCode, 1)
        guard case .replaced = result else { return XCTFail("\(result)") }
        XCTAssertEqual(try text(path), "counter: 2\n")
    }

    func testChildHoldingOurLockBlocksFlockUtilityUntilItExits() throws {
        let path = scratch.file("TAND-004.yaml")
        let holder = try ChildProcess.testChild(["hold-lock", path])
        XCTAssertEqual(holder.readLine(), "held")
        let lockPath = SpecStore.lockPath(for: path)
        XCTAssertEqual(try ChildProcess.run("/usr/bin/flock", ["-n", "-x", lockPath, "true"]).code, 1)
        holder.closeStdin()
        XCTAssertEqual(holder.exitCode, 0, holder.standardError)
        XCTAssertEqual(try ChildProcess.run("/usr/bin/flock", ["-n", "-x", lockPath, "true"]).code, 0)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// A value the fault hook (another thread's closure) hands back to the test.
final class Box<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}

final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<FileIdentity, Error>?
    func set(_ result: Result<FileIdentity, Error>) { lock.lock(); self.result = result; lock.unlock() }
    var value: Result<FileIdentity, Error>? { lock.lock(); defer { lock.unlock() }; return result }
}

/// Processes blocked in flock(2) on the file with this inode, from /proc/locks ("-> FLOCK" lines).
func blockedFlockWaiters(inode: UInt64) -> Int {
    guard let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return 0 }
    return table.split(separator: "\n").filter { line in
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 7, fields[1] == "->", fields[2] == "FLOCK" else { return false }
        return fields[6].split(separator: ":").last.flatMap { UInt64($0) } == inode
    }.count
}
