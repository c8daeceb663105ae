import Foundation
import XCTest

/// Four Go processes increment a counter with a lock-covered read-modify-write (blocking flock on
/// `<spec>.lock`, Coldwine's save path) while `specsync fmt` and `specsync write` run in loops on the
/// same spec. Nothing may be lost or torn.
final class LockRaceTests: XCTestCase {
    static let writers = 4
    /// The race goes on until specsync's loops have run this many times each.
    static let specsyncRuns = 15
    /// `specsync write` puts the counter at k × epoch; increments continue from there.
    static let epoch = 1_000_000

    func testLockedIncrementsRacingFmtAndWriteLoseNothing() throws {
        _ = try GoClient.require()
        let project = try Project()
        let spec = project.specs + "/RACE-001.yaml"
        // `blocked` is a status Coldwine writes that every schema version accepts: this test is about the lock.
        try project.write(".tandemonium/specs/RACE-001.yaml", "id: RACE-001\ntitle: Lock race\nstatus: blocked\ncounter: 0\n")

        let sampler = try Sampler(spec, scratch: project.root)
        var incrementers: [Process] = []
        for n in 0..<Self.writers {
            incrementers.append(try GoClient.start(["incr", spec, "1000000", "3000"],
                                                   stdout: project.root + "/incr-\(n).jsonl",
                                                   stderr: project.root + "/incr-\(n).stderr"))
        }
        let stop = StopFlag()
        let counts = Counts()
        var fmtRuns: [CommandResult] = [], writeRuns: [(marker: Int, result: CommandResult)] = []
        let fmtLoop = Background {
            while !stop.isSet {
                fmtRuns.append(try CLI.run(["fmt", spec], cwd: project.root))
                counts.add("fmt")
            }
        }
        let writeLoop = Background {
            var k = 0
            while !stop.isSet {
                k += 1
                let marker = k * Self.epoch
                // yaml.v3's key order and indentation: not canonical, so specsync has work to do.
                let input = "counter: \(marker)\nid: RACE-001\nstatus: blocked\ntitle: Lock race\nwritten_by:\n    tool: specsync write\n    round: \(k)\n"
                writeRuns.append((marker, try CLI.run(["write", spec], stdin: input, cwd: project.root)))
                counts.add("write")
            }
        }
        defer { for p in incrementers where p.isRunning { p.terminate() } }
        try waitUntil("\(Self.specsyncRuns) runs of each specsync loop (\(counts))", timeout: 120) {
            if let ended = incrementers.first(where: { !$0.isRunning }) {
                throw WatchTimeout(description: "an incrementer exited early (\(ended.terminationStatus))")
            }
            return counts["fmt"] >= Self.specsyncRuns && counts["write"] >= Self.specsyncRuns
        }
        for p in incrementers { p.terminate() }
        try waitUntil("the Go incrementers to finish", timeout: 30) { incrementers.allSatisfy { !$0.isRunning } }
        stop.set()
        try fmtLoop.join()
        try writeLoop.join()
        let versions = try sampler.stop()

        for (n, p) in incrementers.enumerated() {
            XCTAssertEqual(p.terminationReason, .exit, "incrementer \(n) killed")
            XCTAssertEqual(p.terminationStatus, 0, "incrementer \(n): \(fileText(project.root + "/incr-\(n).stderr") ?? "")")
        }

        // specsync's runs: done (0) or, at worst, a lock timeout (2, named as such). Never "invalid".
        var fmtTimeouts = 0, writeTimeouts = 0
        for run in fmtRuns where run.status != 0 {
            XCTAssertTrue(run.status == 2 && run.stderr.contains("lock"), "fmt failed (\(run.status)): \(run.stderr)")
            fmtTimeouts += 1
        }
        var markers: Set<Int> = [0]
        var lastMarker = 0
        for (marker, run) in writeRuns {
            if run.status == 0 {
                markers.insert(marker)
                lastMarker = max(lastMarker, marker)
            } else {
                XCTAssertTrue(run.status == 2 && run.stderr.contains("lock"), "write failed (\(run.status)): \(run.stderr)")
                writeTimeouts += 1
            }
        }
        let fmtRewrites = fmtRuns.filter { $0.status == 0 && $0.stdout.contains("Fixing") }.count
        XCTAssertGreaterThan(fmtRuns.count - fmtTimeouts, 0, "no `specsync fmt` run got the lock: the race did not happen")
        XCTAssertGreaterThan(markers.count - 1, 0, "no `specsync write` run got the lock: the race did not happen")

        // Every increment read a distinct value (two that read the same version = a lost increment), and
        // the values read since each write form an unbroken run from that write's marker.
        var reads: [Int] = []
        for n in 0..<Self.writers {
            reads += try jsonLines(project.root + "/incr-\(n).jsonl").compactMap { ($0["read"] as? NSNumber)?.intValue }
        }
        XCTAssertGreaterThan(reads.count, Self.writers * 10, "increments reported")
        let duplicates = Dictionary(grouping: reads, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        XCTAssertEqual(duplicates, [], "lost increments: these versions were read by two incrementers")
        let byEpoch = Dictionary(grouping: reads, by: { $0 / Self.epoch * Self.epoch })
        for (marker, values) in byEpoch {
            XCTAssertTrue(markers.contains(marker), "increments read \(marker / Self.epoch)e6+, but no write put that marker")
            XCTAssertEqual(values.sorted(), Array(marker..<(marker + values.count)),
                           "increments since marker \(marker) are not an unbroken run")
        }

        // The final file: specsync-valid, canonical or yaml.v3 form, and its counter is the last marker
        // plus every increment made since.
        let final = try XCTUnwrap(Typed.specsyncData(file: spec), "final version unreadable")
        guard case .object(let object) = final, case .integer(let counter)? = object["counter"] else {
            return XCTFail("final version has no integer counter: \(final)")
        }
        XCTAssertEqual(counter, lastMarker + (byEpoch[lastMarker]?.count ?? 0),
                       "final counter: last successful write \(lastMarker) + its increments")

        // Every version seen parses (yaml.v3), has a counter, and the counter only moves forward.
        XCTAssertGreaterThan(versions.count, 10, "the sampler saw too few versions to mean anything")
        var previous = -1
        for (index, version) in versions.enumerated() {
            XCTAssertTrue(version.parsed, "version \(index) seen is torn or unparsable (\(version.error ?? "")):\n\(version.content)")
            guard let data = version.data as? [String: Any], let tagged = data["counter"] as? String,
                  tagged.hasPrefix("i:"), let value = Int(tagged.dropFirst(2)) else {
                XCTFail("version \(index) seen has no integer counter:\n\(version.content)")
                continue
            }
            XCTAssertGreaterThanOrEqual(value, previous, "version \(index) went back from \(previous) to \(value)")
            previous = value
        }

        print("lock race: \(reads.count) increments by \(Self.writers) Go writers; specsync fmt ran \(fmtRuns.count) times "
              + "(\(fmtRewrites) rewrites, \(fmtTimeouts) lock timeouts), write \(writeRuns.count) times "
              + "(\(markers.count - 1) done, \(writeTimeouts) lock timeouts); \(versions.count) versions sampled")
    }
}

/// Counters shared between threads.
final class Counts: @unchecked Sendable, CustomStringConvertible {
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    func add(_ key: String) { lock.lock(); values[key, default: 0] += 1; lock.unlock() }
    subscript(key: String) -> Int { lock.lock(); defer { lock.unlock() }; return values[key, default: 0] }
    var description: String { lock.lock(); defer { lock.unlock() }; return "\(values)" }
}
