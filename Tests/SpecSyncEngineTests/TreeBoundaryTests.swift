import Foundation
import XCTest
@testable import SpecSyncEngine

/// The one outside-the-tree rule the watcher, fmt, check --fix and write share.
final class TreeBoundaryTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = (NSTemporaryDirectory() as NSString).resolvingSymlinksInPath + "/boundary-" + UUID().uuidString.prefix(8)
        for dir in ["tree/sub", "outside"] {
            try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
        for file in ["tree/sub/in.yaml", "outside/out.yaml"] {
            FileManager.default.createFile(atPath: root + "/" + file, contents: Data("id: x\n".utf8))
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func testTheRule() throws {
        let tree = root + "/tree"
        XCTAssertEqual(symlink("sub/in.yaml", tree + "/alias.yaml"), 0)
        XCTAssertEqual(symlink("../outside/out.yaml", tree + "/out.yaml"), 0)
        XCTAssertEqual(symlink("../outside", tree + "/outdir"), 0)
        XCTAssertEqual(symlink("../outside/nothing.yaml", tree + "/dangling.yaml"), 0)

        XCTAssertNil(TreeBoundary.outside(tree + "/sub/in.yaml", tree: tree))
        XCTAssertNil(TreeBoundary.outside(tree + "/alias.yaml", tree: tree), "an in-tree link")
        XCTAssertEqual(TreeBoundary.outside(tree + "/out.yaml", tree: tree), root + "/outside/out.yaml")
        XCTAssertEqual(TreeBoundary.outside(tree + "/outdir/out.yaml", tree: tree), root + "/outside/out.yaml",
                       "through a symlinked directory")
        XCTAssertNotNil(TreeBoundary.outside(tree + "/dangling.yaml", tree: tree), "a dangling link could create a file anywhere")
        // A file renamed away between the read and the write (a rename-based save) is judged by its
        // directory: no "outside the tree" warning for it (the watcher used to log one).
        XCTAssertNil(TreeBoundary.outside(tree + "/sub/renamed-away.yaml", tree: tree))
        // The tree given through a symlink is the same tree.
        XCTAssertEqual(symlink("tree", root + "/tree-link"), 0)
        XCTAssertNil(TreeBoundary.outside(root + "/tree-link/sub/in.yaml", tree: root + "/tree-link"))
        XCTAssertNil(TreeBoundary.outside(tree + "/sub/in.yaml", tree: root + "/tree-link"))
        // A sibling whose name starts like the tree's is not inside it.
        try FileManager.default.createDirectory(atPath: root + "/tree2", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/tree2/x.yaml", contents: Data())
        XCTAssertEqual(symlink("../tree2/x.yaml", tree + "/sibling.yaml"), 0)
        XCTAssertEqual(TreeBoundary.outside(tree + "/sibling.yaml", tree: tree), root + "/tree2/x.yaml")
    }
}
