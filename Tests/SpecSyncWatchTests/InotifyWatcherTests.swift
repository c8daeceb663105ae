import Foundation
import SpecSyncSys
@testable import SpecSyncWatch
import XCTest

/// End to end on real inotify, in scratch directories under .build (see TempTree).
final class InotifyWatcherTests: XCTestCase {
    private func yamlOnly() -> WatchConfiguration {
        WatchConfiguration(filter: WatchFilter(includeFile: { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }))
    }

    func testStartupReportsEveryExistingFileThenReadyWithCounts() throws {
        let tree = try TempTree()
        try tree.mkdir("specs/deep/er")
        try tree.mkdir(".git/objects")
        try tree.mkdir("outside-target")
        let expected = try [tree.write("top.yaml"), tree.write("specs/a.yaml"), tree.write("specs/deep/er/b.yml")]
        try tree.write(".git/objects/c.yaml")          // never reported: .git is excluded
        try tree.write("specs/.a.yaml.swp")           // editor by-product
        try tree.write("specs/notes.txt")             // excluded by the filter
        try tree.write("outside-target/d.yaml")
        try tree.symlink("specs/linked-dir", to: tree.url("outside-target"))  // never followed
        try tree.symlink("specs/link.yaml", to: "a.yaml")  // a symlinked *file* is reported
        let harness = try WatchHarness(root: tree.url("specs"), configuration: yamlOnly())
        harness.startAndWaitUntilReady()
        let events = harness.events
        XCTAssertEqual(Set(events.existingPaths), Set(expected.dropFirst() + [tree.url("specs/link.yaml")]))
        XCTAssertEqual(events.existingPaths.count, 3, "each file once")
        XCTAssertEqual(events.last, .ready(directories: 3, files: 3), "specs, deep, er; the symlinked dir is not one")
        harness.stop()

        // The same tree from one level up: .git and the symlink target's own entry count now.
        let fromTop = try WatchHarness(root: tree.path, configuration: yamlOnly())
        fromTop.startAndWaitUntilReady()
        XCTAssertFalse(fromTop.events.existingPaths.contains { $0.contains("/.git/") })
        XCTAssertTrue(fromTop.events.existingPaths.contains(expected[0]))
        XCTAssertTrue(fromTop.events.existingPaths.contains(tree.url("outside-target/d.yaml")))
        XCTAssertEqual(fromTop.events.existingPaths.filter { $0.hasSuffix("/d.yaml") }.count, 1,
                       "reached once, through the real directory only")
        fromTop.stop()
    }

    /// Coldwine's `task` commands write in place (truncate, write, close) with no lock or temp file. A
    /// save that starts while the previous save is still settling must not be reported when that
    /// settle window ends, half-written: only once its writer closes it.
    func testAnInPlaceWriterIsReportedOnlyAfterItCloses() throws {
        let tree = try TempTree()
        // A long window makes "the second save starts while the first is settling" certain, not timing.
        let configuration = WatchConfiguration(settleWindow: .seconds(1), filter: yamlOnly().filter)
        let harness = try WatchHarness(root: tree.path, configuration: configuration)
        harness.startAndWaitUntilReady()
        let path = try tree.write("task.yaml", "id: A\ntitle: first save\n")
        let fd = open(path, O_WRONLY | O_TRUNC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(write(fd, "id: A\n", 6), 6)  // half of the second save, then a pause
        // The cookie is written after the half save, so it settles after the first save's window ends:
        // by the time it is reported, the half-written file would have been reported too.
        _ = harness.sync(tree)
        XCTAssertEqual(harness.events.count(changesOf: path), 0, "reported while still being written: \(harness.events)")
        XCTAssertEqual(write(fd, "title: second save\n", 19), 19)
        XCTAssertEqual(close(fd), 0)
        XCTAssertTrue(harness.wait { $0.count(changesOf: path) == 1 }, "reported once closed: \(harness.events)")
        _ = harness.sync(tree)
        XCTAssertEqual(harness.events.count(changesOf: path), 1, "and only once")
        harness.stop()
    }

    func testCreateAndCloseWriteIsReportedOnceAfterTheSettleWindow() throws {
        let tree = try TempTree()
        let harness = try WatchHarness(root: tree.path, configuration: yamlOnly())
        harness.startAndWaitUntilReady()
        // Read the clock before writing: the settle window starts at the close, which is after this, so
        // the bound holds however the test thread is scheduled after the write.
        let written = ContinuousClock.now
        let path = try tree.write("new.yaml", "id: A\n")
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: path) } }, "events: \(harness.events)")
        let reported = ContinuousClock.now
        guard case let .changed(_, first, last)? = harness.events.first(where: { $0.isChange(of: path) }) else {
            return XCTFail("no change for \(path)")
        }
        XCTAssertLessThanOrEqual(first, last)
        XCTAssertGreaterThanOrEqual(reported - written, .milliseconds(50), "not before the settle window")
        let upToCookie = harness.sync(tree)
        XCTAssertEqual(upToCookie.count(changesOf: path), 1)
        harness.stop()
    }

    func testRenameIntoPlaceLikeAnEditorSaveIsReportedForTheTargetOnly() throws {
        let tree = try TempTree()
        let target = try tree.write("spec.yaml", "id: old\n")
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        // write a temp next to it, then rename over the original (many editors, `sed -i`, our store)
        try tree.write(".spec.yaml.tmp", "id: new\n")
        try tree.rename(".spec.yaml.tmp", "spec.yaml")
        try tree.write("sedX1y2Z3", "id: newer\n")
        try tree.rename("sedX1y2Z3", "spec.yaml")
        let events = harness.sync(tree).withoutCookies.filter { !$0.isReady && $0.existingPath == nil }
        XCTAssertEqual(events, events.filter { $0.isChange(of: target) }, "only the target is reported: \(events)")
        XCTAssertEqual(events.count, 1, "both saves coalesce into one report: \(events)")
        harness.stop()
    }

    func testTruncateThenWriteBurstCoalescesIntoOneReport() throws {
        let tree = try TempTree()
        let target = try tree.write("burst.yaml", "id: 0\n")
        let harness = try WatchHarness(root: tree.path, configuration: WatchConfiguration(settleWindow: .milliseconds(200)))
        harness.startAndWaitUntilReady()
        // Editors that write in place: truncate, write in pieces, close; repeated.
        for round in 0..<5 {
            let fd = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC)
            XCTAssertGreaterThanOrEqual(fd, 0)
            close(fd)  // an empty file, closed after writing: not the final content
            let again = open(target, O_WRONLY | O_APPEND | O_CLOEXEC)
            _ = "id: \(round)\n".withCString { write(again, $0, strlen($0)) }
            close(again)
        }
        let events = harness.sync(tree)
        XCTAssertEqual(events.count(changesOf: target), 1, "events: \(events)")
        if case let .changed(_, first, last)? = events.first(where: { $0.isChange(of: target) }) {
            XCTAssertLessThanOrEqual(first, last)
        }
        harness.stop()
    }

    func testMkdirPThenWriteAtOnceIsCaught() throws {
        let tree = try TempTree()
        let harness = try WatchHarness(root: tree.path, configuration: yamlOnly())
        harness.startAndWaitUntilReady()
        var expected: [String] = []
        // In-process: mkdir chain and write back to back, racing the watcher's add_watch.
        for i in 0..<25 {
            try tree.mkdir("r\(i)/b/c")
            expected.append(try tree.write("r\(i)/b/c/x.yaml", "id: \(i)\n"))
        }
        // And the shell one-liner from the issue.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "mkdir -p s/a/b/c && echo 'id: S' > s/a/b/c/x.yaml"]
        shell.currentDirectoryURL = URL(fileURLWithPath: tree.path)
        try shell.run()
        shell.waitUntilExit()
        expected.append(tree.url("s/a/b/c/x.yaml"))
        XCTAssertTrue(harness.wait { Set($0.changedPaths).isSuperset(of: expected) },
                      "missing: \(Set(expected).subtracting(harness.events.changedPaths))")
        // The new directories are watched too.
        let later = try tree.write("r3/b/c/later.yaml")
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: later) } })
        harness.stop()
    }

    func testDirectoryMovedInIsScannedAndWatched() throws {
        let tree = try TempTree()
        try tree.mkdir("root")
        try tree.mkdir("staging/pkg/sub")
        let inside = ["pkg/one.yaml", "pkg/sub/two.yaml", "pkg/sub/three.yaml"]
        for name in inside { try tree.write("staging/" + name) }
        let harness = try WatchHarness(root: tree.url("root"), configuration: yamlOnly())
        harness.startAndWaitUntilReady()
        try tree.rename("staging/pkg", "root/pkg")
        let expected = inside.map { tree.url("root/" + $0) }
        XCTAssertTrue(harness.wait { Set($0.changedPaths).isSuperset(of: expected) }, "events: \(harness.events)")
        let edited = try tree.write("root/pkg/sub/two.yaml", "id: edited\n")
        XCTAssertTrue(harness.wait { $0.count(changesOf: edited) == 2 }, "the moved-in directory is watched")
        // Moving it away again reports its files removed and stops watching it.
        try tree.rename("root/pkg", "staging/pkg-again")
        XCTAssertTrue(harness.wait { Set($0.removedPaths).isSuperset(of: expected) }, "events: \(harness.events)")
        try tree.write("staging/pkg-again/one.yaml", "id: elsewhere\n")
        let events = harness.sync(tree, in: "root")
        XCTAssertFalse(events.changedPaths.contains { $0.contains("pkg-again") })
        XCTAssertEqual(events.count(changesOf: tree.url("root/pkg/one.yaml")), 1)
        harness.stop()
    }

    func testEditorByproductsAreIgnored() throws {
        let tree = try TempTree()
        let harness = try WatchHarness(root: tree.path)  // no filter: only the built-in exclusions apply
        harness.startAndWaitUntilReady()
        for name in [".x.yaml.swp", ".x.yaml.swx", "x.yaml~", "4913", "#x.yaml#", "x.yaml___jb_tmp___",
                     "x.yaml___jb_old___", ".specsync-tmp-x.yaml.1", "x.yaml.lock", ".x.yaml.tmp", "x.yaml.tmp.99"] {
            try tree.write(name)
        }
        try tree.symlink(".#x.yaml", to: "user@host.12345:1700000000")  // emacs lock: a dangling symlink
        try tree.remove("4913")
        try tree.mkdir(".git")
        try tree.write(".git/index.yaml")
        let events = harness.sync(tree).filter { !$0.isReady }
        XCTAssertEqual(events, [], "nothing but the cookie: \(events)")
        harness.stop()
    }

    func testRealVimSaveIsOneChangeAndNoByproducts() throws {
        guard let vim = ["/usr/bin/vim", "/usr/bin/vim.basic", "/usr/bin/vi"].first(where: FileManager.default.isExecutableFile)
        else { throw XCTSkip("vim is not installed") }
        let tree = try TempTree()
        let target = try tree.write("spec.yaml", "id: old\n")
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        // Ex mode, no vimrc; 'writebackup' makes vim probe with 4913 and write a "~" backup, and the
        // swap file .spec.yaml.swp exists while it runs. Not under /tmp, where 'backupskip' applies.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: vim)
        process.arguments = ["-e", "-s", "-u", "NONE", "-i", "NONE", "-N", "-c", "set backupcopy=no",
                             "-c", "%s/old/new/", "-c", "wq", target]
        process.currentDirectoryURL = URL(fileURLWithPath: tree.path)
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "id: new\n")
        let events = harness.sync(tree).withoutCookies.filter { !$0.isReady && $0.existingPath == nil }
        XCTAssertEqual(events.map { $0.changedPath ?? "\($0)" }, [target], "events: \(events)")
        harness.stop()
    }

    func testDeletionsAreReported() throws {
        let tree = try TempTree()
        try tree.mkdir("dir/sub")
        let lone = try tree.write("lone.yaml")
        let nested = try [tree.write("dir/a.yaml"), tree.write("dir/sub/b.yaml")]
        let movedOut = try tree.write("moved.yaml")
        try tree.mkdir("../elsewhere-\(UUID().uuidString)")
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        try tree.remove("lone.yaml")
        try tree.remove("dir")
        let outside = tree.path + "-moved-\(UUID().uuidString).yaml"
        XCTAssertEqual(Glibc.rename(movedOut, outside), 0)
        defer { unlink(outside) }
        let expected = [lone, movedOut] + nested
        XCTAssertTrue(harness.wait { Set($0.removedPaths).isSuperset(of: expected) }, "events: \(harness.events)")
        XCTAssertEqual(harness.sync(tree).removedPaths.count, expected.count, "each once")
        harness.stop()
    }

    func testRootRemovedReportsRootGoneAndRunReturns() throws {
        let tree = try TempTree()
        try tree.mkdir("root/sub")
        try tree.write("root/sub/a.yaml")
        let harness = try WatchHarness(root: tree.url("root"))
        harness.startAndWaitUntilReady()
        try tree.remove("root")
        XCTAssertTrue(harness.waitUntilFinished(), "run returned; events: \(harness.events)")
        guard case .rootGone(let reason)? = harness.events.last else {
            return XCTFail("last event should be rootGone: \(harness.events)")
        }
        XCTAssertTrue(reason.contains(tree.url("root")), reason)
        XCTAssertNil(harness.runFailure)
    }

    func testRootMovedReportsRootGone() throws {
        let tree = try TempTree()
        try tree.mkdir("root")
        let harness = try WatchHarness(root: tree.url("root"))
        harness.startAndWaitUntilReady()
        try tree.rename("root", "renamed")
        XCTAssertTrue(harness.waitUntilFinished())
        guard case .rootGone(let reason)? = harness.events.last else {
            return XCTFail("last event should be rootGone: \(harness.events)")
        }
        XCTAssertTrue(reason.contains("moved"), reason)
    }

    func testSymlinkedDirectoriesAreNeverFollowed() throws {
        let tree = try TempTree()
        try tree.mkdir("root")
        try tree.mkdir("target/inner")
        try tree.write("target/inner/t.yaml")
        try tree.symlink("root/early-link", to: tree.url("target"))
        let harness = try WatchHarness(root: tree.url("root"))
        harness.startAndWaitUntilReady()
        XCTAssertEqual(harness.events.existingPaths, [], "early-link is a symlink to a directory: not entered, not a file")
        try tree.symlink("root/late-link", to: tree.url("target"))
        try tree.write("target/inner/t.yaml", "id: changed\n")
        try tree.write("target/new.yaml")
        try tree.symlink("root/file-link.yaml", to: tree.url("target/new.yaml"))
        let events = harness.sync(tree, in: "root")
        XCTAssertEqual(events.filter { !$0.isReady }.map { $0.changedPath ?? "\($0)" }, [tree.url("root/file-link.yaml")],
                       "only the symlink to a file, as an entry for the engine to judge: \(events)")
        harness.stop()
    }

    func testHardLinkAndSymlinkCreationAreReportedButAnOpenFileWaitsForClose() throws {
        let tree = try TempTree()
        let original = try tree.write("original.yaml")
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        XCTAssertEqual(link(original, tree.url("hard.yaml")), 0)
        try tree.symlink("soft.yaml", to: "original.yaml")
        let open = Glibc.open(tree.url("open.yaml"), O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        XCTAssertGreaterThanOrEqual(open, 0)
        let events = harness.sync(tree)
        XCTAssertEqual(events.count(changesOf: tree.url("hard.yaml")), 1)
        XCTAssertEqual(events.count(changesOf: tree.url("soft.yaml")), 1)
        XCTAssertEqual(events.count(changesOf: tree.url("open.yaml")), 0, "created, still open: not final")
        _ = "id: O\n".withCString { write(open, $0, strlen($0)) }
        close(open)
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: tree.url("open.yaml")) } })
        harness.stop()
    }

    func testOwnWriteIsDroppedAndALaterForeignWriteIsReported() throws {
        let tree = try TempTree()
        let target = try tree.write("target.yaml", "id: T\n")
        let harness = try WatchHarness(root: tree.path)
        let watcher = harness.watcher
        let trigger = tree.url("trigger.yaml")
        // Like the engine: on a change of trigger.yaml, rewrite target.yaml durably (temp + rename) from
        // the handler and note the result.
        harness.onEvent = { event in
            guard event.isChange(of: trigger) else { return }
            do {
                try tree.write(Watcher.ownTemporaryPrefix + "target.yaml.1", "id: T\ncanonical: true\n")
                try tree.rename(Watcher.ownTemporaryPrefix + "target.yaml.1", "target.yaml")
                watcher.noteOwnWrite(path: target, identity: try tree.identity("target.yaml"))
            } catch {
                XCTFail("own write failed: \(error)")
            }
        }
        harness.startAndWaitUntilReady()
        try tree.write("trigger.yaml")
        XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: trigger) } })
        var events = harness.sync(tree)
        XCTAssertEqual(events.count(changesOf: target), 0, "our own write is not reported: \(events)")
        XCTAssertFalse(events.contains { $0.changedPath?.contains(Watcher.ownTemporaryPrefix) == true })

        // Someone else writes the file we wrote: reported.
        try tree.write("target.yaml", "id: T\nforeign: true\n")
        XCTAssertTrue(harness.wait { $0.count(changesOf: target) == 1 }, "events: \(harness.events)")

        // Own write followed at once by a foreign in-place write of the same size: the in-place
        // IN_CLOSE_WRITE is in the burst, so it is reported even if timestamps cannot tell them apart.
        harness.onEvent = { event in
            guard event.isChange(of: trigger) else { return }
            do {
                try tree.write(Watcher.ownTemporaryPrefix + "target.yaml.2", "id: T\nour: 1\n")
                try tree.rename(Watcher.ownTemporaryPrefix + "target.yaml.2", "target.yaml")
                watcher.noteOwnWrite(path: target, identity: try tree.identity("target.yaml"))
                let fd = open(target, O_WRONLY | O_CLOEXEC)
                _ = "id: T\nour: 2\n".withCString { write(fd, $0, strlen($0)) }
                close(fd)
            } catch {
                XCTFail("write failed: \(error)")
            }
        }
        try tree.write("trigger.yaml", "id: again\n")
        XCTAssertTrue(harness.wait { $0.count(changesOf: target) == 2 }, "events: \(harness.events)")
        events = harness.sync(tree)
        XCTAssertEqual(events.count(changesOf: target), 2)
        harness.stop()
    }

    func testOwnWriteWithADifferentIdentityIsReported() throws {
        let tree = try TempTree()
        let target = try tree.write("target.yaml", "id: T\n")
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        // A note for an identity that is not what lands on disk (someone else's rename won).
        let stale = try tree.identity("target.yaml")
        try tree.write(".other.tmp", "id: T\nother: true\n")
        try tree.rename(".other.tmp", "target.yaml")
        harness.watcher.noteOwnWrite(path: target, identity: stale)
        XCTAssertTrue(harness.wait { $0.count(changesOf: target) == 1 }, "events: \(harness.events)")
        harness.stop()
    }

    func testDirectoryReplacedAndRecreatedIsWatchedAgain() throws {
        let tree = try TempTree()
        try tree.mkdir("d")
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        for round in 0..<5 {
            try tree.remove("d")
            try tree.mkdir("d")
            _ = harness.sync(tree)
            let file = try tree.write("d/f\(round).yaml")
            XCTAssertTrue(harness.wait { $0.contains { $0.isChange(of: file) } }, "round \(round): \(harness.events)")
        }
        harness.stop()
    }

    func testSecondWatcherInTheSameProcessIsRefusedUntilTheFirstStops() throws {
        let tree = try TempTree()
        let first = try WatchHarness(root: tree.path)
        XCTAssertThrowsError(try Watcher(root: tree.path)) { error in
            XCTAssertEqual(error as? WatcherError, .eventSource(.instanceInUse))
            XCTAssertTrue("\(error)".contains("already in use"))
        }
        first.startAndWaitUntilReady()
        first.stop()
        let second = try WatchHarness(root: tree.path)
        second.startAndWaitUntilReady()
        let file = try tree.write("after.yaml")
        XCTAssertTrue(second.wait { $0.contains { $0.isChange(of: file) } }, "no stale state from the first: \(second.events)")
        second.stop()
    }

    func testMissingRootAndFileRootAreTypedErrors() throws {
        let tree = try TempTree()
        XCTAssertThrowsError(try Watcher(root: tree.url("missing"))) { error in
            guard case .rootUnavailable(_, .noSuchFileOrDirectory)? = error as? WatcherError else {
                return XCTFail("\(error)")
            }
        }
        let file = try tree.write("file.yaml")
        XCTAssertThrowsError(try Watcher(root: file)) { error in
            XCTAssertEqual(error as? WatcherError, .rootNotADirectory(path: file))
        }
    }

    func testScheduledActionRunsOnTheConsumerThreadWhenDue() throws {
        let tree = try TempTree()
        let harness = try WatchHarness(root: tree.path)
        harness.startAndWaitUntilReady()
        let runs = Runs()
        let scheduled = ContinuousClock.now
        harness.watcher.schedule(after: .milliseconds(120)) { runs.record() }
        XCTAssertTrue(runs.waitForCount(1))
        let recorded = runs.all
        XCTAssertEqual(recorded.count, 1)
        XCTAssertGreaterThanOrEqual((recorded.first?.0 ?? scheduled) - scheduled, .milliseconds(120))
        XCTAssertEqual(recorded.first?.1, harness.recorder.snapshot.consumerThreadID)
        harness.stop()
    }
}
