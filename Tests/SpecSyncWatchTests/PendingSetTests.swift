@testable import SpecSyncWatch
import XCTest

/// The settle window stepped with explicit instants.
final class PendingSetTests: XCTestCase {
    let t0 = ContinuousClock.now
    func at(_ ms: Int) -> ContinuousClock.Instant { t0 + .milliseconds(ms) }

    func testBurstSettlesOnceAfterTheLastEventWithFirstAndLastInstants() {
        var pending = PendingSet(settleWindow: .milliseconds(50))
        pending.record(.created, path: "/r/x", at: at(0))
        pending.record(.written, path: "/r/x", at: at(10))
        pending.record(.written, path: "/r/x", at: at(40))
        XCTAssertEqual(pending.nextDeadline(), at(90))
        XCTAssertEqual(pending.takeDue(at: at(89)), [])
        let due = pending.takeDue(at: at(90))
        XCTAssertEqual(due.count, 1)
        XCTAssertEqual(due.first?.firstEvent, at(0))
        XCTAssertEqual(due.first?.lastEvent, at(40))
        XCTAssertEqual(due.first?.state, .written)
        XCTAssertEqual(due.first?.changes, [.created, .written])
        XCTAssertEqual(pending.takeDue(at: at(1000)), [])
        XCTAssertNil(pending.nextDeadline())
        XCTAssertEqual(pending.count, 0)
    }

    func testPathsSettleIndependentlyInDeadlineOrder() {
        var pending = PendingSet(settleWindow: .milliseconds(50))
        pending.record(.written, path: "/r/a", at: at(0))
        pending.record(.written, path: "/r/b", at: at(20))
        pending.record(.written, path: "/r/a", at: at(30))  // a's deadline moves past b's
        XCTAssertEqual(pending.takeDue(at: at(70)).map(\.path), ["/r/b"])
        XCTAssertEqual(pending.takeDue(at: at(80)).map(\.path), ["/r/a"])
    }

    func testLastWordDecidesTheState() {
        var pending = PendingSet(settleWindow: .milliseconds(50))
        pending.record(.written, path: "/r/gone", at: at(0))
        pending.record(.deleted, path: "/r/gone", at: at(1))
        pending.record(.movedAway, path: "/r/back", at: at(0))  // vim: rename to backup, write anew
        pending.record(.created, path: "/r/back", at: at(1))
        pending.record(.written, path: "/r/back", at: at(2))
        pending.record(.created, path: "/r/open", at: at(0))
        let due = Dictionary(uniqueKeysWithValues: pending.takeDue(at: at(100)).map { ($0.path, $0.state) })
        XCTAssertEqual(due, ["/r/gone": .gone, "/r/back": .written, "/r/open": .creating])
    }

    func testRenamesIntoPlaceAreCounted() {
        var pending = PendingSet(settleWindow: .milliseconds(50))
        pending.record(.renamedInto, path: "/r/x", at: at(0))
        pending.record(.renamedInto, path: "/r/x", at: at(5))
        XCTAssertEqual(pending.takeDue(at: at(100)).first?.renamesInto, 2)
    }

    func testScanOfAFileStillBeingCreatedDoesNotMakeItFinal() {
        var pending = PendingSet(settleWindow: .milliseconds(50))
        pending.record(.created, path: "/r/x", at: at(0))
        pending.record(.found, path: "/r/x", at: at(1))
        XCTAssertEqual(pending.takeDue(at: at(100)).first?.state, .creating)
        pending.record(.found, path: "/r/y", at: at(0))
        XCTAssertEqual(pending.takeDue(at: at(100)).first?.state, .written)
    }

    /// A writer that truncates and writes in place is not final until it closes: IN_MODIFY bursts settle
    /// as `.writing` (parked by the watcher), whatever a scan says meanwhile.
    func testWritesInPlaceStayUnfinishedUntilTheWriterCloses() {
        var pending = PendingSet(settleWindow: .milliseconds(50))
        pending.record(.written, path: "/r/x", at: at(0))  // the previous save
        pending.record(.modified, path: "/r/x", at: at(10))  // open(O_TRUNC) and a first chunk
        pending.record(.found, path: "/r/x", at: at(11))
        XCTAssertEqual(pending.takeDue(at: at(100)).first?.state, .writing)
        pending.record(.modified, path: "/r/y", at: at(0))
        pending.record(.written, path: "/r/y", at: at(30))
        let due = pending.takeDue(at: at(100)).first
        XCTAssertEqual(due?.state, .written)
        XCTAssertEqual(due?.changes, [.modified, .written])
    }

    func testParkedEntryWaitsForItsNextEventAndKeepsItsFirstInstant() {
        var pending = PendingSet(settleWindow: .milliseconds(50))
        pending.record(.created, path: "/r/x", at: at(0))
        let settled = pending.takeDue(at: at(50))
        XCTAssertEqual(settled.count, 1)
        pending.park(settled[0])
        XCTAssertNil(pending.nextDeadline(), "a parked entry has no deadline")
        XCTAssertEqual(pending.takeDue(at: at(10_000)), [])
        pending.record(.written, path: "/r/x", at: at(500))
        let due = pending.takeDue(at: at(550))
        XCTAssertEqual(due.first?.firstEvent, at(0))
        XCTAssertEqual(due.first?.lastEvent, at(500))
        XCTAssertEqual(due.first?.state, .written)
    }
}
