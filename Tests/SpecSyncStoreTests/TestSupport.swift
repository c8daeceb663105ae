#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport
import XCTest

/// A fresh directory under /tmp, removed (with everything in it) by `remove()`.
struct ScratchDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/specsync-store-test.XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(cString: created)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Names in the directory that look like our temporary files.
    func temporaryFiles(prefix: String = StoreConfiguration.defaultTempPrefix) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
    }
}

/// Plain set-up writes and reads, outside the code under test.
func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw POSIXError(.EIO) }
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    try writeFile(path, Array(text.utf8), mode: mode)
}

func contents(_ path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

func text(_ path: String) throws -> String {
    String(decoding: try contents(path), as: UTF8.self)
}

func fileStatus(_ path: String, follow: Bool = false) throws -> stat {
    var st = stat()
    let result = follow ? stat(path, &st) : lstat(path, &st)
    guard result == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    return st
}

func exists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
}

var isRoot: Bool { geteuid() == 0 }

/// Polls `condition` until it holds or `timeout` passes. Synchronization by condition, not by sleeping.
@discardableResult
func waitUntil(timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return true }
        Sys.sleep(for: .milliseconds(2))
    }
    return try condition()
}

/// The built specsync-testchild, next to the test bundle.
var testChildPath: String {
    let executable = (try? Sys.readlink("/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // The runner may live inside the .xctest bundle; the products are where the bundle is.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("specsync-testchild").path),
          directory.path != "/" {
        directory.deleteLastPathComponent()
    }
    return directory.appendingPathComponent("specsync-testchild").path
}

/// A real child process with a pipe on stdin and stdout; stderr goes to a file read after exit.
/// Driven by one test at a time (also from its fault hooks, which run on the test's own thread).
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private var stdinFD: Int32
    private let stdoutFD: Int32
    private let stderrPath: String
    private var pending: [UInt8] = []
    private(set) var status: Int32?

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        var stdinPipe: [Int32] = [0, 0]
        var stdoutPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0 else {
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        // Close-on-exec, so no other child inherits these ends (a leaked stdin write end would keep
        // a holder child from ever seeing end of file). dup2 into 0/1 clears the flag for this child.
        for fd in stdinPipe + stdoutPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        stderrPath = "/tmp/specsync-store-test-stderr.\(getpid()).\(UInt32.random(in: 0 ... .max))"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        var merged = ProcessInfo.processInfo.environment
        for (key, value) in environment { merged[key] = value }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        guard result == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            throw POSIXError(.init(rawValue: result) ?? .EIO)
        }
        self.pid = pid
        stdinFD = stdinPipe[1]
        stdoutFD = stdoutPipe[0]
    }

    static func testChild(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(testChildPath, arguments, environment: environment)
    }

    deinit {
        if status == nil {
            Glibc.kill(pid, SIGKILL)
            _ = wait()
        }
        closeStdin()
        close(stdoutFD)
        unlink(stderrPath)
    }

    /// The next line on stdout, waiting at most `timeout`; nil at end of output or on timeout.
    func readLine(timeout: Duration = .seconds(20)) -> String? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let remaining = deadline - clock.now
            guard remaining > .zero else { return nil }
            var descriptor = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000) + 1
            guard poll(&descriptor, 1, milliseconds) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = Glibc.read(stdoutFD, &buffer, buffer.count)
            if count <= 0 { return nil }
            pending.append(contentsOf: buffer[0..<count])
        }
    }

    func writeLine(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
    }

    func closeStdin() {
        if stdinFD >= 0 {
            close(stdinFD)
            stdinFD = -1
        }
    }

    func kill(_ signal: Int32) {
        Glibc.kill(pid, signal)
    }

    /// Waits for exit and returns the raw wait status.
    @discardableResult
    func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        status = raw
        return raw
    }

    /// Exit code, or nil if the child was killed by a signal.
    var exitCode: Int32? {
        let raw = wait()
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : nil
    }

    var terminatingSignal: Int32? {
        let raw = wait()
        return raw & 0x7f != 0 ? raw & 0x7f : nil
    }

    var standardError: String {
        (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    }

    /// Runs to completion and returns (exit code, stderr).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> (code: Int32?, stderr: String) {
        let child = try ChildProcess(executable, arguments, environment: environment)
        child.closeStdin()
        return (child.exitCode, child.standardError)
    }
}

/// Asserts `body` throws a StoreError and hands it over for further checks.
func assertStoreError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line,
                         _ check: (StoreError) -> Void) {
    do {
        _ = try body()
        XCTFail("expected a StoreError, got success", file: file, line: line)
    } catch let error as StoreError {
        check(error)
    } catch {
        XCTFail("expected a StoreError, got \(error)", file: file, line: line)
    }
}

extension XCTestCase {
    func skipUnlessFaultInjection() throws {
        try XCTSkipUnless(SysFaults.isAvailable, "fault injection exists only in debug builds")
    }
}
