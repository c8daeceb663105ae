import SpecSyncCore
import SpecSyncSchema
import XCTest
import SpecSyncSchemaTestSupport

/// The pure three-way merge (`SpecMerge`) and the line merge that writes conflict markers.
final class SpecMergeTests: XCTestCase {
    private func merge(_ base: String, _ ours: String, _ theirs: String) throws -> SpecMerge.Outcome {
        SpecMerge.merge(base: Array(base.utf8), ours: Array(ours.utf8), theirs: Array(theirs.utf8),
                        processor: SpecProcessor(validator: try shippedSchema()))
    }

    private func merged(_ outcome: SpecMerge.Outcome, file: StaticString = #filePath, line: UInt = #line) -> String? {
        guard case .merged(let bytes) = outcome else { XCTFail("not merged: \(outcome)", file: file, line: line); return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    func testAmbiguousAndQuotedSpellingsOfOneHashAreTheSameValue() throws {
        let base = "id: T-1\ntitle: A\nuser_story:\n  text: s\n  hash: \"1234abcd\"\n"
        // Both set the hash: Coldwine writes it plain (a float to YAML 1.2), specsync quoted.
        let ours = base.replacingOccurrences(of: "\"1234abcd\"", with: "5239e568")
        let theirs = base.replacingOccurrences(of: "\"1234abcd\"", with: "\"5239e568\"") + "priority: 3\n"
        XCTAssertEqual(merged(try merge(base, ours, theirs)),
                       "id: T-1\ntitle: A\nuser_story:\n  text: s\n  hash: \"5239e568\"\npriority: 3\n")
    }

    func testListsWithIdentitiesMergeItemByItem() throws {
        let base = """
            id: T-1
            title: A
            acceptance_criteria:
              - id: ac-1
                description: one
              - id: ac-2
                description: two
            files_to_modify:
              - src/a.py

            """
        // Ours edits ac-1 and adds ac-3; theirs edits ac-2, adds ac-4 and turns a path into a mapping.
        let ours = base.replacingOccurrences(of: "description: one", with: "description: uno")
            .replacingOccurrences(of: "files_to_modify:", with: "  - id: ac-3\n    description: three\nfiles_to_modify:")
        let theirs = base.replacingOccurrences(of: "description: two", with: "description: dos")
            .replacingOccurrences(of: "files_to_modify:", with: "  - id: ac-4\n    description: four\nfiles_to_modify:")
            .replacingOccurrences(of: "  - src/a.py", with: "  - path: src/a.py\n    action: modify")
        XCTAssertEqual(merged(try merge(base, ours, theirs)), """
            id: T-1
            title: A
            acceptance_criteria:
              - id: ac-1
                description: uno
              - id: ac-2
                description: dos
              - id: ac-3
                description: three
              - id: ac-4
                description: four
            files_to_modify:
              - action: modify
                path: src/a.py

            """)
    }

    func testListsWithoutIdentitiesMergeAsAWhole() throws {
        let base = "id: T-1\ntitle: A\nnumbers:\n  - 1\n  - 2\n"
        let ours = base + "  - 3\n"
        let theirs = base + "  - 4\n"
        guard case .conflicted(_, let conflicts, _) = try merge(base, ours, theirs) else { return XCTFail() }
        XCTAssertEqual(conflicts.map(\.description), ["/numbers: changed differently on both sides"])
        // One side only: that side's list.
        XCTAssertEqual(merged(try merge(base, ours, base)), ours)
    }

    func testCommentsFromBothSidesSurviveWhereTheirNodeSurvives() throws {
        let base = "id: T-1\ntitle: A\nstatus: ready\npriority: 2\nrequirements:\n  - one\n"
        let ours = "# file comment\nid: T-1\ntitle: A  # short\n# ours above status\nstatus: ready\npriority: 2\nrequirements:\n  - one  # first\n"
        let theirs = "id: T-1\ntitle: A  # theirs\n# theirs above status\nstatus: done\n# gone with its key\npriority: 2\nrequirements:\n  - one\n  - two  # second\n"
            .replacingOccurrences(of: "# gone with its key\npriority: 2\n", with: "")
        XCTAssertEqual(merged(try merge(base, ours, theirs)), """
            # file comment
            id: T-1
            # theirs
            title: A  # short
            # ours above status
            # theirs above status
            status: done
            requirements:
              - one  # first
              - two  # second

            """)
    }

    /// Both branches added the file: git passes an empty base.
    func testBothAddedTheSpec() throws {
        XCTAssertEqual(merged(try merge("", "id: T-1\ntitle: A\nstatus: done\n", "id: T-1\ntitle: A\npriority: 2\n")),
                       "id: T-1\ntitle: A\nstatus: done\npriority: 2\n")
        guard case .conflicted(let bytes, let conflicts, _) = try merge("", "id: T-1\ntitle: A\n", "id: T-1\ntitle: B\n") else { return XCTFail() }
        XCTAssertEqual(conflicts.map(\.description), ["/title: added differently on both sides"])
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                       "id: T-1\n<<<<<<< ours\ntitle: A\n||||||| base\n=======\ntitle: B\n>>>>>>> theirs\n")
    }

    func testUnreadableSidesAreNamed() throws {
        let good = "id: T-1\ntitle: A\n"
        guard case .unreadable(.theirs, let diagnostics) = try merge(good, good, "id: [\n") else { return XCTFail() }
        XCTAssertFalse(diagnostics.isEmpty)
        guard case .unreadable(.ours, let markers) = try merge(good, "<<<<<<< ours\n" + good, good) else { return XCTFail() }
        XCTAssertEqual(markers.first?.kind, .conflictMarker)
        guard case .unreadable(.base, _) = try merge("a: 1\na: 2\n", good, good) else { return XCTFail("duplicate keys") }
    }

    func testLineMergeMarksOnlyTheChangedRegions() {
        let base = "a\nb\nc\nd\ne\n"
        let ours = "a\nB\nc\nd\ne\n"
        let theirs = "a\nb\nc\nd\nE\n"
        let clean = ConflictMarkers.merge(base: base, ours: ours, theirs: theirs, everyChangeConflicts: false)
        XCTAssertEqual(clean.text, "a\nB\nc\nd\nE\n")
        XCTAssertEqual(clean.conflicts, 0)
        let strict = ConflictMarkers.merge(base: base, ours: "a\nB\nc\nd\ne\n", theirs: "a\nX\nc\nd\ne\n", everyChangeConflicts: true)
        XCTAssertEqual(strict.text, "a\n<<<<<<< ours\nB\n||||||| base\nb\n=======\nX\n>>>>>>> theirs\nc\nd\ne\n")
        XCTAssertEqual(strict.conflicts, 1)
    }

    func testMarkersAreFoundOnlyAsGitWritesThem() {
        let text = "<<<<<<< ours\na: 1\n|||||||\n=======\n>>>>>>> theirs\n<<<<<<<< eight\n======= x\n  <<<<<<< indented\n<<<<<<<x\n"
        XCTAssertEqual(ConflictMarkers.find(in: Array(text.utf8)).map(\.line), [1, 3, 4, 5])
    }
}
