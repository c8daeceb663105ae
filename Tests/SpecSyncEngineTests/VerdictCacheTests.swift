import XCTest
@testable import SpecSyncEngine
import SpecSyncSys

final class VerdictCacheTests: XCTestCase {
    private func verdict(_ n: Int64) -> VerdictCache.Verdict {
        VerdictCache.Verdict(identity: identity(n), canonical: n % 2 == 1)
    }

    private func identity(_ n: Int64) -> FileIdentity {
        FileIdentity(device: 65024, inode: UInt64(1000 + n), size: 100 + n, mode: 0o100644,
                     modificationTimeNanoseconds: 1_700_000_000_000_000_000 + n, changeTimeNanoseconds: 1_700_000_000_000_000_500 + n)
    }

    func testEntriesRoundTripUnderTheirContextOnly() {
        let entries = [("/t/a.yaml", verdict(1)), ("/t/with space/b.yaml", verdict(2)), ("/t/é ü.yaml", verdict(3))]
        let bytes = VerdictCache.encode(context: "exe 1:2 limits x", entries.map { ($0.0, $0.1) })
        let decoded = VerdictCache.decode(bytes, context: "exe 1:2 limits x")
        XCTAssertEqual(decoded.count, 3)
        for (path, id) in entries { XCTAssertEqual(decoded[path], id, path) }
        XCTAssertTrue(VerdictCache.decode(bytes, context: "exe 1:3 limits x").isEmpty, "another binary or setting: nothing")
        XCTAssertTrue(VerdictCache.decode(bytes, context: "exe 1:2 limits").isEmpty, "a context that is a prefix of the one written")
    }

    func testAPathWithALineBreakIsLeftOut() {
        let bytes = VerdictCache.encode(context: "c", [("/t/a\nb.yaml", verdict(1)), ("/t/c.yaml", verdict(2))])
        XCTAssertEqual(VerdictCache.decode(bytes, context: "c").keys.sorted(), ["/t/c.yaml"])
    }

    /// Damage ends the reading: what parsed before it is kept, nothing after, and nothing crashes.
    func testDamageKeepsOnlyWhatCameBeforeIt() {
        let good = VerdictCache.encode(context: "c", [("/t/a.yaml", verdict(1)), ("/t/b.yaml", verdict(2))])
        let header = Array("specsync-verdicts 2 c\n".utf8)
        for cut in header.count..<good.count {
            let decoded = VerdictCache.decode(Array(good[..<cut]), context: "c")
            XCTAssertLessThanOrEqual(decoded.count, 2)
            for (path, v) in decoded { XCTAssertEqual(v, path == "/t/a.yaml" ? verdict(1) : verdict(2), "cut at \(cut)") }
        }
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<2000 {
            var bytes = good
            for _ in 0..<3 { bytes[Int.random(in: header.count..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = VerdictCache.decode(bytes, context: "c")  // never traps
        }
        XCTAssertTrue(VerdictCache.decode(Array("garbage".utf8), context: "c").isEmpty)
        XCTAssertTrue(VerdictCache.decode([], context: "c").isEmpty)
        XCTAssertTrue(VerdictCache.decode(header + Array("99999999999999999999999 1 2 3 4 5 c /x\n".utf8), context: "c").isEmpty,
                      "a number too long for 64 bits is damage, not an overflow")
    }
}
