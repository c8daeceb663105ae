import Foundation
import XCTest
@testable import SpecSyncEngine

/// A check that shows no diff keeps the verdicts, not the files: results without their bytes.
final class ReconcileContentsTests: XCTestCase {
    func testACheckWithoutContentsKeepsEveryVerdict() throws {
        let dir = FileManager.default.currentDirectoryPath + "/.build/test-scratch/contents-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try "id: T-1\ntitle: Fine\n".write(toFile: dir + "/T-1.yaml", atomically: false, encoding: .utf8)
        try "title: 'Messy'\nid: T-2\n".write(toFile: dir + "/T-2.yaml", atomically: false, encoding: .utf8)
        try "id: T-3\n".write(toFile: dir + "/T-3.yaml", atomically: false, encoding: .utf8)
        var configuration = try Configuration.load(from: dir)
        configuration.specsDirectory = dir
        let engine = try Engine(configuration: configuration)
        let paths = ["T-1", "T-2", "T-3"].map { dir + "/\($0).yaml" }

        let kept = engine.reconcile(paths, mode: .check)
        let dropped = engine.reconcile(paths, mode: .check, keepingContents: false)
        XCTAssertEqual(dropped.map(\.action), [.unchanged, .notCanonical, .invalid])
        XCTAssertEqual(dropped.map(\.action), kept.map(\.action))
        XCTAssertEqual(dropped.map(\.wasCanonical), kept.map(\.wasCanonical))
        XCTAssertEqual(dropped.map(\.diagnostics), kept.map(\.diagnostics))
        XCTAssertTrue(dropped.allSatisfy { $0.original == nil && $0.canonical == nil })
        XCTAssertNotNil(kept[1].canonical, "kept by default (check --diff shows them)")

        // fmt: the file to write keeps its bytes until written, then none are kept either.
        let fixed = engine.reconcile(paths, mode: .fix, keepingContents: false)
        XCTAssertEqual(fixed.map(\.action), [.unchanged, .normalized, .invalid])
        XCTAssertTrue(fixed.allSatisfy { $0.original == nil && $0.canonical == nil })
        XCTAssertEqual(try String(contentsOfFile: paths[1], encoding: .utf8), "id: T-2\ntitle: Messy\n")
    }

    /// A run of many files is spread over one processor (one compiled schema) per core: every verdict
    /// is the one the engine's own processor gives for that file alone, in input order.
    func testAManyFileRunGivesEachFileItsOwnVerdict() throws {
        let dir = FileManager.default.currentDirectoryPath + "/.build/test-scratch/workers-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        var paths: [String] = []
        for i in 0..<600 {
            let text: String
            switch i % 3 {
            case 0: text = "id: T-\(i)\ntitle: Fine \(i)\n"
            case 1: text = "title: 'Messy \(i)'\nid: T-\(i)\n"
            default: text = "id: T-\(i)\ntitle: [not, a, string]\n"
            }
            let path = dir + "/T-\(i).yaml"
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            paths.append(path)
        }
        var configuration = try Configuration.load(from: dir)
        configuration.specsDirectory = dir
        let engine = try Engine(configuration: configuration)
        let results = engine.reconcile(paths, mode: .check)
        XCTAssertEqual(results.map(\.path), paths)
        for (path, result) in zip(paths, results) {
            let alone = engine.evaluate(path: path, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            XCTAssertEqual(result.action, alone.action, path)
            XCTAssertEqual(result.diagnostics, alone.diagnostics, path)
        }
        XCTAssertEqual(results.map(\.action).filter { $0 == .invalid }.count, 200)
        XCTAssertEqual(results.map(\.action).filter { $0 == .notCanonical }.count, 200)
    }
}
