import Foundation
import XCTest

/// `specsync watch` on a spec that the Go client keeps saving the way Coldwine does: with its lock and
/// an atomic rename (review.go's path), or in place without lock or temp (the `task` command's path).
/// The client's saves use Coldwine's statuses (pending, in_progress, completed, blocked) and its story
/// hashes (8 hex digits from SHA-256, written unquoted by yaml.v3 whenever yaml.v3 reads them back as strings).
final class WatchInteropTests: XCTestCase {
    static let initial = "id: WATCH-001\ntitle: Followed by the watcher\nstatus: ready\n"

    func testWatcherFollows300ColdwineSavesAndEndsQuietAndCanonical() throws {
        let saves = 300
        let run = try runClient("edits", saves: saves, seed: 7)
        let (project, spec, daemon, events, versions, saved) = (run.project, run.spec, run.daemon, run.events, run.versions, run.saved)
        let lastSave = Typed.text(saved.last?["data"])
        try assertFinal(spec, equals: lastSave, project: project)

        // At most one rewrite per save, nothing invalid, and quiet afterwards.
        let path = daemon.root + "/WATCH-001.yaml"
        let mine = events.filter { $0.path == path }
        let normalized = mine.filter { $0.action == "normalized" }.count
        XCTAssertGreaterThan(normalized, 0, "the watcher never rewrote a Coldwine save: \(actions(mine))")
        XCTAssertLessThanOrEqual(normalized, saves, "more rewrites than saves (ping-pong?)")
        XCTAssertEqual(mine.filter { !["normalized", "unchanged"].contains($0.action) }.map(\.raw), [],
                       "events other than normalized/unchanged")
        try assertQuiet(daemon, path: path, spec: spec)

        // Never an older version: the versions seen carry the save number, which only grows.
        XCTAssertGreaterThan(versions.count, saves / 3, "the sampler saw too few versions to mean anything")
        var previous = 0
        for (index, version) in versions.enumerated() {
            XCTAssertTrue(version.parsed, "version \(index) is torn or unparsable: \(version.error ?? "")\n\(version.content)")
            let seq = Self.seq(version.data)
            XCTAssertGreaterThanOrEqual(seq, previous, "version \(index) restored save \(seq) after save \(previous):\n\(version.content)")
            previous = max(previous, seq)
        }
        XCTAssertEqual(previous, saves, "the last version seen is not the last save")
        print("watch + \(saves) Coldwine saves: \(normalized) rewrites, \(mine.count) events, \(versions.count) versions sampled")
    }

    func testWatcherNeverRewritesAHalfWrittenInPlaceSave() throws {
        let saves = 150
        // Truncate, write the first half (cut at a line: a well-formed, valid but incomplete spec), pause up
        // to 25 ms, write the rest, close; 0-100 ms between saves. No lock, no temp.
        let run = try runClient("inplace", saves: saves, seed: 11)
        let (project, spec, daemon, events, versions, saved) = (run.project, run.spec, run.daemon, run.events, run.versions, run.saved)
        let contents = saved.compactMap { $0["content"] as? String }
        let completeData = Set(saved.map { Typed.text($0["data"]) })
        try assertFinal(spec, equals: Typed.text(saved.last?["data"]), project: project)

        // Every version seen is the client's own bytes (complete, or a save in progress) or a version
        // specsync wrote; what specsync wrote must hold the data of a complete save, never of a truncated one.
        var written = 0, partial = 0
        for (index, version) in versions.enumerated() {
            if version.content == Self.initial || contents.contains(version.content) { continue }
            if contents.contains(where: { $0.hasPrefix(version.content) }) {
                partial += 1
                continue
            }
            written += 1
            XCTAssertTrue(version.parsed, "version \(index), not the client's, is unparsable: \(version.error ?? "")\n\(version.content)")
            XCTAssertTrue(completeData.contains(Typed.text(version.data)),
                          "version \(index) was written by specsync from a half-written save (its data is no complete save):\n\(version.content)")
        }

        XCTAssertGreaterThan(partial, 0, "the sampler never saw a half-written save: the scenario did not happen")

        let path = daemon.root + "/WATCH-001.yaml"
        let mine = events.filter { $0.path == path }
        let normalized = mine.filter { $0.action == "normalized" }.count
        XCTAssertGreaterThan(normalized, 0, "the watcher never rewrote an in-place save: \(actions(mine))")
        XCTAssertLessThanOrEqual(normalized, saves, "more rewrites than saves")
        try assertQuiet(daemon, path: path, spec: spec)
        print("watch + \(saves) in-place saves: \(normalized) rewrites, \(mine.count) events, \(versions.count) versions sampled "
              + "(\(partial) half-written, \(written) written by specsync)")
    }

    // MARK: - Helpers

    /// What one run of the Go client against a watched spec left: its saves (JSON lines), the watcher's
    /// events once quiet, and the versions a sampler saw on disk meanwhile.
    private struct ClientRun {
        let project: Project
        let spec: String
        let daemon: WatchDaemon
        let events: [WatchEventLine]
        let versions: [Sampler.Version]
        let saved: [[String: Any]]
    }

    /// Starts the watcher on a project with one spec, runs the Go client's `mode` (`edits`: Coldwine's
    /// locked atomic saves; `inplace`: the `task` command's unlocked in-place writes) over it with 0-100 ms
    /// between saves, and waits for the client to finish and the watcher to go quiet.
    private func runClient(_ mode: String, saves: Int, seed: Int, file: StaticString = #filePath, line: UInt = #line) throws -> ClientRun {
        _ = try GoClient.require()
        let project = try Project()
        let spec = project.specs + "/WATCH-001.yaml"
        try project.write(".tandemonium/specs/WATCH-001.yaml", Self.initial)
        let daemon = try WatchDaemon(project)
        let sampler = try Sampler(spec, scratch: project.root)
        let client = try GoClient.start([mode, spec, "\(saves)", "100", "\(seed)"], stdout: project.root + "/\(mode).jsonl",
                                        stderr: project.root + "/\(mode).stderr")
        defer { if client.isRunning { client.terminate() } }
        try waitUntil("the Go client's \(saves) \(mode) saves", timeout: 120) { !client.isRunning }
        XCTAssertEqual(client.terminationStatus, 0, fileText(project.root + "/\(mode).stderr") ?? "", file: file, line: line)
        let events = try daemon.quiesce(timeout: 30)
        let versions = try sampler.stop()
        let saved = try jsonLines(project.root + "/\(mode).jsonl")
        XCTAssertEqual(saved.count, saves, "saves reported by the client", file: file, line: line)
        return ClientRun(project: project, spec: spec, daemon: daemon, events: events, versions: versions, saved: saved)
    }

    /// The final file holds the client's last save (as yaml.v3 and as specsync read it) and passes `check`.
    private func assertFinal(_ spec: String, equals lastSave: String, project: Project,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let goView = try XCTUnwrap(try GoClient.roundTrip([spec])[spec], file: file, line: line)
        XCTAssertNil(goView.error, "yaml.v3 cannot load the final file", file: file, line: line)
        let goData = try? JSONSerialization.jsonObject(with: Data(goView.map.utf8))
        XCTAssertEqual(Typed.text(goData), lastSave, "final data (yaml.v3) is not the last save", file: file, line: line)
        let specsyncView = try XCTUnwrap(Typed.specsyncData(file: spec), "final file unreadable", file: file, line: line)
        XCTAssertEqual(Typed.text(Typed.from(specsyncView)), lastSave, "final data (specsync) is not the last save",
                       file: file, line: line)
        let check = try CLI.run(["check", spec], cwd: project.root)
        XCTAssertEqual(check.status, 0, "final file not valid and canonical:\n\(check.stdout)\(check.stderr)\n\(fileText(spec) ?? "")",
                       file: file, line: line)
    }

    /// Nothing more happens to the spec: one more cookie goes through, no event for it, same inode and times.
    private func assertQuiet(_ daemon: WatchDaemon, path: String, spec: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let before = daemon.events(for: path).count
        let identity = try Inode(spec)
        try daemon.cookie()
        XCTAssertEqual(daemon.events(for: path).count, before, "events after the saves ended: not quiet", file: file, line: line)
        XCTAssertEqual(try Inode(spec), identity, "the spec changed after the saves ended", file: file, line: line)
    }

    private func actions(_ events: [WatchEventLine]) -> String {
        Dictionary(grouping: events, by: \.action).map { "\($0.key): \($0.value.count)" }.sorted().joined(separator: ", ")
            + (events.first { $0.action == "invalid" }.map { "; first invalid: \($0.raw)" } ?? "")
    }

    private static func seq(_ data: Any?) -> Int {
        guard let object = data as? [String: Any], let tagged = object["seq"] as? String, tagged.hasPrefix("i:") else { return 0 }
        return Int(tagged.dropFirst(2)) ?? 0
    }
}
