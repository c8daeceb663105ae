import Foundation
import XCTest

/// Many files settling together (a tree copied in) go through the batched path — one durability
/// barrier per chunk — with the single-file path's guarantees: one rewrite per save and then quiet (own
/// writes recognized), invalid files untouched, and a save landing while the batch works never lost.
final class WatchBurstTests: XCTestCase {
    /// A tree of messy, canonical and invalid specs, outside the watched directory.
    private func makeTree(_ p: Project, files: Int, folders: Int) throws -> (source: String, names: [String]) {
        let source = p.root + "/incoming"
        var names: [String] = []
        for i in 0..<files {
            let folder = "f\(i % folders)"
            try FileManager.default.createDirectory(atPath: source + "/" + folder, withIntermediateDirectories: true)
            let name = "\(folder)/B-\(i).yaml"
            try Save.inPlace(source + "/" + name, content(i, "copied"))
            names.append(name)
        }
        return (source, names)
    }

    private enum Kind { case messy, canonical, invalid }
    private func kind(_ i: Int) -> Kind { i % 10 == 3 ? .invalid : (i % 10 == 7 ? .canonical : .messy) }

    private func content(_ i: Int, _ title: String) -> String {
        switch kind(i) {
        case .messy: return messySpec("B-\(i)", "\(title) \(i)")
        case .canonical: return canonicalForm("B-\(i)", "\(title) \(i)")
        case .invalid: return "title: \(title) \(i)\nid: B-\(i)\nstatus: wip\n"
        }
    }

    private func expected(_ i: Int, _ title: String) -> String {
        kind(i) == .invalid ? content(i, title) : canonicalForm("B-\(i)", "\(title) \(i)")
    }

    func testATreeCopiedInIsCommittedInBatchesOneRewriteEachThenQuiet() throws {
        let p = try Project()
        let (source, names) = try makeTree(p, files: 600, folders: 6)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off", "--log-level", "debug"])
        let target = daemon.root + "/copied"
        try FileManager.default.copyItem(atPath: source, toPath: target)

        for (i, name) in names.enumerated() where kind(i) == .messy {
            try daemon.waitForContent(target + "/" + name, expected(i, "copied"), timeout: 60)
        }
        let events = try daemon.quiesce(timeout: 60)
        XCTAssertTrue(daemon.log.contains("settled together; committing them in batches"),
                      "the batched path was not used; log:\n\(daemon.log.suffix(2000))")
        for (i, name) in names.enumerated() {
            let path = target + "/" + name
            let actions = daemon.events(for: path).map(\.action)
            switch kind(i) {
            case .messy: XCTAssertEqual(actions, ["normalized"], "one rewrite, and its own events ignored: \(name)")
            case .canonical: XCTAssertEqual(actions, ["unchanged"], name)
            case .invalid: XCTAssertEqual(actions, ["invalid"], name)
            }
            XCTAssertEqual(fileText(path), expected(i, "copied"), "invalid and canonical files untouched: \(name)")
        }
        XCTAssertEqual(events.count, names.count, "nothing else reported")
        XCTAssertFalse(daemon.log.contains(" error "), String(daemon.log.suffix(2000)))
        XCTAssertEqual(try daemon.stop(), 0)
        XCTAssertEqual(temporaries(under: p.root), [], "after the stop, no displaced version is kept")
    }

    /// While the copied tree is being committed, every file is saved again (renamed into place or
    /// written in place, no lock): each must end as the canonical form of that newer save.
    func testSavesLandingWhileABurstIsCommittedAreNeverLost() throws {
        let p = try Project()
        let (source, names) = try makeTree(p, files: 800, folders: 8)
        let daemon = try WatchDaemon(p, arguments: ["--startup", "off", "--log-level", "debug"])
        let target = daemon.root + "/copied"
        try FileManager.default.copyItem(atPath: source, toPath: target)
        // Start saving once the batched path is at work, in the order it commits the files.
        try daemon.waitForLog("settled together; committing them in batches", timeout: 60)
        for (i, name) in names.enumerated() {
            let path = target + "/" + name
            if i % 2 == 0 {
                try Save.renameIntoPlace(path, content(i, "newer"))
            } else {
                try Save.inPlace(path, content(i, "newer"))
            }
        }
        func lost() -> [String] {
            names.enumerated().compactMap { i, name in
                fileText(target + "/" + name) == expected(i, "newer") ? nil : name
            }
        }
        _ = try? waitUntil("every file to hold its newer save", timeout: 60) { lost().isEmpty }
        _ = try daemon.quiesce(timeout: 60)
        let first = lost().first.map { name in
            "; \(name) holds \(fileText(target + "/" + name)?.debugDescription ?? "nothing"), log:\n"
                + daemon.log.split(separator: "\n").filter { $0.contains("/" + name) }.joined(separator: "\n")
        } ?? ""
        XCTAssertEqual(Array(lost().prefix(5)), [], "\(lost().count) of \(names.count) newer saves lost\(first)")
        let conflicts = daemon.log.components(separatedBy: "changed while being normalized").count - 1
        print("burst race: \(names.count) saves during the burst, \(conflicts) met under the lock or in the exchange")
        XCTAssertGreaterThan(conflicts, 0, "no save landed while the batch was at work: the race was not run")
        XCTAssertFalse(daemon.log.contains(" error "), String(daemon.log.suffix(2000)))
        XCTAssertEqual(try daemon.stop(), 0)
        XCTAssertEqual(temporaries(under: p.root), [], "after the stop, no displaced version is kept")
    }
}
