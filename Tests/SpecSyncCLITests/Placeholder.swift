import XCTest

final class SpecSyncCLITestsPlaceholder: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
