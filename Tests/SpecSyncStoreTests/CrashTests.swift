#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import XCTest

/// Crash safety with real SIGKILLs: a child rewrites a file in a loop, alternating two large versions,
/// and is killed at random moments. After every kill the file is exactly one complete version, and
/// after the next write no temporary file remains.
final class CrashTests: XCTestCase {
    var scratch: ScratchDirectory!

    override func setUpWithError() throws {
        scratch = try ScratchDirectory()
    }

    override func tearDown() {
        scratch.remove()
    }

    static func version(_ name: String, lines: Int) -> [UInt8] {
        Array((0..<lines).map { "\(name) line \($0): \(String(repeating: name, count: 40))\n" }.joined().utf8)
    }

    func testSIGKILLAtRandomMomentsLeavesOneCompleteVersion() throws {
        let path = scratch.file("TAND-004.yaml")
        let versionA = Self.version("a", lines: 5_000)      // ~270 KB
        let versionB = Self.version("b", lines: 7_000)      // ~380 KB, so a mix or truncation cannot pass
        try writeFile(scratch.file("version-a"), versionA)
        try writeFile(scratch.file("version-b"), versionB)
        let cleaner = SpecStore(configuration: StoreConfiguration(staleTempAge: .zero))
        try cleaner.replace(path, with: versionA)

        let kills = 300
        var killsLeavingTemporaryFiles = 0
        var seen: Set<String> = []
        var generator = SystemRandomNumberGenerator()
        for round in 0..<kills {
            let child = try ChildProcess.testChild(["rewrite-loop", path, scratch.file("version-a"), scratch.file("version-b")])
            XCTAssertEqual(child.readLine(), "ready", child.standardError)
            Sys.sleep(for: .microseconds(Int.random(in: 0..<6_000, using: &generator)))
            child.kill(SIGKILL)
            XCTAssertEqual(child.terminatingSignal, SIGKILL, "round \(round): the child died on its own: \(child.standardError)")

            let found = try contents(path)
            if found == versionA { seen.insert("a") } else if found == versionB { seen.insert("b") } else {
                return XCTFail("round \(round): the file is neither version (\(found.count) bytes)")
            }
            if !scratch.temporaryFiles().isEmpty { killsLeavingTemporaryFiles += 1 }

            try cleaner.replace(path, with: round % 2 == 0 ? versionB : versionA)
            XCTAssertEqual(scratch.temporaryFiles(), [], "round \(round): the next write removes crash leftovers")
        }
        // Evidence the kills landed mid-write (otherwise this test would prove nothing).
        XCTAssertGreaterThan(killsLeavingTemporaryFiles, 0)
        XCTAssertEqual(seen, ["a", "b"])
        print("CrashTests: \(kills) kills, \(killsLeavingTemporaryFiles) left a temporary file behind")
    }
}
