import Foundation
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

    /// Any damage — cut short, a flipped byte, a hand edit that turns `n` into `c` — drops the whole
    /// cache: a wrong verdict would report a file valid or canonical that is not.
    func testAnyDamageDropsEverything() {
        let good = VerdictCache.encode(context: "c", [("/t/a.yaml", verdict(1)), ("/t/b.yaml", verdict(2))])
        XCTAssertEqual(VerdictCache.decode(good, context: "c").count, 2)
        for cut in 0..<good.count {
            XCTAssertTrue(VerdictCache.decode(Array(good[..<cut]), context: "c").isEmpty, "cut at \(cut)")
        }
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<2000 {
            var bytes = good
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            let flipped = UInt8.random(in: 0...255, using: &rng)
            guard flipped != bytes[at] else { continue }
            bytes[at] = flipped
            XCTAssertTrue(VerdictCache.decode(bytes, context: "c").isEmpty, "byte \(at) changed")
        }
        let edited = Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: " n /t/b", with: " c /t/b").utf8)
        XCTAssertNotEqual(edited, good)
        XCTAssertTrue(VerdictCache.decode(edited, context: "c").isEmpty, "n turned into c")
        XCTAssertTrue(VerdictCache.decode(Array("garbage".utf8), context: "c").isEmpty)
        XCTAssertTrue(VerdictCache.decode([], context: "c").isEmpty)
    }

    /// Numbers beyond 64 bits are damage, not a trap; device and inode numbers use all 64 bits.
    func testNumbersAtAndBeyondSixtyFourBits() {
        var big = identity(1)
        big.device = UInt64.max
        big.inode = UInt64(1) << 63
        let bytes = VerdictCache.encode(context: "c", [("/t/a.yaml", VerdictCache.Verdict(identity: big, canonical: true))])
        XCTAssertEqual(VerdictCache.decode(bytes, context: "c")["/t/a.yaml"]?.identity, big)
        let body = Array("specsync-verdicts 3 c\n99999999999999999999999 1 2 3 4 5 c /x\n".utf8)
        let forged = body + Array("end \(VerdictCache.hex(VerdictCache.fnv1a(body)))\n".utf8)
        XCTAssertTrue(VerdictCache.decode(forged, context: "c").isEmpty)
    }

    func testOnlyWantedPathsAreKept() {
        let bytes = VerdictCache.encode(context: "c", [("/t/a.yaml", verdict(1)), ("/t/b.yaml", verdict(2))])
        XCTAssertEqual(VerdictCache.decode(bytes, context: "c", wanted: ["/t/b.yaml", "/t/z.yaml"]).keys.sorted(), ["/t/b.yaml"])
    }

    /// Devices come from /proc/self/mountinfo's major:minor (glibc's makedev); only local file systems
    /// whose ctime can be trusted are.
    func testTrustedDevicesByFileSystemType() {
        let mountinfo = Array("""
            22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
            30 22 0:25 / /tmp rw shared:5 - tmpfs tmpfs rw
            31 22 0:40 / /mnt/nfs rw shared:6 - nfs4 server:/x rw
            32 22 0:41 / /mnt/fuse rw shared:7 - fuse.sshfs host:/y rw
            33 22 259:65536 / /big rw - xfs /dev/nvme rw
            """.utf8)
        func device(_ major: UInt64, _ minor: UInt64) -> UInt64 {
            (major & 0xfff) << 8 | (major & ~0xfff) << 32 | (minor & 0xff) | (minor & ~0xff) << 12
        }
        let all: Set<UInt64> = [device(254, 1), device(0, 25), device(0, 40), device(0, 41), device(259, 65536), device(8, 1)]
        XCTAssertEqual(VerdictCache.trustedDevices(among: all, mountinfo: mountinfo),
                       [device(254, 1), device(0, 25), device(259, 65536)])
        var st = stat()
        XCTAssertEqual(stat(FileManager.default.currentDirectoryPath, &st), 0)
        let here = UInt64(st.st_dev)
        let mounts = Array((try? Data(contentsOf: URL(fileURLWithPath: "/proc/self/mountinfo"))) ?? Data())
        XCTAssertEqual(VerdictCache.trustedDevices(among: [here], mountinfo: mounts).count, 1,
                       "the build folder is on a local file system here; its device must be found")
    }
}
