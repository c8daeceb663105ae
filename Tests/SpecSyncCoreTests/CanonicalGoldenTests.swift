// Golden files for the canonical form: `Golden/<case>/input.yaml` formats to `expected.yaml`.
// Every expected file was reviewed against docs/canonical-form.md; it states the rule, not whatever
// the emitter happened to print. Set SPECSYNC_UPDATE_GOLDEN=1 (or a comma-separated list of case
// names) to rewrite expected files from the current output — then review the diff by eye.
import Foundation
import XCTest
@testable import SpecSyncCore

final class CanonicalGoldenTests: XCTestCase {
    /// Case-name prefixes, one test method each, so a failure names the rule it concerns.
    static let categories = [
        "quoting", "block", "order", "layout", "whitespace", "blank", "document", "anchor", "tag", "number",
        "comment", "example",
    ]

    func testQuoting() throws { try runGolden(category: "quoting") }
    func testLiteralBlocks() throws { try runGolden(category: "block") }
    func testKeyOrder() throws { try runGolden(category: "order") }
    func testLayout() throws { try runGolden(category: "layout") }
    func testWhitespaceAndEncoding() throws { try runGolden(category: "whitespace") }
    func testBlankLines() throws { try runGolden(category: "blank") }
    func testDocumentMarkers() throws { try runGolden(category: "document") }
    func testAnchorsAndAliases() throws { try runGolden(category: "anchor") }
    func testTags() throws { try runGolden(category: "tag") }
    func testNumbers() throws { try runGolden(category: "number") }
    func testComments() throws { try runGolden(category: "comment") }
    func testSharedExamples() throws { try runGolden(category: "example") }

    func testEveryCaseBelongsToACategoryAndHasBothFiles() throws {
        let cases = try GoldenCase.all()
        XCTAssertGreaterThan(cases.count, 50, "golden cases went missing from the bundle")
        for c in cases {
            XCTAssertTrue(Self.categories.contains { c.name.hasPrefix($0 + "-") }, "\(c.name): no category prefix")
            XCTAssertNotNil(try? c.expected(), "\(c.name): expected.yaml missing")
        }
    }

    /// The expected files themselves obey the byte-level rules (checked independently of the emitter).
    func testExpectedFilesObeyTheByteRules() throws {
        for c in try GoldenCase.all() {
            let bytes = try c.expected()
            let text = String(decoding: bytes, as: UTF8.self)
            XCTAssertFalse(bytes.starts(with: [0xEF, 0xBB, 0xBF]), "\(c.name): BOM")
            XCTAssertFalse(bytes.contains(0x0D), "\(c.name): CR")
            XCTAssertFalse(bytes.contains(0x09), "\(c.name): tab")
            XCTAssertEqual(bytes.last, 0x0A, "\(c.name): no final newline")
            XCTAssertFalse(text.hasSuffix("\n\n") && !text.contains("|+"), "\(c.name): more than one final newline")
            XCTAssertFalse(text.contains(" \n"), "\(c.name): trailing whitespace")
            // Outside literal block content: no runs of blank lines, indentation in steps of two.
            var previousBlank = false
            for line in linesOutsideBlockScalars(text) {
                XCTAssertFalse(previousBlank && line.isEmpty, "\(c.name): run of blank lines")
                previousBlank = line.isEmpty
                let indent = line.prefix { $0 == " " }.count
                XCTAssertEqual(indent % 2, 0, "\(c.name): odd indentation in \(line)")
            }
        }
    }

    /// What every expected file says must read the same under YAML 1.1 (PyYAML) as under specsync's 1.2.
    func testExpectedFilesReadTheSameUnderYAML11() throws {
        var files: [(name: String, yaml: [UInt8], data: JSONValue)] = []
        for c in try GoldenCase.all() {
            let expected = try c.expected()
            if case .success(let data) = parseData(expected) { files.append((c.name, expected, data)) }
        }
        guard let mismatches = try PyYAMLCrossCheck.mismatches(files) else {
            throw XCTSkip("python3 with PyYAML is not installed; YAML 1.1 cross-check skipped")
        }
        XCTAssertEqual(mismatches, [], "files whose YAML 1.1 reading differs")
    }

    /// The lines of a canonical file minus the content lines of literal blocks (`key: |`, `- |-`…).
    private func linesOutsideBlockScalars(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var blockIndent: Int?  // indentation of the line that opened the current block scalar
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let indent = line.prefix { $0 == " " }.count
            if let open = blockIndent {
                if line.isEmpty || indent > open { continue }
                blockIndent = nil
            }
            out.append(line)
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
            if content.hasSuffix("|") || content.hasSuffix("|-") || content.hasSuffix("|+") { blockIndent = indent }
        }
        return out
    }

    // MARK: Runner

    private func runGolden(category: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let cases = try GoldenCase.all().filter { $0.name.hasPrefix(category + "-") }
        XCTAssertFalse(cases.isEmpty, "no golden cases for \(category)", file: file, line: line)
        for c in cases {
            try check(c, file: file, line: line)
        }
    }

    private func check(_ c: GoldenCase, file: StaticString, line: UInt) throws {
        let input = try c.input()
        guard case .formatted(let actual, let inputData) = format(input) else {
            XCTFail("\(c.name): input rejected: \(format(input))", file: file, line: line)
            return
        }
        if GoldenCase.shouldUpdate(c.name) {
            try Data(actual).write(to: c.sourceDirectory.appendingPathComponent("expected.yaml"))
        }
        guard let expected = try? c.expected() else {
            XCTFail("\(c.name): expected.yaml missing; actual output:\n\(visible(actual))", file: file, line: line)
            return
        }
        if actual != expected {
            XCTFail("\(c.name): output differs from expected.yaml\n\(firstDifference(expected, actual))\n--- expected\n\(visible(expected))--- actual\n\(visible(actual))",
                    file: file, line: line)
        }
        // The expected output is a fixed point and holds the input's data.
        switch format(expected) {
        case .formatted(let again, let expectedData):
            XCTAssertEqual(again, expected, "\(c.name): fmt(expected) != expected:\n\(visible(again))", file: file, line: line)
            XCTAssertTrue(strictlyEqual(inputData, expectedData),
                          "\(c.name): data differs\n input:    \(jsonText(inputData))\n expected: \(jsonText(expectedData))",
                          file: file, line: line)
        case .rejected(let diagnostics):
            XCTFail("\(c.name): expected.yaml is rejected: \(DiagnosticList(diagnostics))", file: file, line: line)
        }
    }

    private func firstDifference(_ expected: [UInt8], _ actual: [UInt8]) -> String {
        let e = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let a = String(decoding: actual, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(e.count, a.count) {
            let el = i < e.count ? String(e[i]) : "<end>"
            let al = i < a.count ? String(a[i]) : "<end>"
            if el != al { return "first difference at line \(i + 1):\n  expected: \(el)\n  actual:   \(al)" }
        }
        return "(same lines, different bytes)"
    }
}

struct GoldenCase {
    var name: String
    var bundleDirectory: URL
    /// Where update mode writes: the Golden directory in the source tree, not the bundle copy.
    var sourceDirectory: URL

    func input() throws -> [UInt8] { Array(try Data(contentsOf: bundleDirectory.appendingPathComponent("input.yaml"))) }
    func expected() throws -> [UInt8] { Array(try Data(contentsOf: bundleDirectory.appendingPathComponent("expected.yaml"))) }

    static let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func all() throws -> [GoldenCase] {
        // In update mode read from the source tree, so a fresh case works without a rebuild.
        let root: URL
        if ProcessInfo.processInfo.environment["SPECSYNC_UPDATE_GOLDEN"] != nil {
            root = sourceRoot
        } else {
            guard let url = Bundle.module.url(forResource: "Golden", withExtension: nil) else {
                throw GoldenError.missingBundle
            }
            root = url
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
        return names.map {
            GoldenCase(name: $0, bundleDirectory: root.appendingPathComponent($0),
                       sourceDirectory: sourceRoot.appendingPathComponent($0))
        }
    }

    static func shouldUpdate(_ name: String) -> Bool {
        guard let value = ProcessInfo.processInfo.environment["SPECSYNC_UPDATE_GOLDEN"] else { return false }
        if value == "1" { return true }
        return value.split(separator: ",").contains { $0 == name }
    }
}

enum GoldenError: Error, CustomStringConvertible {
    case missingBundle
    var description: String {
        "the Golden resource directory is not in the test bundle (check `resources: [.copy(\"Golden\")]` in Package.swift)"
    }
}
