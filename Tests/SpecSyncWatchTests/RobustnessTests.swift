import Foundation
import SpecSyncSys
@testable import SpecSyncWatch
import SpecSyncWatchTestSupport
import XCTest

/// Queue overflow, a paused consumer, idleness without wake-ups, and the real watch limit.
final class RobustnessTests: XCTestCase {
    func testQueueOverflowWhileTheReaderIsHeldBackRescansAndReportsEveryFile() throws {
        let tree = try TempTree()
        try tree.mkdir("d")
        let doomed = try tree.write("d/doomed.yaml")
        let gate = Gate()
        let harness = try WatchHarness(root: tree.path, recorder: WatcherRecorder(readerWillWaitForEvents: { gate.pass() }))
        harness.startAndWaitUntilReady()
        XCTAssertTrue(gate.waitUntilSomeoneWaits(), "the reader reached the gate")
        // Each new file queues IN_CREATE and IN_CLOSE_WRITE: more than the kernel queue holds.
        let queueLimit = InotifyLimits.maxQueuedEvents ?? 16_384
        let paths = try (0..<(queueLimit / 2 + 500)).map { try tree.write("d/f\($0).yaml", "id: F\($0)\n") }
        try tree.remove("d/doomed.yaml")
        gate.release()
        XCTAssertTrue(harness.waitUntilReported(changed: paths, removed: [doomed]),
                      "missing: \(Set(paths).subtracting(harness.events.changedPaths).count) files")
        let events = harness.events
        XCTAssertTrue(events.contains { if case .rescanned(let reason) = $0 { return reason.contains("overflow") } else { return false } },
                      "the overflow was reported as a rescan")
        XCTAssertLessThanOrEqual(events.changedPaths.count, 2 * paths.count, "at most the live report plus the rescan")
        // Still watching afterwards.
        let after = try tree.write("d/after.yaml")
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: after) } })
        harness.stop()
    }

    func testConsumerPausedDuringABurstLosesNothing() throws {
        let tree = try TempTree()
        let harness = try WatchHarness(root: tree.path)
        let gate = Gate()
        // The handler blocks on `ready` like a slow engine: the reader keeps draining meanwhile.
        harness.onEvent = { if $0.isReady { gate.pass() } }
        harness.start()
        XCTAssertTrue(gate.waitUntilSomeoneWaits(), "the consumer is paused in its handler")
        let queueLimit = InotifyLimits.maxQueuedEvents ?? 16_384
        let paths = try (0..<(queueLimit / 2 + 500)).map { try tree.write("f\($0).yaml") }
        gate.release()
        XCTAssertTrue(harness.waitUntilReported(changed: paths),
                      "missing: \(Set(paths).subtracting(harness.events.changedPaths).count) files")
        harness.stop()
    }

    func testIdleWatcherThreadsStayBlockedWithoutWakeUps() throws {
        let tree = try TempTree()
        try tree.mkdir("a/b")
        try tree.write("a/b/x.yaml")
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        _ = harness.sync(tree)  // everything settled: no deadline is pending
        let recorder = harness.recorder
        XCTAssertTrue(eventually { recorder.consumerIsIdle(decidedAt: recorder.snapshot.consumerDecidedAt ?? .now) })
        let counters = recorder.snapshot
        guard let reader = counters.readerThreadID, let consumer = counters.consumerThreadID,
              let readerBefore = threadActivity(reader), let consumerBefore = threadActivity(consumer) else {
            return XCTFail("thread ids or /proc/self/task unavailable")
        }
        // A bounded wait for anything to happen; nothing should, for 300 ms.
        let eventCount = harness.events.count
        XCTAssertFalse(harness.wait(timeout: 0.3) { $0.count > eventCount }, "no event while idle")
        let readerAfter = threadActivity(reader), consumerAfter = threadActivity(consumer)
        XCTAssertEqual(readerAfter?.switches, readerBefore.switches, "the reader did not wake up")
        XCTAssertEqual(consumerAfter?.switches, consumerBefore.switches, "the consumer did not wake up")
        XCTAssertEqual(readerAfter?.state, "S", "the reader sleeps in the kernel")
        XCTAssertEqual(consumerAfter?.state, "S", "the consumer sleeps on its condition")
        XCTAssertEqual(recorder.snapshot.readerBatches, counters.readerBatches)
        XCTAssertEqual(recorder.snapshot.consumerWakeups, counters.consumerWakeups)

        // The same measurement does move when something happens.
        let file = try tree.write("a/b/y.yaml")
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: file) } })
        XCTAssertGreaterThan(threadActivity(reader)?.switches ?? 0, readerBefore.switches)
        XCTAssertGreaterThan(recorder.snapshot.readerBatches, counters.readerBatches)
        XCTAssertGreaterThan(recorder.snapshot.consumerWakeups, counters.consumerWakeups)
        harness.stop()
        XCTAssertTrue(recorder.snapshot.readerFinished, "stop() ends the reader thread too")
    }

    func testDirectoryChurnRenewsTheInotifyInstanceAndKeepsWatching() throws {
        let tree = try TempTree()
        try tree.mkdir("stable")
        let harness = try WatchHarness(root: tree.path, configuration: WatchConfiguration(renewalThreshold: 10))
        harness.startAndWaitUntilReady()
        for round in 0..<12 {
            try tree.mkdir("churn\(round)")
            let file = try tree.write("churn\(round)/x.yaml")  // watched once this is reported
            XCTAssertTrue(harness.waitUntilReported(changed: [file], timeout: 10), "round \(round)")
            try tree.remove("churn\(round)")
            XCTAssertTrue(harness.waitUntilReported(changed: [], removed: [file], timeout: 10), "round \(round)")
        }
        XCTAssertTrue(harness.wait { $0.contains { event in
            if case .rescanned(let reason) = event { return reason.contains("renewed") } else { return false }
        } }, "events: \(harness.events)")
        // Still watching, old and new directories alike.
        let stable = try tree.write("stable/s.yaml")
        try tree.mkdir("fresh/sub")
        let fresh = try tree.write("fresh/sub/f.yaml")
        XCTAssertTrue(harness.waitUntilReported(changed: [stable, fresh]))
        harness.stop()
    }

    /// ENOSPC for real: in a user namespace the per-namespace limit /proc/sys/user/max_inotify_watches
    /// is ours to lower, so the probe executable runs out of watches without touching the machine's.
    func testRealWatchLimitWarnsNamingTheSysctlAndKeepsWatchingTheRest() throws {
        let bench = productsDirectory.appendingPathComponent("specsync-bench-watch").path
        guard FileManager.default.isExecutableFile(atPath: bench) else { throw XCTSkip("no \(bench)") }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        probe.arguments = ["-Ur", "sh", "-c", "echo 3 > /proc/sys/user/max_inotify_watches"]
        guard (try? probe.run()) != nil else { throw XCTSkip("unshare is not available") }
        probe.waitUntilExit()
        guard probe.terminationStatus == 0 else { throw XCTSkip("user namespaces are not permitted here") }

        let tree = try TempTree()
        for i in 0..<5 {
            try tree.mkdir("d\(i)")
            try tree.write("d\(i)/x.yaml")
        }
        // 3 watches: the private wake-up file, the root and one directory; four directories are left.
        let child = ChildProcess(executable: "/usr/bin/unshare", arguments: [
            "-Ur", "sh", "-c", "echo 3 > /proc/sys/user/max_inotify_watches && exec \"$0\" events \"$1\"", bench, tree.path,
        ])
        try child.start()
        XCTAssertTrue(child.waitForLine { $0.hasPrefix("ready ") }, "output: \(child.output)")
        let lines = child.output
        XCTAssertEqual(lines.filter { $0.hasPrefix("existing ") }.count, 5, "unwatched directories are still scanned")
        XCTAssertTrue(lines.contains("ready 6 5"), "\(lines)")
        let warning = lines.first { $0.hasPrefix("warning ") } ?? ""
        XCTAssertTrue(warning.contains("fs.inotify.max_user_watches"), warning)
        XCTAssertTrue(warning.contains("and 3 more directories"), warning)
        XCTAssertTrue(warning.contains("(currently \(InotifyLimits.maxUserWatches ?? -1))"), warning)
        XCTAssertTrue(warning.contains("user.max_inotify_watches (currently 3)"), "the namespace's own limit: \(warning)")
        // The root is still watched.
        let file = try tree.write("new.yaml")
        XCTAssertTrue(child.waitForLine { $0 == "changed \(file)" }, "output: \(child.output)")
        XCTAssertEqual(child.terminate(), 0, "SIGTERM ends it cleanly")
    }
}

/// A child process whose stdout lines are collected as they come.
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let pipe = Pipe()
    private let condition = NSCondition()
    private var lines: [String] = []
    private var partial = ""

    init(executable: String, arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = pipe
    }

    func start() throws {
        pipe.fileHandleForReading.readabilityHandler = { [self] handle in
            let data = handle.availableData
            condition.lock()
            partial += String(decoding: data, as: UTF8.self)
            while let newline = partial.firstIndex(of: "\n") {
                lines.append(String(partial[..<newline]))
                partial = String(partial[partial.index(after: newline)...])
            }
            condition.broadcast()
            condition.unlock()
        }
        try process.run()
    }

    var output: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    func waitForLine(timeout: TimeInterval = 20, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !lines.contains(where: predicate) {
            if !condition.wait(until: deadline) { return lines.contains(where: predicate) }
        }
        return true
    }

    /// SIGTERM, then the exit status.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        return process.terminationStatus
    }
}
