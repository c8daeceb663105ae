import Foundation
import SpecSyncSys
@testable import SpecSyncWatch
import SpecSyncWatchTestSupport
import XCTest

/// A scratch directory for one test, under the package's .build directory (never /tmp: vim's default
/// 'backupskip' makes it write in place there) or under $SPECSYNC_TEST_TMPDIR.
final class TempTree {
    let path: String

    init(file: StaticString = #filePath) throws {
        let base: String
        if let override = ProcessInfo.processInfo.environment["SPECSYNC_TEST_TMPDIR"], !override.isEmpty {
            base = override
        } else {
            // …/Tests/SpecSyncWatchTests/Support.swift → package root.
            let package = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            base = package.appendingPathComponent(".build/watch-tests").path
        }
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var template = Array("\(base)/t-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        // Resolve symlinks so paths compare equal to the watcher's realpath'd root.
        path = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func url(_ relative: String) -> String { relative.isEmpty ? path : path + "/" + relative }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: url(relative), withIntermediateDirectories: true)
    }

    /// open(O_CREAT|O_TRUNC) + write + close: one IN_CREATE (when new) and one IN_CLOSE_WRITE.
    @discardableResult
    func write(_ relative: String, _ content: String = "id: X\n") throws -> String {
        let target = url(relative)
        let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let written = content.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard written >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return target
    }

    func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(url(from), url(to)) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: url(relative)) }

    func symlink(_ relative: String, to target: String) throws {
        guard Glibc.symlink(target, url(relative)) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    func identity(_ relative: String) throws -> FileIdentity {
        var st = stat()
        guard lstat(url(relative), &st) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return FileIdentity(st)
    }
}

/// Runs a watcher on its own thread and records what it reports. Every wait has a deadline.
final class WatchHarness: @unchecked Sendable {
    let watcher: Watcher
    /// What the watcher's threads did (thread ids, wake-ups, idleness).
    let recorder: WatcherRecorder
    private let condition = NSCondition()
    private var recorded: [WatchEvent] = []
    private var changedSoFar: Set<String> = []
    private var removedSoFar: Set<String> = []
    private var finished = false
    private var failure: Error?
    private var cookieCount = 0
    /// Runs on the consumer thread for every event, before it is recorded (like the engine's handler).
    var onEvent: ((WatchEvent) -> Void)? {
        get { condition.lock(); defer { condition.unlock() }; return storedOnEvent }
        set { condition.lock(); storedOnEvent = newValue; condition.unlock() }
    }
    private var storedOnEvent: ((WatchEvent) -> Void)?

    init(root: String, configuration: WatchConfiguration = WatchConfiguration(), source: EventSource? = nil,
         clock: WatchClock = SystemWatchClock(), recorder: WatcherRecorder = WatcherRecorder()) throws {
        self.recorder = recorder
        watcher = try Watcher(root: root, configuration: configuration, source: source, clock: clock, observer: recorder)
    }

    func start() {
        let thread = Thread { [self] in
            do {
                try watcher.run { event in
                    self.onEvent?(event)
                    self.condition.lock()
                    self.recorded.append(event)
                    if let path = event.changedPath { self.changedSoFar.insert(path) }
                    if let path = event.removedPath { self.removedSoFar.insert(path) }
                    self.condition.broadcast()
                    self.condition.unlock()
                }
            } catch {
                condition.lock()
                failure = error
                condition.unlock()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.start()
    }

    var events: [WatchEvent] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    var runFailure: Error? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    var hasFinished: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished
    }

    /// Waits until `predicate` holds for the events so far; false when `timeout` passes first.
    @discardableResult
    func wait(timeout: TimeInterval = 10, for predicate: ([WatchEvent]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !predicate(recorded) {
            if finished { return false }
            if !condition.wait(until: deadline) { return predicate(recorded) }
        }
        return true
    }

    /// Waits until every path in `changed` was reported changed and every one in `removed` removed
    /// (tracked incrementally: cheap for bursts of thousands of files).
    @discardableResult
    func waitUntilReported(changed: [String], removed: [String] = [], timeout: TimeInterval = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        func done() -> Bool { changed.allSatisfy(changedSoFar.contains) && removed.allSatisfy(removedSoFar.contains) }
        while !done() {
            if finished || !condition.wait(until: deadline) { return done() }
        }
        return true
    }

    func waitUntilFinished(timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !finished {
            if !condition.wait(until: deadline) { return finished }
        }
        return true
    }

    func startAndWaitUntilReady(file: StaticString = #filePath, line: UInt = #line) {
        start()
        XCTAssertTrue(wait { $0.contains { if case .ready = $0 { return true } else { return false } } },
                      "watcher never became ready; events: \(events), failure: \(String(describing: runFailure))",
                      file: file, line: line)
    }

    func stop(file: StaticString = #filePath, line: UInt = #line) {
        watcher.stop()
        XCTAssertTrue(waitUntilFinished(), "run did not return after stop()", file: file, line: line)
    }

    /// Writes a fresh cookie file and waits until it is reported: every raw event that arrived before
    /// it has settled by then (deadlines are served in order). Returns the events up to the cookie.
    @discardableResult
    func sync(_ tree: TempTree, in directory: String = "", file: StaticString = #filePath,
              line: UInt = #line) -> [WatchEvent] {
        cookieCount += 1
        let name = (directory.isEmpty ? "" : directory + "/") + "cookie-\(cookieCount).yaml"
        let path: String
        do { path = try tree.write(name) } catch {
            XCTFail("cannot write cookie: \(error)", file: file, line: line)
            return events
        }
        let seen = wait { $0.contains { $0.isChange(of: path) } }
        XCTAssertTrue(seen, "cookie \(name) never reported; events: \(events)", file: file, line: line)
        let all = events
        let index = all.firstIndex(where: { $0.isChange(of: path) }) ?? all.endIndex
        return Array(all[..<index])
    }
}

extension WatchEvent {
    func isChange(of path: String) -> Bool {
        if case let .changed(changed, _, _) = self { return changed == path }
        return false
    }

    var changedPath: String? {
        if case let .changed(path, _, _) = self { return path }
        return nil
    }

    var removedPath: String? {
        if case let .removed(path) = self { return path }
        return nil
    }

    var existingPath: String? {
        if case let .existing(path) = self { return path }
        return nil
    }

    var isReady: Bool {
        if case .ready = self { return true }
        return false
    }
}

extension Array where Element == WatchEvent {
    var changedPaths: [String] { compactMap(\.changedPath) }
    var removedPaths: [String] { compactMap(\.removedPath) }
    var existingPaths: [String] { compactMap(\.existingPath) }
    func count(changesOf path: String) -> Int { filter { $0.isChange(of: path) }.count }
    var withoutCookies: [WatchEvent] {
        filter { event in
            let path = event.changedPath ?? event.removedPath ?? ""
            return !(path as NSString).lastPathComponent.hasPrefix("cookie-")
        }
    }
}

/// Blocks a thread at a gate until released (the reader, to let a burst overflow the kernel queue).
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var open = false
    private var waiting = 0

    func pass() {
        condition.lock()
        waiting += 1
        condition.broadcast()
        while !open { condition.wait() }
        waiting -= 1
        condition.unlock()
    }

    func waitUntilSomeoneWaits(timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while waiting == 0 {
            if !condition.wait(until: deadline) { return waiting > 0 }
        }
        return true
    }

    func release() {
        condition.lock()
        open = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The package's build directory holding the test bundle and the executables it depends on.
var productsDirectory: URL {
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL
}

/// Records when (and on which thread) a scheduled action ran.
final class Runs: @unchecked Sendable {
    private let condition = NSCondition()
    private var recorded: [(ContinuousClock.Instant, Int32?)] = []

    func record() {
        condition.lock()
        recorded.append((ContinuousClock.now, currentKernelThreadID()))
        condition.broadcast()
        condition.unlock()
    }

    var all: [(ContinuousClock.Instant, Int32?)] {
        condition.lock()
        defer { condition.unlock() }
        return recorded
    }

    func waitForCount(_ count: Int, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while recorded.count < count {
            if !condition.wait(until: deadline) { return recorded.count >= count }
        }
        return true
    }
}

/// Polls `condition` (cheaply, every millisecond) until it holds or `timeout` passes.
func eventually(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() >= deadline { return condition() }
        usleep(1000)
    }
    return true
}

/// Context switches of one of our threads so far (voluntary + involuntary), and its state letter.
func threadActivity(_ tid: Int32) -> (switches: Int, state: String)? {
    guard let status = try? String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8) else { return nil }
    var switches = 0
    var state = "?"
    for line in status.split(separator: "\n") {
        if line.hasPrefix("State:") { state = String(line.dropFirst(6).trimmingCharacters(in: .whitespaces).prefix(1)) }
        if line.contains("ctxt_switches:") {
            switches += Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
    }
    return (switches, state)
}
