import Foundation
import XCTest

/// The lost-edit race, hammered: while `specsync watch` normalizes a save, another save lands. The
/// test process watches the watcher through its own inotify instance and writes at the moments that
/// matter — right after the watcher read the file, when it opens the lock file, when it swaps the
/// file in — with small extra delays to cover the gaps between. Every file must end as the canonical
/// form of the latest save (or that save exactly, when it is canonical or invalid): never an older
/// version, never torn.
final class WatchRaceTests: XCTestCase {
    enum Writer: CaseIterable {
        /// Temporary file renamed over the spec.
        case rename
        /// open(O_TRUNC) then one write.
        case inPlace
        /// open(O_TRUNC) then two writes with a gap (a torn read is possible in between).
        case inPlaceTwoWrites
        /// Opened for writing before the watcher starts; truncated and written after the trigger.
        case holdOpen
    }

    enum Trigger: CaseIterable {
        /// The watcher closed the file after reading it (IN_CLOSE_NOWRITE).
        case afterRead
        /// The watcher opened `<file>.lock` (just before it compares and swaps).
        case atLock
        /// The watcher swapped its canonical version in (IN_MOVED_FROM on the name).
        case atExchange
    }

    enum Latest: CaseIterable { case messy, canonical, invalid }

    struct Case {
        var writer: Writer
        var trigger: Trigger
        var latest: Latest
        var delayMicroseconds: UInt32
        var path: String
        var expected: String
    }

    /// A writer that holds the spec open for writing (an in-place save in several writes) is never
    /// rewritten under its feet: nothing is swapped in while it has the file open, whatever its events
    /// say, and its save is normalized once it closes.
    func testAFileHeldOpenForWritingIsRewrittenOnlyAfterItsWriterCloses() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off", "--log-level", "debug"])
        let path = daemon.root + "/held.yaml"
        try Save.inPlace(path, messySpec("HELD-1", "first"))
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        try Save.check(Int(fd), "open")
        let held = try Inode(path)
        // Settled and read while held open: the watcher must refuse to swap (a later cookie proves it
        // had its chance).
        try daemon.cookie()
        XCTAssertEqual(try Inode(path), held, "swapped while a writer held the file open; log:\n\(daemon.log)")
        XCTAssertEqual(daemon.events(for: path).filter { $0.action == "normalized" }.count, 0)
        XCTAssertTrue(daemon.log.contains("changed while being normalized"), daemon.log)
        try Save.intoHeld(fd, messySpec("HELD-1", "second"))
        try daemon.waitForContent(path, canonicalForm("HELD-1", "second"))
        let events = try daemon.quiesce()
        XCTAssertEqual(events.filter { $0.path == path && $0.action == "normalized" }.count, 1, "\(events)")
        XCTAssertEqual(try daemon.stop(), 0)
    }

    func testLatestSaveAlwaysWinsWhileTheWatcherRewrites() throws {
        let p = try Project()
        // Debug log: conflicts detected under the lock are logged, to show the race was really run.
        // Writers that hold the file open are let through (no writer probe) to hammer the late-write fallback.
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off", "--log-level", "debug"], environment: withoutWriterProbe)
        let root = daemon.root
        let probe = try InotifyProbe(directory: root, mask: UInt32(IN_CLOSE_NOWRITE | IN_OPEN | IN_MOVED_FROM))
        let delays: [UInt32] = [0, 40, 150, 400]
        let repetitions = 2
        var cases: [Case] = []
        for _ in 0..<repetitions {
            for writer in Writer.allCases {
                for trigger in Trigger.allCases {
                    for latest in Latest.allCases {
                        for delay in delays {
                            let i = cases.count
                            let id = "RACE-\(i)"
                            let expected: String
                            switch latest {
                            case .messy, .canonical: expected = canonicalForm(id, "two \(i)")
                            case .invalid: expected = "title: two \(i)\nid: \(id)\nstatus: wip\n"
                            }
                            cases.append(Case(writer: writer, trigger: trigger, latest: latest, delayMicroseconds: delay,
                                              path: root + "/r\(i).yaml", expected: expected))
                        }
                    }
                }
            }
        }

        var triggered = 0
        let started = Date()
        for (i, c) in cases.enumerated() {
            let id = "RACE-\(i)"
            let name = (c.path as NSString).lastPathComponent
            let latestText: String
            switch c.latest {
            case .messy: latestText = messySpec(id, "two \(i)")
            case .canonical: latestText = canonicalForm(id, "two \(i)")
            case .invalid: latestText = c.expected
            }
            try Save.inPlace(c.path, messySpec(id, "one \(i)"))
            let held = c.writer == .holdOpen ? open(c.path, O_WRONLY | O_CLOEXEC) : -1
            if c.writer == .holdOpen { try Save.check(Int(held), "open \(c.path)") }

            let hit: Bool
            switch c.trigger {
            case .afterRead: hit = probe.wait(for: name, mask: UInt32(IN_CLOSE_NOWRITE), timeout: 5)
            case .atLock: hit = probe.wait(for: name + ".lock", mask: UInt32(IN_OPEN), timeout: 5)
            case .atExchange: hit = probe.wait(for: name, mask: UInt32(IN_MOVED_FROM), timeout: 5)
            }
            if hit { triggered += 1 }
            if c.delayMicroseconds > 0 { spin(microseconds: c.delayMicroseconds) }

            let half = latestText.utf8.count / 2
            let first = String(latestText.prefix(half)), second = String(latestText.dropFirst(half))
            switch c.writer {
            case .rename:
                try Save.renameIntoPlace(c.path, latestText, temporaryName: ".\(name).tmp")
            case .inPlace:
                try Save.inPlace(c.path, latestText)
            case .inPlaceTwoWrites:
                let fd = open(c.path, O_WRONLY | O_TRUNC | O_CLOEXEC)
                try Save.check(Int(fd), "open")
                try Save.writeAll(fd, first)
                spin(microseconds: 100)
                try Save.writeAll(fd, second)
                close(fd)
            case .holdOpen:
                XCTAssertEqual(ftruncate(held, 0), 0)
                try Save.writeAll(held, first)
                spin(microseconds: 100)
                try Save.writeAll(held, second)
                close(held)
            }
        }
        let writing = Date().timeIntervalSince(started)

        func mismatches() -> [String] {
            cases.enumerated().compactMap { i, c in
                let actual = fileText(c.path)
                guard actual != c.expected else { return nil }
                return "r\(i) \(c.writer)/\(c.trigger)/\(c.latest)/+\(c.delayMicroseconds)µs: \(actual.debugDescription)"
            }
        }
        do {
            try waitUntil("every file to hold the canonical form of its latest save", timeout: 30) { mismatches().isEmpty }
        } catch {
            XCTFail("lost or torn edits (\(mismatches().count) of \(cases.count)):\n" + mismatches().prefix(20).joined(separator: "\n"))
        }
        // And it stays that way once every displaced version's grace is over.
        try daemon.quiesce(timeout: 30)
        XCTAssertEqual(mismatches(), [], "changed after settling")

        let log = daemon.log
        let conflicts = log.components(separatedBy: "changed while being normalized").count - 1
        let restores = log.components(separatedBy: "a write reached the previous version").count - 1
        print("race: \(cases.count) saves in \(String(format: "%.1f", writing)) s, triggers hit \(triggered), conflicts seen under the lock \(conflicts), late writes restored \(restores)")
        XCTAssertGreaterThanOrEqual(triggered, cases.count * 9 / 10, "the writes were not synchronized with the watcher's work")
        XCTAssertGreaterThan(conflicts, 0, "no save ever landed between the watcher's read and its swap")
        // Whether a write also reaches a displaced version depends on scheduling: on a loaded machine
        // the saves land before the swap instead (hundreds of conflicts, no late write), here and on the
        // code before the last fix alike. The late-write path is pinned by the two tests below.
        if restores == 0 { print("race: no write reached a displaced version this run (\(conflicts) conflicts instead)") }
        XCTAssertFalse(log.contains(" error "), log)
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// Two writers. W1 had the file open before the watcher swapped in the canonical version; once the
    /// swap is done (its `normalized` event is out), W1 writes its edit into the displaced inode. W2
    /// then keeps saving in place (an autosaving editor) until the watcher acts on W1's late write.
    /// W2's saves are the newest edits; restoring W1's older late write over them loses them.
    func testRestoringALateWriteNeverOverwritesANewerSave() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
        let path = daemon.root + "/two-writers.yaml"
        let probe = try InotifyProbe(directory: daemon.root, mask: UInt32(IN_MOVED_FROM))
        try Save.inPlace(path, messySpec("TW-1", "v1"))
        let w1 = open(path, O_WRONLY | O_CLOEXEC)
        try Save.check(Int(w1), "open")
        try daemon.waitForEvent(path, action: "normalized")
        probe.reset()
        // W1's late write lands in the displaced inode.
        try Save.intoHeld(w1, messySpec("TW-1", "late from W1"))
        // W2 saves in place every 10 ms (each save restarts the settle window) until the watcher swaps
        // the file again — its reaction to W1's late write, at the end of the grace period.
        var saves = 0
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            try Save.inPlace(path, messySpec("TW-1", "newest from W2"))
            saves += 1
            if probe.wait(for: "two-writers.yaml", mask: UInt32(IN_MOVED_FROM), timeout: 0.01) { break }
        }
        try daemon.quiesce()
        XCTAssertEqual(fileText(path), canonicalForm("TW-1", "newest from W2"),
                       "W2's newest save (\(saves) saves, all after W1's write) was overwritten; log:\n\(daemon.log)")
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// W1 had the file open before the swap; after it, W2 saves in place (into the new, canonical
    /// inode); then W1 writes its edit — the newest — into the displaced inode. When the watcher
    /// normalizes W2's save it must not throw W1's newer write away with the displaced version.
    func testANewerLateWriteIsNotDiscardedWhenAnOlderSaveIsNormalized() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
        let path = daemon.root + "/older-save.yaml"
        try Save.inPlace(path, messySpec("OS-1", "v1"))
        let w1 = open(path, O_WRONLY | O_CLOEXEC)
        try Save.check(Int(w1), "open")
        try daemon.waitForEvent(path, action: "normalized")
        try Save.inPlace(path, messySpec("OS-1", "older from W2"))
        // File timestamps only order writes one kernel tick apart; the two writers here are meant to be
        // ordered, so let the clock move on between them.
        try waitForNextTimestampTick(in: p.root)
        try Save.intoHeld(w1, messySpec("OS-1", "newest from W1"))
        try daemon.waitForEvent(path, action: "normalized", skipping: 1)
        try daemon.quiesce()
        XCTAssertEqual(fileText(path), canonicalForm("OS-1", "newest from W1"),
                       "W1's write, made after W2's save, was discarded; log:\n\(daemon.log)")
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// W1 had the file open before the swap; W2 then saves in place and the watcher normalizes that save
    /// too (a second swap) before W1 writes its edit — the newest — into the first displaced version,
    /// within that version's grace period. Processing W2's save must not end the grace of a displaced
    /// version nobody has written into yet: W1's write is restored. (Before, every version kept for a
    /// path was settled when the path's next save was processed, and W1 wrote into an unlinked inode.)
    func testALateWriteMadeAfterANewerSaveWasNormalizedIsRestored() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
        let probe = try InotifyProbe(directory: daemon.root, mask: UInt32(IN_MOVED_FROM))
        try withinGracePeriod { round in
            let name = "late-after-newer-\(round).yaml", id = "LN-\(round)"
            let path = daemon.root + "/" + name
            let began = Date()  // before the swap, however late this thread sees it
            let w1 = try saveAndHoldThroughSwap(path, name: name, id: id, probe: probe)
            try Save.inPlace(path, messySpec(id, "from W2"))
            XCTAssertTrue(probe.wait(for: name, mask: UInt32(IN_MOVED_FROM), timeout: 10), "W2's save was never normalized")
            try waitForNextTimestampTick(in: p.root)
            try Save.intoHeld(w1, messySpec(id, "newest from W1"))
            return (Date().timeIntervalSince(began), {
                do {
                    try waitUntil("W1's late write to be restored and normalized", timeout: 10) {
                        fileText(path) == canonicalForm(id, "newest from W1")
                    }
                } catch {
                    XCTFail("W1's write into the first displaced version, made after W2's save was normalized, was lost: the path holds \(fileText(path).debugDescription); log:\n\(daemon.log)")
                }
            })
        }
        try daemon.quiesce()
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// Two displaced versions of one path, each held open by its own writer: W1 holds the version the
    /// first swap displaced, W3 opened the path after it (the canonical version), W2 saves into that
    /// and the watcher swaps it out too. Then both write, one timestamp tick apart, in either order: the
    /// later write is the newest edit and must end at the path. (Restoring the first version's write on
    /// its own would normalize it into a file newer than the other write, which then looks older; and
    /// before each version kept its own grace, W1's write was lost outright.)
    func testOfTwoLateWritesIntoTwoDisplacedVersionsTheNewestIsRestored() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
        let probe = try InotifyProbe(directory: daemon.root, mask: UInt32(IN_MOVED_FROM))
        for w1WritesLast in [false, true] {
            try withinGracePeriod { round in
                let name = "two-late-\(w1WritesLast)-\(round).yaml", id = "TL-\(round)"
                let path = daemon.root + "/" + name
                let began = Date()
                let w1 = try saveAndHoldThroughSwap(path, name: name, id: id, probe: probe)
                let w3 = open(path, O_WRONLY | O_CLOEXEC)
                try Save.check(Int(w3), "open")
                try Save.inPlace(path, messySpec(id, "from W2"))
                XCTAssertTrue(probe.wait(for: name, mask: UInt32(IN_MOVED_FROM), timeout: 10), "W2's save was never normalized")
                let writes = w1WritesLast ? [(w3, "older from W3"), (w1, "newest from W1")] : [(w1, "older from W1"), (w3, "newest from W3")]
                for (writer, title) in writes {
                    try waitForNextTimestampTick(in: p.root)
                    try Save.intoHeld(writer, messySpec(id, title))
                }
                return (Date().timeIntervalSince(began), {
                    try daemon.quiesce()
                    XCTAssertEqual(fileText(path), canonicalForm(id, writes[1].1),
                                   "the newest write (\(writes[1].1)) is not at the path; log:\n\(daemon.log)")
                })
            }
        }
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// W1 holds the version the first swap displaced; W2 saves, and W1 writes its edit right after the
    /// watcher has read W2's save — before the watcher's swap puts the canonical form of that save in
    /// place. W1's write is newer than W2's save, though older than the file our swap then writes: the
    /// late write is compared with when the save was made, not with when we rewrote it.
    func testALateWriteIsComparedWithTheSaveNotWithOurRewriteOfIt() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off", "--log-level", "debug"], environment: withoutWriterProbe)
        let probe = try InotifyProbe(directory: daemon.root, mask: UInt32(IN_MOVED_FROM | IN_CLOSE_NOWRITE))
        try withinGracePeriod { round in
            let name = "before-second-swap-\(round).yaml", id = "BS-\(round)"
            let path = daemon.root + "/" + name
            let began = Date()
            let w1 = try saveAndHoldThroughSwap(path, name: name, id: id, probe: probe)
            try Save.inPlace(path, messySpec(id, "from W2"))
            try waitForNextTimestampTick(in: p.root)
            probe.reset()
            // The watcher read W2's save (its settle window is over) and is about to swap.
            XCTAssertTrue(probe.wait(for: name, mask: UInt32(IN_CLOSE_NOWRITE), timeout: 10), "W2's save was never read")
            try Save.intoHeld(w1, messySpec(id, "newest from W1"))
            return (Date().timeIntervalSince(began), {
                try daemon.quiesce()
                XCTAssertEqual(fileText(path), canonicalForm(id, "newest from W1"),
                               "W1's write, made after W2's save, lost to it; log:\n\(daemon.log)")
            })
        }
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// W1 writes into the version the first swap displaced (an older edit, kept out by W2's newer
    /// save); W2 still holds the inode it saved into, which the second swap displaced, and saves again
    /// into it slowly: truncated just before the first version's grace ends, written just after — within
    /// its own version's grace. The end of the first version's grace must not settle the second one
    /// part-way (the empty file put back, the version unlinked under W2's write).
    func testTheEndOfOneVersionsGraceDoesNotCutAnothersShort() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
        let probe = try InotifyProbe(directory: daemon.root, mask: UInt32(IN_MOVED_FROM))
        func waitUntilElapsed(_ seconds: TimeInterval, since start: Date) throws {
            try waitUntil("\(seconds) s to pass", timeout: seconds + 1) { Date().timeIntervalSince(start) >= seconds }
        }
        try withinGracePeriod(limit: 0.55) { round in
            let name = "two-graces-\(round).yaml", id = "TG-\(round)"
            let path = daemon.root + "/" + name
            let w1 = try saveAndHoldThroughSwap(path, name: name, id: id, probe: probe)
            let firstSwapSeen = Date()  // the first version's grace ends by 0.5 s from here
            try Save.intoHeld(w1, messySpec(id, "older from W1"))
            try waitForNextTimestampTick(in: p.root)
            let w2 = open(path, O_WRONLY | O_CLOEXEC)
            try Save.check(Int(w2), "open")
            let secondSave = Date()  // the second version's grace ends 0.55 s (settle + grace) from here or later
            try Save.inPlace(path, messySpec(id, "from W2"))
            XCTAssertTrue(probe.wait(for: name, mask: UInt32(IN_MOVED_FROM), timeout: 10), "W2's save was never normalized")
            try waitUntilElapsed(0.45, since: firstSwapSeen)
            XCTAssertEqual(ftruncate(w2, 0), 0)
            try waitUntilElapsed(0.52, since: firstSwapSeen)
            try Save.writeAll(w2, messySpec(id, "newest from W2"))
            close(w2)
            // Only a write within the second version's grace is promised to be found.
            return (Date().timeIntervalSince(secondSave), {
                try daemon.quiesce()
                XCTAssertEqual(fileText(path), canonicalForm(id, "newest from W2"),
                               "W2's second save, into the version it held, was lost; log:\n\(daemon.log)")
            })
        }
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// Putting a late write back displaces what was at the path, and a writer may hold that open too:
    /// W1 writes late into the version the first swap displaced; W3 opened the path after that swap
    /// (our canonical version). When the watcher restores W1's write, W3's inode leaves the path; W3 then
    /// writes its edit — the newest — into it. It must be kept for its grace like any displaced version
    /// and put back (before, the restore unlinked it).
    func testWhatARestoreDisplacesKeepsItsGraceToo() throws {
        let p = try Project()
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off"], environment: withoutWriterProbe)
        let probe = try InotifyProbe(directory: daemon.root, mask: UInt32(IN_MOVED_FROM))
        try withinGracePeriod(limit: 0.3) { round in
            let name = "restore-displaces-\(round).yaml", id = "RD-\(round)"
            let path = daemon.root + "/" + name
            let w1 = try saveAndHoldThroughSwap(path, name: name, id: id, probe: probe)
            let w3 = open(path, O_WRONLY | O_CLOEXEC)  // our canonical version
            try Save.check(Int(w3), "open")
            try Save.intoHeld(w1, messySpec(id, "late from W1"))
            // The grace of W1's version ends and its write is put back (then normalized).
            _ = try waitUntil("W1's late write to be restored", timeout: 10) {
                fileText(path) == canonicalForm(id, "late from W1")
            }
            let restored = Date()
            try waitForNextTimestampTick(in: p.root)
            try Save.intoHeld(w3, messySpec(id, "newest from W3"))
            return (Date().timeIntervalSince(restored), {
                try daemon.quiesce()
                XCTAssertEqual(fileText(path), canonicalForm(id, "newest from W3"),
                               "W3's write into the version the restore displaced was lost; log:\n\(daemon.log)")
            })
        }
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// Saves a messy `v1` at `path` and opens it for writing — W1, holding the version the watcher is
    /// about to displace — then waits until the watcher has swapped the canonical form in (`probe`
    /// watches the directory for IN_MOVED_FROM; `name` is the file's). Returns W1's descriptor.
    private func saveAndHoldThroughSwap(_ path: String, name: String, id: String, probe: InotifyProbe) throws -> Int32 {
        try Save.inPlace(path, messySpec(id, "v1"))
        let w1 = open(path, O_WRONLY | O_CLOEXEC)
        try Save.check(Int(w1), "open")
        XCTAssertTrue(probe.wait(for: name, mask: UInt32(IN_MOVED_FROM), timeout: 10), "v1 was never normalized")
        return w1
    }

    /// Runs rounds of a scenario whose writes must land within the displaced versions' grace period
    /// (500 ms from the swap) until one does: a round returns how long it took from a moment before the
    /// swap (the save it reacts to) and the check to run if that was within `limit`. A loaded machine can deschedule this thread for longer,
    /// and such a round says nothing; five rounds without a prompt one fail the test.
    private func withinGracePeriod(limit: TimeInterval = 0.4,
                                   _ round: (Int) throws -> (took: TimeInterval, check: () throws -> Void)) throws {
        var tooSlow: [String] = []
        for number in 0..<5 {
            let (took, check) = try round(number)
            guard took < limit else {
                tooSlow.append(String(format: "%.0f ms", took * 1000))
                continue
            }
            return try check()
        }
        XCTFail("no round wrote within \(limit) s of the swap (\(tooSlow)): the scenario was not exercised")
    }

    /// The swap is undone when the displaced version turns out not to be the one validated: W1, which
    /// had the file open, writes into it while the watcher writes its temporary file (after the check
    /// under the lock, before the swap). W2 opens the path right after the swap — getting the watcher's
    /// new inode — and saves into it; undoing the swap must not delete that save. Hammered: W2's
    /// window (swap → undo) is microseconds wide.
    func testUndoingASwapNeverDeletesASaveMadeIntoTheNewVersion() throws {
        // W2 may open the path while our version is there and write into it after the undo: the undo
        // keeps our version watched like a displaced one, and a write found in it beats what the undo put
        // back (it came later, whatever the coarse timestamps say). Before that, about 1 run in 5 under
        // load ended with W1's older write at the path.
        let p = try Project()
        // W1 holds the file open: without the writer probe the swap happens and W1's write forces the undo.
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off", "--log-level", "debug"], environment: withoutWriterProbe)
        let probe = try InotifyProbe(directory: daemon.root, mask: UInt32(IN_MOVED_FROM | IN_CREATE))
        let count = 100
        var paths: [String] = []
        // W2's saves that took longer than this from open to close: one that opened the path while our
        // version was there and wrote only after the watcher settled that version (about one settle
        // window, 50 ms, later) is the documented limit (docs/watch-daemon.md, "Known limits"), which a
        // loaded machine reaches by descheduling this thread. Those are not counted; every other save must
        // survive.
        let promptLimit = 0.02
        var slow = Set<Int>()
        for i in 0..<count {
            let path = daemon.root + "/undo-\(i).yaml"
            paths.append(path)
            try Save.inPlace(path, messySpec("UN-\(i)", "v1"))
            let w1 = open(path, O_WRONLY | O_CLOEXEC)
            try Save.check(Int(w1), "open")
            let temporaryPrefix = ".specsync-tmp-undo-\(i).yaml."
            XCTAssertTrue(probe.wait(where: { $0.hasPrefix(temporaryPrefix) }, mask: UInt32(IN_CREATE), timeout: 5))
            XCTAssertEqual(ftruncate(w1, 0), 0)
            try Save.writeAll(w1, messySpec("UN-\(i)", "from W1"))
            XCTAssertTrue(probe.wait(for: "undo-\(i).yaml", mask: UInt32(IN_MOVED_FROM), timeout: 5))
            let began = Date()
            try Save.inPlace(path, messySpec("UN-\(i)", "newest from W2"))
            if Date().timeIntervalSince(began) > promptLimit { slow.insert(i) }
            close(w1)
        }
        func lost(countingSlow: Bool = false) -> [String] {
            paths.enumerated().compactMap { i, path in
                if !countingSlow && slow.contains(i) { return nil }
                return fileText(path) == canonicalForm("UN-\(i)", "newest from W2") ? nil : "undo-\(i): \(fileText(path).debugDescription)"
            }
        }
        _ = try? waitUntil("every file to hold W2's save", timeout: 5) { lost(countingSlow: true).isEmpty }
        try daemon.quiesce()
        let undone = daemon.log.components(separatedBy: "changed while being normalized").count - 1
        let restored = daemon.log.components(separatedBy: "a write reached the previous version").count - 1
        XCTAssertLessThan(slow.count, count / 2, "W2 was slow in most rounds: the scenario was hardly exercised")
        print("undo hammer: \(undone) swaps undone or refused, \(restored) late writes restored, \(slow.count) slow W2 saves, "
              + "\(lost(countingSlow: true).count) lost among them")
        let lostNames = lost().map { String($0.prefix { $0 != ":" }) }
        let excerpt = daemon.log.split(separator: "\n").filter { line in lostNames.contains { line.contains($0 + ".") } }.suffix(40)
        // W2's open(O_TRUNC) can be caught by the undo part-way (new size, old mtime): our version then
        // looked older than W1's and was unlinked under W2 (about one hammer in three). It is kept now.
        XCTAssertEqual(lost().count, 0, "W2's save lost in \(lost().count) of \(count - slow.count) prompt saves (\(undone) swaps undone or refused, \(restored) late writes restored); what the paths hold: \(lost()); the watcher's log for them:\n" + excerpt.joined(separator: "\n"))
        XCTAssertEqual(try daemon.stop(), 0)
    }

    /// Returns once a file written now gets a later mtime than one written on entry: the file system's
    /// timestamps (one kernel tick, a few ms) can then tell a write before from a write after.
    private func waitForNextTimestampTick(in directory: String) throws {
        let probe = directory + "/tick-probe"
        func stamp() throws -> Int {
            try Save.inPlace(probe, "x")
            var st = stat()
            XCTAssertEqual(stat(probe, &st), 0)
            return st.st_mtim.tv_sec * 1_000_000_000 + st.st_mtim.tv_nsec
        }
        let first = try stamp()
        try waitUntil("the file system clock to tick", timeout: 2) { (try? stamp()).map { $0 > first } ?? false }
    }

    /// Busy-waits: a sleep would be far coarser than the windows being aimed at.
    private func spin(microseconds: UInt32) {
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(microseconds) * 1000
        while DispatchTime.now().uptimeNanoseconds < end {}
    }
}
