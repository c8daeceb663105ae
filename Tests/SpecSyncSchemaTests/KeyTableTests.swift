import XCTest
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

final class KeyTableTests: XCTestCase {
    /// Random sets, updates and removals agree with a Dictionary, through the switch to hashing past
    /// `scanLimit` keys and back, with keys whose fingerprints collide (same length, first four and last
    /// three bytes).
    func testAgreesWithADictionary() {
        var rng = SeededRandom(seed: 3)
        var table = KeyTable<Int>()
        var reference: [String: Int] = [:]
        var sawLarge = false
        for step in 0..<20_000 {
            let key = "keyX" + String(rng.next() % 60) + (rng.next() % 2 == 0 ? "ab" : "ba") + "end"
            switch rng.next() % 10 {
            case 0..<6:
                table[key] = step
                reference[key] = step
            case 6..<8:
                table[key] = nil
                reference[key] = nil
            default:
                break
            }
            let probe = "keyX" + String(rng.next() % 60) + (rng.next() % 2 == 0 ? "ab" : "ba") + "end"
            XCTAssertEqual(table[probe], reference[probe], "step \(step), key \(probe)")
            XCTAssertEqual(table.count, reference.count)
            if reference.count > KeyTable<Int>.scanLimit { sawLarge = true }
        }
        XCTAssertTrue(sawLarge, "the table must have grown past the scan limit")
    }
}
