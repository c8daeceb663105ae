// The key fingerprint read with word loads is the length, first four and last three bytes, as written
// out byte by byte: checked against that definition on every length around the word boundary.
import XCTest
@testable import SpecSyncCore

final class KeyFingerprintTests: XCTestCase {
    private func reference(_ bytes: [UInt8]) -> UInt64 {
        var print = UInt64(bytes.count) << 56
        for k in 0..<min(4, bytes.count) { print |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        for k in 0..<min(3, bytes.count) { print |= UInt64(bytes[bytes.count - 1 - k]) << (32 + 8 * UInt64(k)) }
        return print
    }

    func testFingerprintIsLengthFirstFourAndLastThreeBytes() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...40 {
            for _ in 0..<50 {
                // Printable ASCII and UTF-8 continuation-range bytes alike: the fingerprint reads bytes.
                let text = String((0..<length).map { _ in
                    Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &generator)))
                }) + (length % 3 == 0 ? "é" : "")
                let bytes = Array(text.utf8)
                XCTAssertEqual(KeyFingerprint.of(text), reference(bytes), "key \(text)")
                XCTAssertEqual(bytes.withUnsafeBufferPointer { KeyFingerprint.of(bytes: $0) }, reference(bytes))
            }
        }
        XCTAssertNotEqual(KeyFingerprint.of("status"), KeyFingerprint.of("statu5"))
        XCTAssertEqual(KeyFingerprint.of(""), 0)
    }
}
