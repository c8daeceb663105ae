// The block scanner against libyaml: wherever the scanner accepts an input, its events (kinds, marks,
// styles, values) must be exactly libyaml's, since the tree builder, the comment layer and every
// diagnostic position read them. Checked on every input the suite has, on generated specs, on
// thousands of mutations of them, and on hand-written cases at the edges of the subset; and it must
// accept what specs and our own output look like, or it does no good.
import Foundation
import XCTest
@testable import SpecSyncCore
import SpecSyncSchemaTestSupport

final class BlockScannerTests: XCTestCase {
    /// Nil when the scanner leaves `bytes` to libyaml; otherwise whether the two agree.
    private func mismatch(_ bytes: [UInt8]) -> String?? {
        guard let ours = BlockScanner.valuedEvents(bytes) else { return .none }
        guard let reference = BlockScanner.libyamlValuedEvents(bytes) else {
            return .some("libyaml rejects an input the scanner accepted")
        }
        guard ours != reference else { return .some(nil) }
        let first = zip(ours, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, reference.count)
        let show = { (events: [ValuedEvent]) in
            events[max(0, first - 2)..<min(events.count, first + 3)].map(\.description).joined(separator: "\n  ")
        }
        return .some("events differ at #\(first):\n ours:\n  \(show(ours))\n libyaml:\n  \(show(reference))")
    }

    private func assertAgrees(_ text: String, accepted: Bool, file: StaticString = #filePath, line: UInt = #line) {
        switch mismatch(Array(text.utf8)) {
        case .none:
            XCTAssertFalse(accepted, "the scanner left this to libyaml:\n\(text)", file: file, line: line)
        case .some(nil):
            XCTAssertTrue(accepted, "the scanner read this (and agreed with libyaml), but it should leave it to libyaml:\n\(text)",
                          file: file, line: line)
        case .some(let problem?):
            XCTFail("\(problem)\ninput:\n\(text)", file: file, line: line)
        }
    }

    private static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    private static func corpus() -> [(name: String, bytes: [UInt8])] {
        var files: [(String, [UInt8])] = []
        let fm = FileManager.default
        for name in ((try? fm.contentsOfDirectory(atPath: goldenDirectory.path)) ?? []).sorted() {
            for file in ["input.yaml", "expected.yaml"] {
                if let data = fm.contents(atPath: goldenDirectory.appendingPathComponent(name).appendingPathComponent(file).path) {
                    files.append(("\(name)/\(file)", [UInt8](data)))
                }
            }
        }
        var generator = SpecGenerator(seed: 0x5EED_B10C)
        for i in 0..<300 {
            let spec = Array(generator.generate().text.utf8)
            files.append(("generated-\(i)", spec))
            if case .formatted(let canonical, _) = format(spec) { files.append(("generated-\(i)/canonical", canonical)) }
        }
        return files
    }

    func testAgreesWithLibYAMLOnEveryInputOfTheSuite() {
        var accepted = 0, total = 0
        for (name, bytes) in Self.corpus() {
            total += 1
            switch mismatch(bytes) {
            case .none: continue
            case .some(nil): accepted += 1
            case .some(let problem?): XCTFail("\(name): \(problem)\n\(visible(bytes))")
            }
        }
        print("block scanner: read \(accepted) of \(total) inputs itself")
        // The suite's inputs are mostly the hard cases (flow, anchors, escapes, broken files).
        XCTAssertGreaterThan(accepted, total / 4, "the scanner reads too few inputs to matter")
    }

    /// Every canonical output of a generated spec that is in the subset (printable ASCII, no anchors,
    /// flow, escapes or folded scalars in the data) is read by the scanner: our own output is what a
    /// watched tree is made of.
    func testReadsOurOwnOutput() {
        var generator = SpecGenerator(seed: 0xCA70_0001)
        var inSubset = 0
        for i in 0..<400 {
            let spec = generator.generate()
            guard case .formatted(let canonical, _) = format(Array(spec.text.utf8)) else { continue }
            let text = String(decoding: canonical, as: UTF8.self)
            // What the emitter writes outside the subset: escapes, quotes written twice, folded
            // blocks, indentation indicators, multi-line quoted scalars, tabs next to plain scalars.
            guard !text.contains("\\"), !text.contains("''"), !text.contains(": >"), !text.contains("- >"),
                  !(1...9).contains(where: { text.contains("|\($0)") }), !text.contains(":\t"), !text.contains("\t#"),
                  !text.split(separator: "\n", omittingEmptySubsequences: false).contains(where: isOpenQuotedLine) else { continue }
            inSubset += 1
            switch mismatch(canonical) {
            case .none:
                let line = canonical.withUnsafeBufferPointer { buffer in
                    do throws(BlockScanner.Unsupported) { _ = try BlockScanner.scanOrExplain(buffer); return 0 } catch { return error.sourceLine }
                }
                XCTFail("generated-\(i): the scanner left our own output to libyaml (BlockScanner.swift:\(line)):\n\(text)")
            case .some(let problem?): XCTFail("generated-\(i): \(problem)\n\(text)")
            case .some(nil): break
            }
        }
        XCTAssertGreaterThan(inSubset, 60, "too few generated outputs in the subset to say anything")
    }

    /// A line whose quoted scalar continues on the next line.
    private func isOpenQuotedLine(_ line: Substring) -> Bool {
        line.filter { $0 == "\"" }.count % 2 == 1
    }

    /// Mutations of every corpus input the scanner reads: a character deleted, inserted or replaced
    /// (with the characters that matter to YAML's structure), lines swapped or re-indented. Wherever
    /// the scanner still accepts, it must agree with libyaml, and it must never accept what libyaml
    /// rejects.
    func testAgreesWithLibYAMLOnMutatedInputs() {
        var rng = SeededRandom(seed: 0xB10C_5CA4)
        let readable = Self.corpus().filter { BlockScanner.valuedEvents($0.bytes) != nil }
        let alphabet = Array(" :-#'\"|+>\n\tabc1?&*!{[,.~%@`\\".utf8)
        var accepted = 0, tried = 0, failures = 0
        for (name, original) in readable {
            for _ in 0..<60 {
                var bytes = original
                let edits = 1 + Int.random(in: 0..<3, using: &rng)
                for _ in 0..<edits where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<8, using: &rng) {
                    case 0: bytes.remove(at: at)
                    case 1: bytes.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)], at: at)
                    case 2: bytes[at] = alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
                    case 3: bytes.insert(contentsOf: Array("  ".utf8), at: lineStart(bytes, at))
                    case 4:
                        let start = lineStart(bytes, at)
                        if bytes[start] == 0x20 { bytes.remove(at: start) }
                    case 6:
                        // A run of spaces around libyaml's 1024-character limit on implicit keys.
                        bytes.insert(contentsOf: [UInt8](repeating: 0x20, count: Int.random(in: 1010...1030, using: &rng)), at: at)
                    case 5:
                        // A line of only spaces (0 to 6) before this one.
                        let spaces = [UInt8](repeating: 0x20, count: Int.random(in: 0...6, using: &rng))
                        bytes.insert(contentsOf: spaces + [0x0A], at: lineStart(bytes, at))
                    default:
                        // Duplicate the line (a repeated key or item).
                        let start = lineStart(bytes, at)
                        let end = (bytes[at...].firstIndex(of: 0x0A)).map { $0 + 1 } ?? bytes.count
                        bytes.insert(contentsOf: Array(bytes[start..<end]), at: start)
                    }
                }
                tried += 1
                switch mismatch(bytes) {
                case .none: break
                case .some(nil): accepted += 1
                case .some(let problem?):
                    failures += 1
                    if failures <= 10 { XCTFail("mutation of \(name): \(problem)\n\(visible(bytes))") }
                }
            }
        }
        print("block scanner: \(tried) mutations, \(accepted) read by the scanner, \(failures) disagreements")
        XCTAssertGreaterThan(accepted, tried / 5, "the mutations hardly reached the scanner")
    }

    private func lineStart(_ bytes: [UInt8], _ at: Int) -> Int {
        (bytes[..<at].lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
    }

    func testReadsTheShapesSpecsAreWrittenIn() {
        assertAgrees("a: 1\nb:\n  - x\n  - k: v\n    j: \"q\"\n# c\nlit: |\n  one\n  two\n\nz: end  # t\n", accepted: true)
        assertAgrees("# lead\n\na: |-\n  x\n  y\n# after\nb: |+\n  k\n\n\n", accepted: true)
        assertAgrees("a:\n- x\n- y\nb: 2\n", accepted: true)
        assertAgrees("a: # c\n  b: 1\n", accepted: true)
        assertAgrees("a:  # c\nb: 1\nc:\n", accepted: true)
        assertAgrees("a:\n  b: |\n    text\n\n  c: 1\n", accepted: true)
        assertAgrees("- a\n- b: |\n    x\n  c: 2\n- 'q' # c\n", accepted: true)
        assertAgrees("k : v\nurl: http://x.y/z?a=b#frag\ntitle: C# and :colons:x inside\n", accepted: true)
        assertAgrees("a: |\n\n  after an empty line\n     more indented\n  # not a comment\nb: -1\nc: :x\n", accepted: true)
        assertAgrees("  indented: root\n  second: key\n", accepted: true)
        assertAgrees("a: []\nb: {}  # c\nc:\n  - []\nd: |+  # c\n  x\ttab\n", accepted: true)
        assertAgrees("é: ü b\nkey: 日本語\n- x\n", accepted: false)
        assertAgrees("é: ü b\nbé: \"ü\"\nk: 日本語  # ü\nq: \"tab\tinside\"\n", accepted: true)
        assertAgrees("\"1\": x\n'a b' : y\n- \"k\": v\n", accepted: false)
        assertAgrees("\"1\": x\n'a b' : y\nl:\n  - \"k\": v\n    'j': w\n", accepted: true)
        // Lines of spaces in a literal block: empty lines up to the indentation, content beyond it
        // (found by the fuzzer).
        assertAgrees("a: |\n    x\n    \nb: |+\n  y\n \n   \n\nc: 1\n", accepted: true)
        // A `---` starting the document (the shipped examples have one).
        assertAgrees("# c\n---\nid: 1\n", accepted: true)
        assertAgrees("--- # c\n\n  id: 1\n", accepted: true)
        assertAgrees("---   \nid: 1\n", accepted: true)
        assertAgrees("a:\n  - - nested\n", accepted: false)
        assertAgrees("a:\n  b: 1\n    c: 2\n", accepted: false)
    }

    func testLeavesEverythingElseToLibYAML() {
        for text in [
            "a: 1",                                  // no final line break
            "a: {b: 1}\n", "a: [1, 2]\n",           // flow
            "a: &x 1\nb: *x\n", "a: !!str 1\n",      // anchors, aliases, tags
            "a: >\n  folded\n", "a: |2\n  x\n",      // folded, indentation indicator
            "a: \"esc\\n\"\n", "a: 'it''s'\n",        // escapes, quotes written twice
            "a: multi\n  line\n",                    // a multi-line plain scalar
            "--- a: 1\n", "a: 1\n...\n", "---\na: 1\n---\nb: 2\n", "---\n",  // other document markers
            "a:\t1\n", "a: 1\r\n", "\ta: 1\n",      // tabs, CR
            "a: 1\n  \nb: 2\n",                      // a line of spaces
            "? a\n: b\n", "\"a\\tb\": 1\n",            // explicit keys, escapes in keys
            "scalar\n", "# only a comment\n", "\n",  // no collection at the root
            // libyaml's 1024-character limit on an implicit key runs to its `:` (found by a review).
            "\"k\"" + String(repeating: " ", count: 1022) + ": v\n", "'k'" + String(repeating: " ", count: 1022) + ": v\n",
            "- 'k'" + String(repeating: " ", count: 1022) + ": v\n", "k" + String(repeating: " ", count: 1022) + ": v\n",
            "a: b: c\n", "- - x\n", "a:\n-\n",       // errors, nested entries, empty items
        ] {
            XCTAssertNil(BlockScanner.valuedEvents(Array(text.utf8)), "the scanner read \(text.debugDescription)")
        }
    }

    /// The two readers build the same document: the fast path is taken where it applies, and the tree,
    /// its comments and the canonical output are those libyaml's events give.
    func testBuildsTheSameDocumentEitherWay() {
        var generator = SpecGenerator(seed: 0xD0C5_0002)
        var compared = 0
        for _ in 0..<100 {
            let text = Array(generator.generate().text.utf8)
            guard case .formatted(let canonical, _) = format(text), BlockScanner.valuedEvents(canonical) != nil else { continue }
            compared += 1
            // The canonical output read through the scanner formats to itself, as through libyaml.
            guard case .formatted(let again, _) = format(canonical) else { return XCTFail("canonical output rejected") }
            XCTAssertEqual(again, canonical)
        }
        XCTAssertGreaterThan(compared, 20)
    }
}
