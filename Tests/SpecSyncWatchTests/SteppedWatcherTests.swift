import Foundation
import SpecSyncSys
import SystemPackage
@testable import SpecSyncWatch
import SpecSyncWatchTestSupport
import XCTest

/// The watcher's logic stepped with the fake event source and a manual clock (the directory tree is
/// real: scans and identity checks read it).
final class SteppedWatcherTests: XCTestCase {
    private var tree: TempTree!
    private var source: FakeEventSource!
    private var clock: ManualWatchClock!
    private var harness: WatchHarness!
    private var rootWatch: WatchID!

    override func setUpWithError() throws {
        tree = try TempTree()
        source = FakeEventSource()
        clock = ManualWatchClock()
    }

    override func tearDown() {
        if let harness, !harness.hasFinished { harness.stop() }
        harness = nil
    }

    private func start(_ configuration: WatchConfiguration = WatchConfiguration()) throws {
        harness = try WatchHarness(root: tree.path, configuration: configuration, source: source, clock: clock)
        harness.startAndWaitUntilReady()
        rootWatch = try XCTUnwrap(source.watch(for: tree.path))
    }

    /// Hands events to the reader and waits until it has stamped them with the current (manual) time.
    private func push(_ events: [RawEvent], file: StaticString = #filePath, line: UInt = #line) {
        source.push(events)
        XCTAssertTrue(source.waitUntilReaderIsIdle(), "reader did not take the events", file: file, line: line)
    }

    private func advance(_ milliseconds: Int, file: StaticString = #filePath, line: UInt = #line) {
        clock.advance(by: .milliseconds(milliseconds))
        let now = clock.now
        XCTAssertTrue(eventually { harness.recorder.consumerIsIdle(decidedAt: now) },
                      "the consumer did not catch up with the clock", file: file, line: line)
    }

    private func event(_ kind: EventKind, _ name: String, in watch: WatchID? = nil) -> RawEvent {
        RawEvent(watch: watch ?? rootWatch, kind: kind, name: name)
    }

    func testSettleWindowCoalescesABurstAndReportsItOnceWhenQuiet() throws {
        try start()
        let path = tree.url("x.yaml")
        let t0 = clock.now
        push([event(.created, "x.yaml"), event(.closedAfterWrite, "x.yaml")])
        advance(30)
        push([event(.closedAfterWrite, "x.yaml")])  // truncate-then-write: a second close
        advance(49)
        XCTAssertEqual(harness.events.changedPaths, [], "79 ms: 49 ms after the last event, not yet")
        advance(1)
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: path) } })
        XCTAssertEqual(harness.events.last, .changed(path: path, firstEvent: t0, lastEvent: t0 + .milliseconds(30)))
        advance(1000)
        XCTAssertEqual(harness.events.changedPaths, [path], "reported once")
    }

    func testConfigurableWindowAndIndependentPaths() throws {
        try start(WatchConfiguration(settleWindow: .milliseconds(200)))
        push([event(.closedAfterWrite, "a.yaml")])
        advance(100)
        push([event(.movedTo, "b.yaml")])
        advance(100)
        XCTAssertTrue(harness.wait { $0.changedPaths == [self.tree.url("a.yaml")] }, "\(harness.events)")
        advance(99)
        XCTAssertEqual(harness.events.changedPaths, [tree.url("a.yaml")])
        advance(1)
        XCTAssertTrue(harness.wait { $0.changedPaths == [self.tree.url("a.yaml"), self.tree.url("b.yaml")] })
    }

    func testCreatedButNotClosedWaitsAndDeletionIsConfirmedOnDisk() throws {
        try tree.write("open.yaml")
        try tree.write("kept.yaml")
        try start()
        let writer = open(tree.url("open.yaml"), O_WRONLY)  // really still open for writing
        XCTAssertGreaterThanOrEqual(writer, 0)
        push([event(.created, "open.yaml")])  // still open for writing as far as events tell
        push([event(.deleted, "gone.yaml")])  // nothing there: removed
        push([event(.movedFrom, "kept.yaml")])  // a rename-exchange: something is there again
        advance(50)
        XCTAssertTrue(harness.wait { $0.count >= 3 })
        let events = harness.events.filter { !$0.isReady && $0.existingPath == nil }
        XCTAssertEqual(Set(events.compactMap { $0.removedPath }), [tree.url("gone.yaml")])
        XCTAssertEqual(events.changedPaths, [tree.url("kept.yaml")], "\(events)")
        XCTAssertEqual(close(writer), 0)
        push([event(.closedAfterWrite, "open.yaml")])
        advance(50)
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: self.tree.url("open.yaml")) } })
    }

    /// Written in place with no IN_CLOSE_WRITE to follow (lost in a queue overflow): once the kernel says
    /// nobody has the file open for writing, it is final and reported; while a writer has it, it waits.
    func testAWrittenFileWhoseCloseWasLostIsReportedOnceNobodyHasItOpen() throws {
        try tree.write("lost.yaml")
        try tree.write("held.yaml")
        try start()
        let writer = open(tree.url("held.yaml"), O_WRONLY)
        XCTAssertGreaterThanOrEqual(writer, 0)
        push([event(.modified, "lost.yaml"), event(.modified, "held.yaml")])
        advance(50)
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: self.tree.url("lost.yaml")) } }, "\(harness.events)")
        XCTAssertFalse(harness.events.contains { $0.isChange(of: self.tree.url("held.yaml")) }, "\(harness.events)")
        XCTAssertEqual(close(writer), 0)
        push([event(.closedAfterWrite, "held.yaml")])
        advance(50)
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: self.tree.url("held.yaml")) } })
    }

    func testOwnWriteRecognitionRules() throws {
        let target = try tree.write("t.yaml", "id: T\n")
        try start()
        let identity = try tree.identity("t.yaml")
        // One rename into place, identity unchanged: ours, dropped.
        harness.watcher.noteOwnWrite(path: target, identity: identity)
        push([event(.movedTo, "t.yaml")])
        advance(50)
        // Two renames into place with one note: someone else's rename is in the burst → reported.
        harness.watcher.noteOwnWrite(path: target, identity: identity)
        push([event(.movedTo, "t.yaml"), event(.movedTo, "t.yaml")])
        advance(50)
        XCTAssertTrue(harness.wait { $0.count(changesOf: target) == 1 })
        // A rename plus an in-place write → reported even though the identity matches.
        harness.watcher.noteOwnWrite(path: target, identity: identity)
        push([event(.movedTo, "t.yaml"), event(.closedAfterWrite, "t.yaml")])
        advance(50)
        XCTAssertTrue(harness.wait { $0.count(changesOf: target) == 2 })
        // A note older than its lifetime no longer applies.
        harness.watcher.noteOwnWrite(path: target, identity: identity)
        advance(10_001)
        push([event(.movedTo, "t.yaml")])
        advance(50)
        XCTAssertTrue(harness.wait { $0.count(changesOf: target) == 3 })
        // Without any note: reported.
        push([event(.movedTo, "t.yaml")])
        advance(50)
        XCTAssertTrue(harness.wait { $0.count(changesOf: target) == 4 })
        XCTAssertEqual(harness.events.count(changesOf: target), 4, "only the first burst was dropped")
    }

    func testWatchLimitWarnsOnceNamingTheSysctlAndScansUnwatchedDirectories() throws {
        for name in ["a", "b", "c"] {
            try tree.mkdir(name)
            try tree.write("\(name)/x.yaml")
        }
        source.watchLimit = 2  // the root and one directory
        try start()
        let events = harness.events
        let warnings = events.compactMap { event -> WatchWarning? in
            if case .warning(let warning) = event { return warning } else { return nil }
        }
        XCTAssertEqual(warnings.count, 1, "\(events)")
        guard case let .watchLimitReached(_, unwatched, limit)? = warnings.first else { return XCTFail("\(warnings)") }
        XCTAssertEqual(unwatched, 2)
        XCTAssertEqual(limit, InotifyLimits.maxUserWatches)
        XCTAssertTrue(warnings[0].description.contains("fs.inotify.max_user_watches"), warnings[0].description)
        XCTAssertEqual(events.existingPaths.count, 3, "files in unwatched directories are still reported")
        XCTAssertEqual(events.last, .ready(directories: 4, files: 3))
        XCTAssertEqual(source.watchedDirectories.count, 2)
    }

    func testOverflowRescansReportingEveryFileAndWhatVanished() throws {
        try tree.mkdir("d")
        let kept = try tree.write("d/kept.yaml")
        let vanished = try tree.write("d/vanishes.yaml")
        try start()
        // Changes whose events were lost:
        try tree.remove("d/vanishes.yaml")
        try tree.mkdir("d/new")
        let added = try tree.write("d/new/added.yaml")
        push([RawEvent(watch: nil, kind: .overflow)])
        advance(50)
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: added) } && $0.removedPaths == [vanished] },
                      "\(harness.events)")
        let events = harness.events
        XCTAssertTrue(events.contains { if case .rescanned = $0 { return true } else { return false } })
        XCTAssertEqual(Set(events.changedPaths), [kept, added])
        XCTAssertNotNil(source.watch(for: tree.url("d/new")), "the directory found by the rescan is watched")
    }

    func testSourceWithTooManyAbandonedRecordsIsRenewedAndTheTreeRescanned() throws {
        try tree.mkdir("d")
        let file = try tree.write("d/x.yaml")
        try start()
        source.abandonedRecords = 10_000
        push([event(.closedAfterWrite, "other.yaml")])
        XCTAssertEqual(source.renewals, 1)
        XCTAssertEqual(source.watchedDirectories, [tree.path, tree.url("d")], "every directory watched again")
        advance(50)
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: file) } }, "\(harness.events)")
        XCTAssertTrue(harness.events.contains { if case .rescanned = $0 { return true } else { return false } })
    }

    func testRootWatchRemovedEndsTheRunWithRootGone() throws {
        try start()
        source.push([RawEvent(watch: rootWatch, kind: .watchRemoved)])  // the reader stops: no idle wait
        XCTAssertTrue(harness.waitUntilFinished())
        guard case .rootGone? = harness.events.last else { return XCTFail("\(harness.events)") }
    }

    func testReadFailureEndsTheRunWithATypedError() throws {
        try start()
        source.failNextRead(with: .readFailed(.ioError))
        XCTAssertTrue(harness.waitUntilFinished())
        XCTAssertEqual(harness.runFailure as? WatcherError, .eventSource(.readFailed(.ioError)))
        XCTAssertTrue(source.closedByReader, "the reader closes the source on its way out")
    }

    func testUnwatchableRootIsATypedError() throws {
        source.failWatch(of: tree.path, with: .cannotWatch(path: tree.path, .permissionDenied))
        harness = try WatchHarness(root: tree.path, source: source, clock: clock)
        harness.start()
        XCTAssertTrue(harness.waitUntilFinished())
        guard case .cannotWatchRoot(let path, let reason)? = harness.runFailure as? WatcherError else {
            return XCTFail("\(String(describing: harness.runFailure))")
        }
        XCTAssertEqual(path, tree.path)
        XCTAssertTrue(reason.contains("Permission denied"), reason)
    }

    func testScheduledActionRunsOnlyOnceDue() throws {
        try start()
        let runs = Runs()
        harness.watcher.schedule(after: .milliseconds(100)) { runs.record() }
        advance(99)
        XCTAssertEqual(runs.all.count, 0)
        advance(1)
        XCTAssertTrue(runs.waitForCount(1))
        advance(1000)
        XCTAssertEqual(runs.all.count, 1)
    }

    func testStopFromTheHandlerEndsTheRun() throws {
        try start()
        harness.onEvent = { [weak harness] event in if event.changedPath != nil { harness?.watcher.stop() } }
        push([event(.closedAfterWrite, "x.yaml")])
        clock.advance(by: .milliseconds(50))
        XCTAssertTrue(harness.waitUntilFinished())
        XCTAssertNil(harness.runFailure)
        XCTAssertTrue(source.closedByReader)
    }

    func testStopDuringTheStartupScanStopsDelivering() throws {
        for i in 0..<50 { try tree.write("f\(i).yaml") }
        harness = try WatchHarness(root: tree.path, source: source, clock: clock)
        harness.onEvent = { [weak harness] event in if event.existingPath != nil { harness?.watcher.stop() } }
        harness.start()
        XCTAssertTrue(harness.waitUntilFinished())
        XCTAssertEqual(harness.events.count, 1, "nothing after the event that asked to stop: \(harness.events)")
    }

    func testRunTwiceIsRefused() throws {
        try start()
        XCTAssertThrowsError(try harness.watcher.run { _ in }) { error in
            XCTAssertEqual(error as? WatcherError, .alreadyRan)
        }
    }
}
