import Foundation
import SpecSyncSys
import SpecSyncSysTestSupport
import Synchronization
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
        try checkTheRule { path, tree in TreeBoundary.outside(path, tree: tree) }
    }

    /// A judge shared by many files (fmt, a watcher batch) resolves each directory once: same answers.
    func testTheRuleWithOneJudgePerTree() throws {
        var judges: [String: TreeBoundary.Judge] = [:]
        try checkTheRule { path, tree in
            let judge = judges[tree] ?? TreeBoundary.Judge(tree: tree)
            judges[tree] = judge
            return judge.outside(path)
        }
    }

    /// The point of the judge: no resolution per file (a readlink per path component each), one per
    /// directory. Fails if the directory cache is bypassed.
    func testAJudgeResolvesEachDirectoryOnce() throws {
        try XCTSkipUnless(SysFaults.isAvailable, "fault injection exists only in debug builds")
        let tree = root + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/other", withIntermediateDirectories: true)
        let paths = (0..<40).map { tree + ($0 % 2 == 0 ? "/sub" : "/other") + "/f\($0).yaml" }
        for path in paths { FileManager.default.createFile(atPath: path, contents: Data("id: x\n".utf8)) }
        let realpaths = Mutex(0)
        let scratch = root
        SysFaults.setBeforeCall { call, path in
            if call == .realpath, path?.hasPrefix(scratch) == true { realpaths.withLock { $0 += 1 } }
        }
        defer { SysFaults.setBeforeCall(nil) }
        let judge = TreeBoundary.Judge(tree: tree)
        for path in paths { XCTAssertNil(judge.outside(path), path) }
        XCTAssertEqual(realpaths.withLock { $0 }, 3, "the tree and its two directories, once each")
    }

    /// A path is absolute by its first byte: "/" followed by a combining mark is one Character, and the
    /// Character tests took such a path for a relative one (resolving it against nothing, and an
    /// absolute symlink target in a commit for one inside the work tree).
    func testAPathIsAbsoluteByItsFirstByte() {
        let path = "/\u{301}x/y"
        XCTAssertTrue(PathNames.isAbsolute(path))
        XCTAssertEqual(PathNames.components(path), ["/", "\u{301}x", "y"])
        XCTAssertEqual(PathNames.resolvingSymlinks(path), path)
        XCTAssertNil(StagedFiles.inside(link: "specs/l.yaml", target: "/\u{301}etc/v.yaml"))
        XCTAssertEqual(StagedFiles.inside(link: "specs/l.yaml", target: "\u{301}d/v.yaml"), "specs/\u{301}d/v.yaml")
        XCTAssertEqual(PathNames.relative("/r/\u{E9}/v", to: "/r/\u{E9}"), "v")
        XCTAssertNil(PathNames.relative("/r/e\u{301}/v", to: "/r/\u{E9}"), "a sibling spelled alike is not inside")
    }

    private func checkTheRule(_ outside: (_ path: String, _ tree: String) -> String?) throws {
        let tree = root + "/tree"
        XCTAssertEqual(symlink("sub/in.yaml", tree + "/alias.yaml"), 0)
        XCTAssertEqual(symlink("../outside/out.yaml", tree + "/out.yaml"), 0)
        XCTAssertEqual(symlink("../outside", tree + "/outdir"), 0)
        XCTAssertEqual(symlink("../outside/nothing.yaml", tree + "/dangling.yaml"), 0)

        XCTAssertNil(outside(tree + "/sub/in.yaml", tree))
        XCTAssertNil(outside(tree + "/alias.yaml", tree), "an in-tree link")
        XCTAssertEqual(outside(tree + "/out.yaml", tree), root + "/outside/out.yaml")
        XCTAssertEqual(outside(tree + "/outdir/out.yaml", tree), root + "/outside/out.yaml",
                       "through a symlinked directory")
        XCTAssertNotNil(outside(tree + "/dangling.yaml", tree), "a dangling link could create a file anywhere")
        XCTAssertEqual(symlink(tree + "/sub/not-yet.yaml", tree + "/dangling-in.yaml"), 0)
        XCTAssertEqual(outside(tree + "/dangling-in.yaml", tree), tree + "/sub/not-yet.yaml",
                       "even one whose target would be in the tree: it is not there to judge")
        // A file renamed away between the read and the write (a rename-based save) is judged by its
        // directory: no "outside the tree" warning for it (the watcher used to log one).
        XCTAssertNil(outside(tree + "/sub/renamed-away.yaml", tree))
        // The tree given through a symlink is the same tree.
        XCTAssertEqual(symlink("tree", root + "/tree-link"), 0)
        XCTAssertNil(outside(root + "/tree-link/sub/in.yaml", root + "/tree-link"))
        XCTAssertNil(outside(tree + "/sub/in.yaml", root + "/tree-link"))
        // A sibling whose name starts like the tree's is not inside it.
        try FileManager.default.createDirectory(atPath: root + "/tree2", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/tree2/x.yaml", contents: Data())
        XCTAssertEqual(symlink("../tree2/x.yaml", tree + "/sibling.yaml"), 0)
        XCTAssertEqual(outside(tree + "/sibling.yaml", tree), root + "/tree2/x.yaml")
    }
}
