import Foundation
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncEngine

final class ConfigurationTests: XCTestCase {
    private var repo: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testCompiledInDefaultsAreTheShippedFile() throws {
        let shipped = try String(contentsOf: repo.appendingPathComponent("config/specsync.yaml"), encoding: .utf8)
        XCTAssertEqual(DefaultConfiguration.yaml, shipped, "run scripts/generate-embedded")
    }

    /// The defaults are a value in code (parsing the text cost every start); they must be what the
    /// shipped file says, with and without a specs folder to find.
    func testBuiltInDefaultsAreWhatTheDefaultsFileSays() throws {
        let empty = try scratch()
        let coldwine = try scratch()
        try FileManager.default.createDirectory(atPath: coldwine + "/.coldwine/tasks", withIntermediateDirectories: true)
        for root in [empty, coldwine] {
            let parsed = try Configuration.parse(Array(DefaultConfiguration.yaml.utf8), path: "<built-in defaults>",
                                                 projectRoot: root, onto: nil)
            XCTAssertEqual(Configuration.builtInDefaults(projectRoot: root), parsed)
        }
        XCTAssertEqual(Configuration.builtInDefaults(projectRoot: coldwine).specsDirectory, coldwine + "/.coldwine/tasks")
        XCTAssertEqual(Configuration.builtInDefaults(projectRoot: empty).limits, ParseLimits(), "the core's defaults are the same")
    }

    func testCompiledInSchemaIsTheShippedFile() throws {
        let shipped = try String(contentsOf: repo.appendingPathComponent("config/task-spec.schema.json"), encoding: .utf8)
        XCTAssertEqual(BuiltinSchema.json, shipped,
                       "run scripts/generate-embedded")
    }

    /// The schema is compiled in as data too (start-up does not parse the text): the same values, keys in
    /// the same order (the order is the canonical key order).
    func testCompiledInSchemaValueIsTheShippedFile() throws {
        let shipped = try JSONValue.parse(json: Array(try Data(contentsOf: repo.appendingPathComponent("config/task-spec.schema.json"))))
        func assertSame(_ a: JSONValue, _ b: JSONValue, at pointer: String) {
            switch (a, b) {
            case (.object(let x), .object(let y)):
                XCTAssertEqual(x.keys, y.keys, "key order at \(pointer); run scripts/generate-embedded")
                for key in x.keys where y[key] != nil { assertSame(x[key]!, y[key]!, at: pointer + "/" + key) }
            case (.array(let x), .array(let y)):
                XCTAssertEqual(x.count, y.count, "at \(pointer)")
                for (i, (p, q)) in zip(x, y).enumerated() { assertSame(p, q, at: pointer + "/\(i)") }
            default:
                XCTAssertEqual(a, b, "at \(pointer); run scripts/generate-embedded")
            }
        }
        assertSame(BuiltinSchemaValue.value, shipped, at: "")
    }

    func testCompiledInServiceUnitIsTheShippedFile() throws {
        let shipped = try String(contentsOf: repo.appendingPathComponent("config/specsync.service"), encoding: .utf8)
        XCTAssertEqual(ServiceUnit.text, shipped, "run scripts/generate-embedded")
        XCTAssertTrue(ProjectInitializer.serviceUnit(executable: "/opt/x/specsync").contains("\nExecStart=/opt/x/specsync watch\n"))
    }

    func testDefaultsWithoutAFile() throws {
        let dir = try scratch()
        let c = try Configuration.load(from: dir)
        XCTAssertEqual(c.specsDirectory, dir + "/.tandemonium/specs")
        XCTAssertEqual(c.include, ["**/*.yaml", "**/*.yml"])
        XCTAssertEqual(c.lockTimeout, .seconds(10))
        XCTAssertEqual(c.settle, .milliseconds(50))
        XCTAssertEqual(c.startup, .fix)
        XCTAssertEqual(c.limits, ParseLimits())
        XCTAssertNil(c.source)
    }

    func testProjectFileOverridesAndIsFoundFromASubdirectory() throws {
        let dir = try scratch()
        try "specs_dir: docs/specs\nlock_timeout_ms: 250\nstartup: check\nlimits:\n  max_depth: 8\n"
            .write(toFile: dir + "/.specsync.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/a/b", withIntermediateDirectories: true)
        let c = try Configuration.load(from: dir + "/a/b")
        XCTAssertEqual(c.specsDirectory, dir + "/docs/specs")
        XCTAssertEqual(c.lockTimeout, .milliseconds(250))
        XCTAssertEqual(c.startup, .check)
        XCTAssertEqual(c.limits.maxDepth, 8)
        XCTAssertEqual(c.limits.maxBytes, 256 << 10, "unset keys keep their defaults")
        XCTAssertEqual(c.source, dir + "/.specsync.yaml")
    }

    /// As Coldwine looks: .coldwine/tasks when that folder exists, else .tandemonium/specs.
    func testSpecsFolderIsFoundTheWayColdwineFindsIt() throws {
        let dir = try scratch()
        var c = try Configuration.load(from: dir)
        XCTAssertEqual(c.specsDirectory, dir + "/.tandemonium/specs")
        XCTAssertEqual(c.specsDirectoryOrigin, .discovered(exists: false))

        try FileManager.default.createDirectory(atPath: dir + "/.tandemonium/specs", withIntermediateDirectories: true)
        c = try Configuration.load(from: dir)
        XCTAssertEqual(c.specsDirectory, dir + "/.tandemonium/specs")
        XCTAssertEqual(c.specsDirectoryOrigin, .discovered(exists: true))

        try "not a folder".write(toFile: dir + "/.coldwine", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Configuration.load(from: dir).specsDirectory, dir + "/.tandemonium/specs", "a file named .coldwine is no folder")
        try FileManager.default.removeItem(atPath: dir + "/.coldwine")

        try FileManager.default.createDirectory(atPath: dir + "/.coldwine/tasks", withIntermediateDirectories: true)
        c = try Configuration.load(from: dir)
        XCTAssertEqual(c.specsDirectory, dir + "/.coldwine/tasks", ".coldwine/tasks comes first")
        XCTAssertEqual(c.specsDirectoryOrigin, .discovered(exists: true))

        // From a subdirectory without a configuration file: the nearest project folder upwards.
        try FileManager.default.createDirectory(atPath: dir + "/src/pkg", withIntermediateDirectories: true)
        c = try Configuration.load(from: dir + "/src/pkg")
        XCTAssertEqual(c.specsDirectory, dir + "/.coldwine/tasks")
        XCTAssertEqual(c.projectRoot, dir)
    }

    func testConfiguredSpecsFolderWinsAndNullMeansDiscovery() throws {
        let dir = try scratch()
        try FileManager.default.createDirectory(atPath: dir + "/.coldwine/tasks", withIntermediateDirectories: true)
        try "specs_dir: docs/specs\n".write(toFile: dir + "/.specsync.yaml", atomically: true, encoding: .utf8)
        var c = try Configuration.load(from: dir)
        XCTAssertEqual(c.specsDirectory, dir + "/docs/specs")
        XCTAssertEqual(c.specsDirectoryOrigin, .configured(file: dir + "/.specsync.yaml"))
        for text in ["specs_dir: null\n", "settle_ms: 20\n"] {
            try text.write(toFile: dir + "/.specsync.yaml", atomically: true, encoding: .utf8)
            c = try Configuration.load(from: dir)
            XCTAssertEqual(c.specsDirectory, dir + "/.coldwine/tasks", text)
            XCTAssertEqual(c.specsDirectoryOrigin, .discovered(exists: true), text)
        }
    }

    func testBadSettingsAreErrorsWithPositions() throws {
        let dir = try scratch()
        let cases: [(String, Int, Int, String)] = [
            ("specs: x\n", 1, 1, "unknown setting \"specs\""),
            ("limits:\n  max_size: 3\n", 2, 3, "unknown setting limits.max_size"),
            ("startup: always\n", 1, 10, "startup must be one of"),
            ("lock_timeout_ms: -1\n", 1, 18, "lock_timeout_ms must be"),
            ("include: \"*.yaml\"\n", 1, 10, "include must be a list"),
            ("specs_dir: [\n", 2, 1, "YAML syntax"),
        ]
        for (text, line, column, message) in cases {
            try text.write(toFile: dir + "/.specsync.yaml", atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Configuration.load(from: dir), text) { error in
                guard case ConfigurationError.invalid(_, let l, let c, let m) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(l, line, text)
                XCTAssertEqual(c, column, text)
                XCTAssertTrue(m.contains(message), "\(text): \(m)")
            }
        }
    }

    private func scratch() throws -> String {
        let dir = FileManager.default.currentDirectoryPath + "/.build/test-scratch/config-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return (dir as NSString).resolvingSymlinksInPath
    }
}

final class GlobAndDiffTests: XCTestCase {
    func testGlobs() {
        XCTAssertTrue(Glob("**/*.yaml").matches("TAND-1.yaml"))
        XCTAssertTrue(Glob("**/*.yaml").matches("a/b/TAND-1.yaml"))
        XCTAssertFalse(Glob("**/*.yaml").matches("a/TAND-1.yml"))
        XCTAssertFalse(Glob("**/*.yaml").matches(".hidden.yaml"), "dot files are not matched by *")
        XCTAssertTrue(Glob("drafts/**").matches("drafts/x/y.yaml"))
        XCTAssertFalse(Glob("drafts/**").matches("final/x.yaml"))
        XCTAssertTrue(Glob("TAND-0[0-9][0-9].yaml").matches("TAND-012.yaml"))
        let filter = SpecFilter(include: ["**/*.yaml"], exclude: ["archive/**"])
        XCTAssertTrue(filter.isSpec(relativePath: "x.yaml"))
        XCTAssertFalse(filter.isSpec(relativePath: "archive/x.yaml"))
    }

    /// The segment shapes matched on bytes (`*.yaml`, literals) agree with fnmatch(3) with FNM_PERIOD,
    /// which they stand in for, on random names and patterns.
    func testByteMatchedSegmentsAgreeWithFnmatch() {
        var rng = SeededGenerator(seed: 7)
        let pieces = ["a", "b", ".", "y", "ml", "-", "é", "yaml", " "]
        func word(_ maxPieces: Int) -> String {
            (0..<Int.random(in: 0...maxPieces, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
        var checked = 0
        for _ in 0..<4000 {
            let literal = word(4)
            let pattern = Bool.random(using: &rng) ? "*" + literal : (literal.isEmpty ? "x" : literal)
            let name = Bool.random(using: &rng) ? word(5) : word(2) + literal
            guard !name.isEmpty else { continue }
            let expected = fnmatch(pattern, name, FNM_PERIOD) == 0
            XCTAssertEqual(Glob(pattern).matches(name), expected, "pattern \(pattern) name \(name)")
            XCTAssertEqual(Glob("**/" + pattern).matches("d/" + name), expected, "pattern **/\(pattern) name d/\(name)")
            checked += expected ? 1 : 0
        }
        XCTAssertGreaterThan(checked, 200, "the generator must produce matches as well as misses")
    }

    /// Our diff must be a valid unified diff: GNU `patch` applies it to the old text and gets the new one.
    func testUnifiedDiffAppliesWithPatch() throws {
        var rng = SeededGenerator(seed: 42)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("specsync-diff-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for _ in 0..<40 {
            let base = (0..<Int.random(in: 0...30, using: &rng)).map { "line \($0 % 7)" }
            var changed = base
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let at = Int.random(in: 0...changed.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: changed.insert("new \(at)", at: at)
                case 1: if at < changed.count { changed.remove(at: at) }
                default: if at < changed.count { changed[at] = "changed \(at)" }
                }
            }
            let old = base.map { $0 + "\n" }.joined(), new = changed.map { $0 + "\n" }.joined()
            try old.write(to: dir.appendingPathComponent("old"), atomically: true, encoding: .utf8)
            try new.write(to: dir.appendingPathComponent("new"), atomically: true, encoding: .utf8)
            let ours = UnifiedDiff.render(old: old, new: new, oldName: "a", newName: "b")
            XCTAssertEqual(ours.isEmpty, old == new)
            guard !ours.isEmpty else { continue }
            try ours.write(to: dir.appendingPathComponent("diff"), atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/patch")
            process.arguments = ["-s", "-F0", dir.appendingPathComponent("old").path, dir.appendingPathComponent("diff").path]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, ours)
            let patched = try String(contentsOf: dir.appendingPathComponent("old"), encoding: .utf8)
            XCTAssertEqual(patched, new, "old:\n\(old)\ndiff:\n\(ours)")
        }
        let old = "a\nb\n"
        XCTAssertEqual(UnifiedDiff.render(old: old, new: old, oldName: "a", newName: "b"), "")
    }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
