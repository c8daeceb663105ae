import XCTest

final class SpecSyncEngineTestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
