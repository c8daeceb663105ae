import XCTest

final class SpecSyncWatchTestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
