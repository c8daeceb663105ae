import SpecSyncSys
import XCTest

/// Names that are not UTF-8 survive the trip kernel → String → kernel byte for byte.
final class FileNameTests: XCTestCase {
    func testInvalidBytesRoundTripAndDisplayEscaped() {
        let cases: [[UInt8]] = [
            Array("caf".utf8) + [0xE9] + Array(".yaml".utf8),
            [0xFF, 0xFE],
            Array("é".utf8) + [0xC3] + Array("x".utf8),      // a truncated sequence between valid ones
            [0xED, 0xA0, 0x80],                              // an encoded surrogate
            Array("plain.yaml".utf8),
        ]
        for bytes in cases {
            let name = FileName.decode(bytes)
            let back = FileName.withCString(name) { Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map { UInt8(bitPattern: $0) } }
            XCTAssertEqual(back, bytes, FileName.displayed(name))
        }
        XCTAssertEqual(FileName.displayed(FileName.decode(Array("caf".utf8) + [0xE9])), "caf\\xE9")
        XCTAssertEqual(FileName.displayed("café"), "café")
    }
}
