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

    /// Paths split on the "/" byte: a name that starts with a combining mark makes one Character with
    /// the slash before it, and a split by Character did not see that slash.
    func testPathsSplitOnTheSlashByte() {
        XCTAssertEqual(FileName.components("/specs/\u{301}x/TAND-1.yaml"), ["specs", "\u{301}x", "TAND-1.yaml"])
        XCTAssertEqual(FileName.components("a//b/"), ["a", "b"])
        XCTAssertEqual(FileName.components(""), [])
        XCTAssertEqual(FileName.components("/"), [])
        let split = FileName.splitLast("/specs/sub/\u{301}accent.yaml")
        XCTAssertEqual(split?.head, "/specs/sub")
        XCTAssertEqual(split?.name.unicodeScalars.first, "\u{301}", "the mark stays with the name")
        XCTAssertEqual(split?.name, "\u{301}accent.yaml")
        XCTAssertEqual(FileName.splitLast("/top")?.head, "")
        XCTAssertEqual(FileName.splitLast("dir/")?.name, "")
        XCTAssertNil(FileName.splitLast("plain.yaml"))
        let escaped = FileName.decode(Array("d".utf8) + [0xE9] + Array("/n".utf8) + [0xFF])
        XCTAssertEqual(FileName.splitLast(escaped).map { [$0.head, $0.name].map(FileName.displayed) }, ["d\\xE9", "n\\xFF"],
                       "escaped bytes on either side survive")
    }
}
