import Foundation
import XCTest

/// Helpers for the `specsync watch` tests: the real binary as a child process, its `--events` JSON
/// lines, and event-driven waits with deadlines (never a fixed sleep as synchronization).

/// One line of `--events` output.
struct WatchEventLine: CustomStringConvertible {
    var path: String
    var action: String
    var diagnostics: [[String: Any]]
    var latencyMs: Double?
    var raw: String

    init?(_ line: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let path = object["path"] as? String, let action = object["action"] as? String,
              object["time"] is String else { return nil }
        self.path = path
        self.action = action
        self.diagnostics = object["diagnostics"] as? [[String: Any]] ?? []
        self.latencyMs = (object["latency_ms"] as? NSNumber)?.doubleValue
        self.raw = line
    }

    var name: String { (path as NSString).lastPathComponent }
    var description: String { "\(name): \(action)" }
}

struct WatchTimeout: Error, CustomStringConvertible {
    var description: String
}

/// Polls `condition` until it holds or `timeout` passes. The pause between polls only limits CPU use;
/// the condition, not the pause, is what the caller waits for.
@discardableResult
func waitUntil(_ what: @autoclosure () -> String, timeout: TimeInterval = 15,
               _ condition: () throws -> Bool) throws -> TimeInterval {
    let start = Date()
    let deadline = start.addingTimeInterval(timeout)
    while true {
        if try condition() { return Date().timeIntervalSince(start) }
        if Date() >= deadline { throw WatchTimeout(description: "timed out after \(timeout) s waiting for \(what())") }
        usleep(2_000)
    }
}

func resolvedPath(_ path: String) -> String {
    guard let real = realpath(path, nil) else { return path }
    defer { free(real) }
    return String(cString: real)
}

func fileText(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
}

/// lstat identity that tells "rewritten" from "untouched": inode, size, mtime.
struct Inode: Equatable, CustomStringConvertible {
    var inode: UInt64
    var size: Int64
    var mtimeSeconds: Int
    var mtimeNanoseconds: Int

    init(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        mtimeSeconds = st.st_mtim.tv_sec
        mtimeNanoseconds = st.st_mtim.tv_nsec
    }

    var description: String { "ino \(inode) size \(size) mtime \(mtimeSeconds).\(mtimeNanoseconds)" }
}

/// Low-level writers that reproduce editors' syscalls exactly.
enum Save {
    static func check(_ result: Int, _ what: String) throws {
        if result < 0 { throw WatchTimeout(description: "\(what): \(String(cString: strerror(errno)))") }
    }

    /// open(O_WRONLY|O_CREAT|O_TRUNC), one write per chunk, close: one IN_CLOSE_WRITE.
    static func inPlace(_ path: String, _ chunks: [String]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try check(Int(fd), "open \(path)")
        defer { close(fd) }
        for chunk in chunks { try writeAll(fd, chunk) }
    }

    static func inPlace(_ path: String, _ text: String) throws { try inPlace(path, [text]) }

    /// An in-place save through a descriptor opened earlier (a writer that held the file, perhaps across
    /// a swap): ftruncate, one write, close.
    static func intoHeld(_ fd: Int32, _ text: String) throws {
        defer { close(fd) }
        try check(Int(ftruncate(fd, 0)), "ftruncate")
        try writeAll(fd, text)
    }

    static func writeAll(_ fd: Int32, _ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            try check(n, "write")
            offset += n
        }
    }

    /// Writes `temporaryName` next to `path`, then rename(2)s it over `path` (atomic-save editors).
    static func renameIntoPlace(_ path: String, _ text: String, temporaryName: String? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temp = directory + "/" + (temporaryName ?? ".\((path as NSString).lastPathComponent).tmp")
        try inPlace(temp, text)
        try check(Int(rename(temp, path)), "rename \(temp)")
    }
}

/// A running `specsync watch`: stderr goes to a log file, `--events` to another; both are polled.
final class WatchDaemon {
    let project: Project
    let process = Process()
    let eventsPath: String
    let logPath: String
    /// The watched directory as the daemon reports it (resolved).
    let root: String
    private var cookies = 0
    private(set) var exitStatus: Int32?

    /// Starts `specsync watch` in the project root; with `waitForReady`, returns once the ready line
    /// is logged (signal handlers are installed by then).
    /// - Parameters:
    ///   - eventsToStdout: pass `--events -` and collect stdout into the events file instead.
    ///   - launcher: a command (and its arguments) that runs the watcher, e.g. in a user namespace;
    ///     it receives the binary path and the watch arguments as "$0" "$@".
    init(_ project: Project, arguments: [String] = [], directory: String? = nil, waitForReady: Bool = true,
         label: String = "watch", eventsToStdout: Bool = false, launcher: [String]? = nil,
         environment: [String: String] = [:]) throws {
        self.project = project
        eventsPath = project.root + "/\(label)-events.jsonl"
        logPath = project.root + "/\(label)-stderr.log"
        root = resolvedPath(directory ?? project.specs)
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let watchArguments = ["watch", "--events", eventsToStdout ? "-" : eventsPath] + arguments + (directory.map { [$0] } ?? [])
        let binary = CLI.binary(for: environment)
        if let launcher, let tool = launcher.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = Array(launcher.dropFirst()) + [binary] + watchArguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = watchArguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: project.root)
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardError = FileHandle(forWritingAtPath: logPath)
        if eventsToStdout {
            _ = FileManager.default.createFile(atPath: eventsPath, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: eventsPath)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        if waitForReady { try waitForLog("ready: watching") }
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGCONT)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    var pid: Int32 { process.processIdentifier }
    var log: String { fileText(logPath) ?? "" }

    /// Complete lines only (a line still being written is left for the next poll).
    var events: [WatchEventLine] {
        guard let text = fileText(eventsPath) else { return [] }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        if !text.hasSuffix("\n"), !lines.isEmpty { lines.removeLast() }
        return lines.compactMap(WatchEventLine.init)
    }

    func events(for path: String) -> [WatchEventLine] { events.filter { $0.path == path } }

    func waitForLog(_ fragment: String, timeout: TimeInterval = 20) throws {
        try waitUntil("log line containing \"\(fragment)\"; log so far:\n\(log)", timeout: timeout) {
            if log.contains(fragment) { return true }
            if !process.isRunning { throw WatchTimeout(description: "specsync watch exited (\(process.terminationStatus)) before logging \"\(fragment)\":\n\(log)") }
            return false
        }
    }

    /// Waits for an event line for `path` (with `action`, if given) beyond the first `skipping` ones
    /// for that path.
    @discardableResult
    func waitForEvent(_ path: String, action: String? = nil, skipping: Int = 0, timeout: TimeInterval = 15) throws -> WatchEventLine {
        var found: WatchEventLine?
        try waitUntil("an event for \(path) (\(action ?? "any")); events: \(events)\nlog:\n\(log)", timeout: timeout) {
            let matching = events(for: path).dropFirst(skipping).filter { action == nil || $0.action == action }
            found = matching.first
            if found == nil, !process.isRunning { throw WatchTimeout(description: "specsync watch exited:\n\(log)") }
            return found != nil
        }
        return found!
    }

    /// Waits for `path` to hold exactly `content`.
    func waitForContent(_ path: String, _ content: String, timeout: TimeInterval = 15) throws {
        try waitUntil("\(path) to become \(content.debugDescription) (is \(fileText(path)?.debugDescription ?? "missing")); events: \(events(for: path))", timeout: timeout) {
            fileText(path) == content
        }
    }

    /// The watcher has caught up: writes a fresh non-canonical cookie spec and waits for its
    /// `normalized` event. Settle deadlines are served in order, so every event that reached the
    /// watcher before the cookie (echoes of our own writes included) has been handled by then.
    @discardableResult
    func cookie(in directory: String? = nil, timeout: TimeInterval = 15) throws -> [WatchEventLine] {
        cookies += 1
        let path = (directory ?? root) + "/zz-cookie-\(cookies).yaml"
        try Save.inPlace(path, "title: cookie\nid: COOKIE-\(cookies)\n")
        try waitForEvent(path, action: "normalized", timeout: timeout)
        try waitForContent(path, "id: COOKIE-\(cookies)\ntitle: cookie\n")
        return events
    }

    /// Fully quiet: the displaced-inode grace of every rewrite is over (its temporary is gone) and a
    /// cookie made it through after that. Returns the events without cookies.
    @discardableResult
    func quiesce(timeout: TimeInterval = 15) throws -> [WatchEventLine] {
        try waitUntil("no .specsync-tmp-* files under \(root): \(temporaries(under: root))", timeout: timeout) {
            temporaries(under: root).isEmpty
        }
        return try cookie(timeout: timeout).filter { !$0.name.hasPrefix("zz-cookie-") }
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the process to exit; returns its exit status (a signal death is a failure).
    @discardableResult
    func waitForExit(timeout: TimeInterval = 15) throws -> Int32 {
        try waitUntil("specsync watch (pid \(pid)) to exit; log:\n\(log)", timeout: timeout) { !process.isRunning }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            throw WatchTimeout(description: "specsync watch died of signal \(process.terminationStatus); log:\n\(log)")
        }
        exitStatus = process.terminationStatus
        return process.terminationStatus
    }

    func stop(_ number: Int32 = SIGTERM) throws -> Int32 {
        signal(number)
        return try waitForExit()
    }
}

/// A watcher that cannot ask the kernel whether a writer still holds a file open (as with files it does
/// not own, or leases disabled): exercises the fallback for late in-place writes, the displaced inode.
/// Fault injection works in debug builds, which the tests use, and only in `specsync-with-faults`.
let withoutWriterProbe = ["SPECSYNC_FAULTS": "fcntl=EINVAL*always"]

/// Every `.specsync-tmp-*` file below `directory`.
func temporaries(under directory: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    var found: [String] = []
    while let relative = walker.nextObject() as? String {
        if (relative as NSString).lastPathComponent.hasPrefix(".specsync-tmp-") { found.append(relative) }
    }
    return found
}

/// A non-canonical spec (keys out of order) and its canonical form.
func messySpec(_ id: String, _ title: String) -> String { "title: \(title)\nid: \(id)\n" }
func canonicalForm(_ id: String, _ title: String) -> String { "id: \(id)\ntitle: \(title)\n" }

func which(_ tool: String) -> String? {
    for directory in ["/usr/bin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(tool)") {
        return "\(directory)/\(tool)"
    }
    return nil
}

/// Runs a tool with arguments (no shell), checking the exit status.
@discardableResult
func runTool(_ tool: String, _ arguments: [String], cwd: String, file: StaticString = #filePath, line: UInt = #line) throws -> CommandResult {
    let result = try CLI.run(arguments, cwd: cwd, executable: tool)
    XCTAssertEqual(result.status, 0, "\(tool) \(arguments): \(result.stderr)", file: file, line: line)
    return result
}

/// The test process's own inotify instance, to act at precise moments of the watcher's work
/// (after it read a file, when it takes the lock, when it swaps the file).
final class InotifyProbe {
    let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var queued: [(mask: UInt32, name: String)] = []

    init(directory: String, mask: UInt32) throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try Save.check(Int(fd), "inotify_init1")
        try Save.check(Int(inotify_add_watch(fd, directory, mask)), "inotify_add_watch \(directory)")
    }

    deinit { close(fd) }

    /// Waits for an event on `name` with any bit of `mask`; false after `timeout` seconds.
    func wait(for name: String, mask: UInt32, timeout: TimeInterval) -> Bool {
        wait(where: { $0 == name }, mask: mask, timeout: timeout)
    }

    /// Waits for an event whose name satisfies `matches`, with any bit of `mask`.
    func wait(where matches: (String) -> Bool, mask: UInt32, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let index = queued.firstIndex(where: { matches($0.name) && $0.mask & mask != 0 }) {
                queued.removeSubrange(...index)
                return true
            }
            queued.removeAll()
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return false }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, Int32(max(1, remaining * 1000))) > 0 else { continue }
            drain()
        }
    }

    /// Forgets everything queued so far.
    func reset() {
        drain()
        queued.removeAll()
    }

    private func drain() {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { return }
            var offset = 0
            buffer.withUnsafeBytes { raw in
                while offset < n {
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
                    queued.append((mask, String(decoding: nameBytes, as: UTF8.self)))
                    offset += 16 + length
                }
            }
        }
    }
}
