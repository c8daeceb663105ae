import Foundation
import SpecSyncCore
import XCTest

// CLISupport.swift and WatchSupport.swift are symlinks to the CLI tests' helpers (the binary as a child
// process, the watcher with its --events stream, waits with deadlines): one copy, shared.

/// The repository root (this file is Tests/SpecSyncInteropTests/GoClient.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Tests/Interop/coldwine-client, built once per test run with Debian's Go in GOPATH mode (no module
/// proxy) into .build/interop/. Missing Go is a skip (scripts/deps installs it); a failing build is a failure.
enum GoClient {
    private static let built: Result<String, Error> = build()

    static func path() throws -> String { try built.get() }

    struct Skip: Error, CustomStringConvertible { var description: String }
    struct BuildFailure: Error, CustomStringConvertible { var description: String }

    private static func build() -> Result<String, Error> {
        let gopath = "/usr/share/gocode"
        guard let go = which("go") else {
            return .failure(Skip(description: "Go is not installed, so the interop tests with the Go client are skipped "
                                 + "(scripts/deps installs golang-go and golang-gopkg-yaml.v3-dev on Debian)"))
        }
        guard FileManager.default.fileExists(atPath: gopath + "/src/gopkg.in/yaml.v3/yaml.go") else {
            return .failure(Skip(description: "gopkg.in/yaml.v3 is not in \(gopath), so the interop tests with the Go "
                                 + "client are skipped (scripts/deps installs golang-gopkg-yaml.v3-dev on Debian)"))
        }
        let outputDirectory = repositoryRoot + "/.build/interop"
        let binary = outputDirectory + "/coldwine-client"
        do {
            try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
            let result = try CLI.run(["build", "-o", binary, "."], cwd: repositoryRoot + "/Tests/Interop/coldwine-client",
                                     environment: ["GO111MODULE": "off", "GOPATH": gopath, "GOPROXY": "off",
                                                   "GOFLAGS": "", "GOCACHE": outputDirectory + "/gocache"],
                                     executable: go)
            guard result.status == 0 else {
                return .failure(BuildFailure(description: "go build of the Go client failed (\(result.status)):\n\(result.stderr)"))
            }
            return .success(binary)
        } catch {
            return .failure(error)
        }
    }

    /// The client's path, or an XCTSkip when Go cannot be used here.
    static func require() throws -> String {
        do { return try path() } catch let skip as Skip { throw XCTSkip(skip.description) }
    }

    /// Runs the client to completion.
    static func run(_ arguments: [String], stdin: String? = nil, cwd: String = repositoryRoot) throws -> CommandResult {
        try CLI.run(arguments, stdin: stdin, cwd: cwd, executable: try require())
    }

    /// yaml.v3's view of one file: its data loaded into a map and into the Coldwine-shaped struct, as
    /// typed JSON text; or why it could not be loaded.
    struct View {
        var map: String
        var structure: String
        var error: String?
    }

    /// The client's `roundtrip` of these files, by path.
    static func roundTrip(_ files: [String]) throws -> [String: View] {
        let result = try run(["roundtrip"], stdin: files.joined(separator: "\n") + "\n")
        guard result.status == 0 else { throw BuildFailure(description: "roundtrip failed (\(result.status)): \(result.stderr)") }
        var views: [String: View] = [:]
        for line in result.stdout.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { continue }
            views[fields[0]] = fields[1] == "ERROR" ? View(map: "", structure: "", error: fields[2])
                                                     : View(map: fields[1], structure: fields[2])
        }
        return views
    }

    /// Starts the client in the background; stdout (nil: discarded) and stderr go to new files.
    static func start(_ arguments: [String], stdout: String?, stderr: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try require())
        process.arguments = arguments
        // createFile replaces the path atomically: never hand it a device such as /dev/null.
        if let stdout {
            _ = FileManager.default.createFile(atPath: stdout, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: stdout)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// The Go client's `sample` mode: every version of one file that inotify lets it see.
final class Sampler {
    let process: Process
    let outputPath: String
    let errorPath: String

    struct Version {
        var content: String
        var parsed: Bool
        var error: String?
        /// yaml.v3's data (typed JSON, see Typed), when it parsed.
        var data: Any?
    }

    init(_ file: String, scratch: String) throws {
        outputPath = scratch + "/sampler-\(UUID().uuidString.prefix(6)).jsonl"
        errorPath = outputPath + ".stderr"
        process = try GoClient.start(["sample", file, outputPath], stdout: nil, stderr: errorPath)
        try waitUntil("the sampler to start: \(fileText(errorPath) ?? "")", timeout: 20) {
            if !process.isRunning { throw WatchTimeout(description: "sampler exited: \(fileText(errorPath) ?? "")") }
            return fileText(errorPath)?.contains("sampler: ready") == true
        }
    }

    deinit { if process.isRunning { process.terminate() } }

    /// Stops the sampler (it takes one last look at the file) and returns what it saw, in order.
    func stop() throws -> [Version] {
        process.terminate()
        try waitUntil("the sampler to exit", timeout: 20) { !process.isRunning }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw WatchTimeout(description: "sampler failed (\(process.terminationStatus)): \(fileText(errorPath) ?? "")")
        }
        return try jsonLines(outputPath).map {
            Version(content: $0["content"] as? String ?? "", parsed: $0["ok"] as? Bool ?? false,
                    error: $0["error"] as? String, data: $0["data"])
        }
    }
}

func jsonLines(_ path: String) throws -> [[String: Any]] {
    guard let text = fileText(path) else { throw WatchTimeout(description: "no file \(path)") }
    return try text.split(separator: "\n").map {
        guard let object = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
            throw WatchTimeout(description: "not a JSON object in \(path): \($0)")
        }
        return object
    }
}

/// Typed JSON: the data form both sides print so that a string "5239e568" and a number can never
/// compare equal. Every scalar is a string with its type: "s:text", "i:42", "f:<IEEE-754 bits in hex>",
/// "b:true", "n:"; mappings are objects, sequences arrays. The Go client prints yaml.v3's data this way.
enum Typed {
    /// specsync's reading of `value`; with `droppingNulls`, members whose value is null are left out
    /// (what a Go struct keeps: it cannot tell a null from an absent key).
    static func from(_ value: JSONValue, droppingNulls: Bool = false) -> Any {
        switch value {
        case .null: return "n:"
        case .bool(let b): return "b:\(b)"
        case .integer(let i): return "i:\(i)"
        case .number(let d): return "f:" + String(d.bitPattern, radix: 16)
        case .string(let s): return "s:" + s
        case .array(let items): return items.map { from($0, droppingNulls: droppingNulls) }
        case .object(let object):
            var out: [String: Any] = [:]
            for (key, member) in object.pairs where !(droppingNulls && member == .null) {
                out[key] = from(member, droppingNulls: droppingNulls)
            }
            return out
        }
    }

    /// The same typed data as the Go client's `roundtrip` prints it (encoding/json: keys sorted by bytes,
    /// no HTML escaping), so that most comparisons are a string comparison. A difference is confirmed
    /// with `text` (escaping rules differ between Go versions).
    static func goJSON(_ value: JSONValue, droppingNulls: Bool = false) -> String {
        var out = ""
        appendGoJSON(value, droppingNulls: droppingNulls, to: &out)
        return out
    }

    private static func appendGoJSON(_ value: JSONValue, droppingNulls: Bool, to out: inout String) {
        switch value {
        case .null: appendGoString("n:", to: &out)
        case .bool(let b): appendGoString("b:\(b)", to: &out)
        case .integer(let i): appendGoString("i:\(i)", to: &out)
        case .number(let d): appendGoString("f:" + String(d.bitPattern, radix: 16), to: &out)
        case .string(let s): appendGoString("s:" + s, to: &out)
        case .array(let items):
            out.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(",") }
                appendGoJSON(item, droppingNulls: droppingNulls, to: &out)
            }
            out.append("]")
        case .object(let object):
            out.append("{")
            var first = true
            let keys = object.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for key in keys {
                let member = object[key]!
                if droppingNulls, member == .null { continue }
                if !first { out.append(",") }
                first = false
                appendGoString(key, to: &out)
                out.append(":")
                appendGoJSON(member, droppingNulls: droppingNulls, to: &out)
            }
            out.append("}")
        }
    }

    private static func appendGoString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{2028}": out.append("\\u2028")
            case "\u{2029}": out.append("\\u2029")
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }

    /// A stable text for comparing (sorted keys).
    static func text(_ typed: Any?) -> String {
        guard let typed else { return "nil" }
        guard JSONSerialization.isValidJSONObject([typed]),
              let data = try? JSONSerialization.data(withJSONObject: [typed], options: [.sortedKeys]) else {
            return "\(typed)"
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// What specsync reads from these bytes (its parser, no schema), or nil when it cannot read them.
    static func specsyncData(_ bytes: [UInt8]) -> JSONValue? {
        SpecProcessor(validator: nil).analyze(bytes).data
    }

    static func specsyncData(file path: String) -> JSONValue? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return specsyncData([UInt8](data))
    }
}

/// Runs `body` on a background thread; `join()` waits for it (with a deadline) and rethrows.
final class Background: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: Error?

    init(_ body: @escaping () throws -> Void) {
        // Runs once, on that thread only; `join` reads the outcome after the semaphore.
        nonisolated(unsafe) let body = body
        Thread { [self] in
            do { try body() } catch { self.error = error }
            done.signal()
        }.start()
    }

    func join(timeout: TimeInterval = 120) throws {
        guard done.wait(timeout: .now() + timeout) == .success else {
            throw WatchTimeout(description: "background loop still running after \(timeout) s")
        }
        if let error { throw error }
    }
}

/// A flag shared between threads.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
    func set() { lock.lock(); stopped = true; lock.unlock() }
}
