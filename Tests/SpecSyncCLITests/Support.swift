import Foundation
import XCTest

/// Runs the built `specsync` binary as a real child process.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum CLI {
    static var productsDirectory: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL
    }

    static var binary: String {
        isolateCacheDirectory()
        return productsDirectory.appendingPathComponent("specsync").path
    }

    /// The same commands with the faults SPECSYNC_FAULTS names injected; the real binary ignores it.
    static var binaryWithFaults: String {
        isolateCacheDirectory()
        return productsDirectory.appendingPathComponent("specsync-with-faults").path
    }

    /// Every child the tests start inherits this: the watcher's start-up verdicts (`$XDG_CACHE_HOME`)
    /// go to the build folder, never to the real ~/.cache.
    private static func isolateCacheDirectory() {
        let scratch = FileManager.default.currentDirectoryPath + "/.build/test-scratch/xdg-cache"
        if getenv("XDG_CACHE_HOME").map({ String(cString: $0) }) != scratch { setenv("XDG_CACHE_HOME", scratch, 1) }
    }

    /// The binary to run with `environment`: the fault-injecting one when it asks for faults.
    static func binary(for environment: [String: String]) -> String {
        environment["SPECSYNC_FAULTS"] == nil ? binary : binaryWithFaults
    }

    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, cwd: String, environment: [String: String] = [:],
                    executable: String? = nil) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? binary(for: environment))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Drain both pipes concurrently so a chatty child cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let errDone = DispatchSemaphore(value: 0)
        Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            errDone.signal()
        }.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errDone.wait()
        let errData = errBox.data
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    @discardableResult
    static func shell(_ command: String, cwd: String) throws -> CommandResult {
        try run(["-c", command], cwd: cwd, executable: "/bin/sh")
    }
}

/// A scratch project directory with a specs directory, removed afterwards.
final class Project {
    let root: String
    var specs: String { root + "/.tandemonium/specs" }

    init() throws {
        let base = FileManager.default.currentDirectoryPath + "/.build/test-scratch"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        root = base + "/cli-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root + "/.tandemonium/specs", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func write(_ relative: String, _ text: String) throws {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func read(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: root + "/" + relative)), as: UTF8.self)
    }

    func example(_ name: String) throws -> String {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return String(decoding: try Data(contentsOf: repo.appendingPathComponent("config/examples/\(name).yaml")), as: UTF8.self)
    }
}

let canonicalSpec = """
    id: TAND-001
    title: Fix login timeout
    status: ready
    priority: 2

    """
