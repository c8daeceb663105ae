import Foundation
import XCTest
import SpecSyncCore
@testable import SpecSyncEngine
import SpecSyncStore
import SpecSyncSys
import SpecSyncSysTestSupport

/// `fmt` against an editor that ignores our lock and saves between our read and our write.
final class ReconcileRaceTests: XCTestCase {
    override func tearDown() {
        SysFaults.setBeforeCall(nil)
        SysFaults.reset()
        super.tearDown()
    }

    private func makeEngine(_ dir: String) throws -> Engine {
        var configuration = try Configuration.load(from: dir)
        configuration.specsDirectory = dir
        return try Engine(configuration: configuration)
    }

    private func scratch() throws -> String {
        let dir = FileManager.default.currentDirectoryPath + "/.build/test-scratch/race-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// The editor's save lands after we read but before our exchange: we must not overwrite it, and the
    /// file must end as the canonical form of the editor's version.
    func testEditorSaveBetweenReadAndWriteWins() throws {
        try XCTSkipUnless(SysFaults.isAvailable, "fault hooks exist in debug builds only")
        let dir = try scratch()
        let path = dir + "/TAND-7.yaml"
        try "title: Old\nid: TAND-7\n".write(toFile: path, atomically: false, encoding: .utf8)
        let engine = try makeEngine(dir)
        final class Once: @unchecked Sendable { var fired = false }
        let once = Once()
        SysFaults.setBeforeCall { call, target in
            // Just before our first exchange: an editor renames its new version into place.
            guard call == .renameat2 || call == .rename, !once.fired, target?.hasSuffix("TAND-7.yaml") == true else { return }
            once.fired = true
            let temp = dir + "/editor-save.tmp"
            FileManager.default.createFile(atPath: temp, contents: Data("title: New from editor\nid: TAND-7\n".utf8))
            _ = rename(temp, path)
        }
        let result = engine.reconcile(path, mode: .fix)
        XCTAssertTrue(once.fired, "the race window was never reached")
        XCTAssertEqual(result.action, .normalized)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "id: TAND-7\ntitle: New from editor\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".specsync-tmp-") }
        XCTAssertEqual(leftovers, [])
    }
}

/// The batched `fmt` of many files against an editor that saves one of them between our read under the
/// lock and our write: the editor's save is kept and then normalized, never overwritten by older content.
final class BatchReconcileRaceTests: XCTestCase {
    override func tearDown() {
        SysFaults.setBeforeCall(nil)
        SysFaults.reset()
        super.tearDown()
    }

    func testEditorSaveDuringABatchWins() throws {
        try XCTSkipUnless(SysFaults.isAvailable, "fault hooks exist in debug builds only")
        let dir = FileManager.default.currentDirectoryPath + "/.build/test-scratch/batchrace-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var paths: [String] = []
        for i in 0..<20 {
            let path = dir + "/T-\(i).yaml"
            try "title: Old \(i)\nid: T-\(i)\n".write(toFile: path, atomically: false, encoding: .utf8)
            paths.append(path)
        }
        var configuration = try Configuration.load(from: dir)
        configuration.specsDirectory = dir
        let engine = try Engine(configuration: configuration)
        final class Once: @unchecked Sendable { var fired = false }
        let once = Once()
        let victim = dir + "/T-7.yaml"
        SysFaults.setBeforeCall { call, target in
            // Just before the batch swaps T-7 in: an editor renames its new version into place.
            guard call == .renameat2 || call == .rename, !once.fired, target?.hasSuffix("/T-7.yaml") == true else { return }
            once.fired = true
            let temp = dir + "/editor.tmp"
            FileManager.default.createFile(atPath: temp, contents: Data("title: Saved by the editor\nid: T-7\n".utf8))
            _ = rename(temp, victim)
        }
        let results = engine.reconcile(paths, mode: .fix)
        XCTAssertTrue(once.fired, "the race window was never reached")
        XCTAssertEqual(results.filter { $0.action == .normalized }.count, 20, "\(results.map(\.action))")
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "id: T-7\ntitle: Saved by the editor\n")
        XCTAssertEqual(try String(contentsOfFile: dir + "/T-3.yaml", encoding: .utf8), "id: T-3\ntitle: Old 3\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix(".specsync-tmp-") }
        XCTAssertEqual(leftovers, [])
    }
}
