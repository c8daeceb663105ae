import Foundation
import SpecSyncCore
import Synchronization
import XCTest

/// Every spec specsync writes loads through yaml.v3, into a map and into the Coldwine-shaped struct, with
/// all data equal to what specsync read; and specsync keeps the meaning yaml.v3 gave the input.
final class RoundTripTests: XCTestCase {
    /// The examples and 10,000 specs from bench/gen_specs.py (half of them messy), through `specsync fmt`.
    func testExamplesAndGeneratedSpecsRoundTripThroughYAMLv3() throws {
        _ = try GoClient.require()
        guard let python = which("python3") else {
            throw XCTSkip("python3 is not installed: bench/gen_specs.py cannot generate the 10,000 specs")
        }
        let project = try Scratch()
        let directory = project.specs
        try FileManager.default.createDirectory(atPath: directory + "/examples", withIntermediateDirectories: true)
        for name in ["TAND-012", "TAND-013", "TAND-014"] {
            try FileManager.default.copyItem(atPath: repositoryRoot + "/config/examples/\(name).yaml",
                                             toPath: directory + "/examples/\(name).yaml")
        }
        try runTool(python, [repositoryRoot + "/bench/gen_specs.py", directory + "/generated", "10000", "--seed", "7",
                             "--dirs", "10"], cwd: project.root)
        try roundTrip(directory, project: project, expectedFiles: 10_003)
    }

    /// 200,000 random 8-hex story hashes, saved by the Go client as Coldwine does (yaml.v3 Marshal of a map:
    /// hashes such as 5239e568 come out unquoted): one in user_story.hash and nine in requirements, per spec.
    func testRandomStoryHashesFromYAMLv3RoundTrip() throws {
        _ = try GoClient.require()
        let project = try Scratch()
        let directory = project.specs + "/hashes"
        let generate = try GoClient.run(["genhashes", directory, "20000", "10", "42"])
        XCTAssertEqual(generate.status, 0, generate.stderr)
        try roundTrip(directory, project: project, expectedFiles: 20_000)
    }

    /// yaml.v3 reads every file before and after `specsync fmt DIRECTORY`; specsync's parser reads them after.
    /// All three views must agree, file by file (the struct view without nulls, which a struct cannot keep).
    private func roundTrip(_ directory: String, project: Scratch, expectedFiles: Int,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let files = specFiles(under: directory)
        XCTAssertEqual(files.count, expectedFiles, "specs generated", file: file, line: line)
        let started = Date()
        let before = try GoClient.roundTrip(files)

        let fmt = try CLI.run(["fmt", directory], cwd: project.root)
        let rejected = (fmt.stdout + fmt.stderr).split(separator: "\n").filter { $0.contains(": error: ") }
        XCTAssertEqual(fmt.status, 0, "specsync fmt refused what yaml.v3 wrote: \(rejected.count) diagnostics, e.g.\n"
                       + rejected.prefix(5).joined(separator: "\n") + "\n" + String(fmt.stderr.suffix(300)), file: file, line: line)
        let formatted = Date()

        let after = try GoClient.roundTrip(files)
        let chunks = stride(from: 0, to: files.count, by: 500).map { Array(files[$0..<min($0 + 500, files.count)]) }
        let found = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: chunks.count) { index in
            var mismatches: [String] = []
            for path in chunks[index] {
                mismatches += Self.compare(path, before: before[path], after: after[path])
            }
            found.withLock { $0 += mismatches }
        }
        let mismatches = found.withLock { $0 }.sorted()
        XCTAssertEqual(mismatches.count, 0, "\(mismatches.count) mismatches in \(files.count) files, e.g.\n"
                       + mismatches.prefix(5).joined(separator: "\n"), file: file, line: line)
        print(String(format: "round trip: %d files, fmt exit %d (%.1f s), %d diagnostics, %d mismatches; compared in %.1f s",
                     files.count, fmt.status, formatted.timeIntervalSince(started), rejected.count, mismatches.count,
                     Date().timeIntervalSince(formatted)))
    }

    /// The mismatches for one file: yaml.v3's map and struct views of specsync's output against what
    /// specsync reads from it, and yaml.v3's view of the input against its view of the output.
    private static func compare(_ path: String, before: GoClient.View?, after: GoClient.View?) -> [String] {
        guard let before, let after else { return ["\(path): missing from the Go client's output"] }
        if let error = after.error { return ["\(path): yaml.v3 cannot load what specsync wrote: \(error)"] }
        guard let bytes = FileManager.default.contents(atPath: path), let read = Typed.specsyncData([UInt8](bytes)) else {
            return ["\(path): specsync cannot read it"]
        }
        var found: [String] = []
        func differ(_ go: String, _ specsync: JSONValue, droppingNulls: Bool) -> Bool {
            if go == Typed.goJSON(specsync, droppingNulls: droppingNulls) { return false }
            // Confirm through Foundation (Go versions escape a few control characters differently).
            let parsed = try? JSONSerialization.jsonObject(with: Data(go.utf8), options: [.fragmentsAllowed])
            return Typed.text(parsed) != Typed.text(Typed.from(specsync, droppingNulls: droppingNulls))
        }
        if differ(after.map, read, droppingNulls: false) {
            found.append("\(path): yaml.v3 map \(after.map)\n  specsync read \(Typed.goJSON(read))")
        }
        if differ(after.structure, read, droppingNulls: true) {
            found.append("\(path): yaml.v3 struct \(after.structure)\n  specsync read \(Typed.goJSON(read, droppingNulls: true))")
        }
        if before.error == nil, before.map != after.map {
            found.append("\(path): yaml.v3 read the input as \(before.map)\n  and specsync's output as \(after.map)")
        }
        return found
    }

    private func specFiles(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".yaml") { found.append(directory + "/" + relative) }
        }
        return found.sorted()
    }
}

/// A project directory for tens of thousands of files: on tmpfs (/dev/shm) when there is one, because
/// creating and deleting that many inodes on a disk mounted with `discard` takes a minute (the round trip
/// is about data, not durability); removed with rm -rf.
final class Scratch {
    let root: String
    var specs: String { root + "/.tandemonium/specs" }

    init() throws {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : FileManager.default.currentDirectoryPath + "/.build/test-scratch"
        root = base + "/specsync-interop-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: specs, withIntermediateDirectories: true)
    }

    deinit { _ = try? CLI.run(["-rf", root], cwd: "/", executable: "/bin/rm") }
}
