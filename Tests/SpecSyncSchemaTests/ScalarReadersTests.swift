import Foundation
import XCTest
@testable import SpecSyncCore
@testable import SpecSyncSchema
import SpecSyncSchemaTestSupport

/// specsync's models of the three readers against the real ones: PyYAML (python3) and Go's yaml.v3
/// (`go run` in GOPATH mode on Debian's golang-gopkg-yaml.v3-dev), over hand-picked forms and a few
/// thousand generated number-like scalars.
final class ScalarReadersTests: XCTestCase {
    static let handPicked = [
        "5239e568", "1e3", "0e12", "1E3", "1e400", "-1e400", "1.0e+400", "1e-400", "1.5e3", "1.5e+3", ".5", "+.5", "-.5",
        "1.", "5.e3", "017", "08", "0o17", "0O17", "0x1F", "0X1F", "-0x1F", "0b101", "-0b101", "1_000", "1_", "1__0",
        "1:30", "-1:30", "1:30.5", "18446744073709551615", "9223372036854775808", "-9223372036854775808",
        "99999999999999999999999", "0xFFFFFFFFFFFFFFFFFF", "0o77777777777777777777777", "00", "-0", "+0", "+17",
        "0", "007", "0.0", "-0.0", "1e", "e3", "0x", "0o", "0b2", "yes", "no", "on", "off", "y", "n", "Yes", "ON",
        "true", "True", "TRUE", "false", "~", "null", "Null", "NULL", "nul", ".inf", "-.inf", "+.inf", ".Inf", ".INF",
        ".nan", ".NaN", ".NAN", ".iNf", "inf", "nan", "2001-12-14", "2001-2-3", "2001-12-14t21:59:43.10-05:00",
        "2001-13-14", "2001-02-30", "5d41402a", "deadbeef", "12345678", "0123abcd", "1.2.3", "v1.2", "abc",
    ]

    /// Number-like text: the alphabet of ints, floats, exponents, radix prefixes, sexagesimals.
    static func generated(count: Int) -> [String] {
        var random = SeededRandom(seed: 2026)
        let alphabet = Array("0123456789_.:+-eExXoObBaAfF")
        var out = Set<String>()
        while out.count < count {
            let length = Int.random(in: 1...7, using: &random)
            var text = String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] })
            if Int.random(in: 0..<3, using: &random) == 0 { text = "1" + text }  // more digit-led forms
            // Forms the YAML grammar itself treats specially in a block mapping value: not scalar readings.
            if text.hasPrefix(":") || text.hasPrefix("-") && text.count == 1 || text.hasSuffix(":") || text.contains(":-") { continue }
            out.insert(text)
        }
        return out.sorted()
    }

    static var corpus: [String] { handPicked + generated(count: 4_000) }

    func testYAML11ReadingIsPyYAMLs() throws {
        guard let oracle = try runOracle(["python3", repositoryRoot.appendingPathComponent("Tests/Oracles/pyyaml-reading.py").path],
                                         Self.corpus) else {
            throw XCTSkip("python3 with PyYAML is not installed; YAML 1.1 reader cross-check skipped")
        }
        try compare(oracle, ScalarReaders.yaml11, reader: "PyYAML")
    }

    func testGoReadingIsYAMLv3s() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/gocode/src/gopkg.in/yaml.v3/yaml.go"),
              let oracle = try runOracle(["go", "run", repositoryRoot.appendingPathComponent("Tests/Oracles/yamlv3-reading.go").path],
                                         Self.corpus, environment: ["GO111MODULE": "off", "GOPATH": "/usr/share/gocode",
                                                                    "GOCACHE": NSTemporaryDirectory() + "specsync-gocache"]) else {
            throw XCTSkip("Go with golang-gopkg-yaml.v3-dev is not installed (scripts/deps installs both); yaml.v3 cross-check skipped")
        }
        try compare(oracle, ScalarReaders.goYAMLv3, reader: "yaml.v3")
    }

    /// The cross-checks can fail: a wrong model is caught.
    func testACrossCheckCatchesAWrongModel() throws {
        let expected: [String: PlainReading] = ["1e3": .string, "017": .number(15, exact: 15)]
        XCTAssertEqual(mismatches(expected, ScalarReaders.yaml12), ["017: real reader int 15, model int 17",
                                                                    "1e3: real reader string, model float 1000.0"])
    }

    func testAmbiguityIsDisagreementBetweenReaders() {
        for text in ["5239e568", "1e3", "0e12", "017", "08", "0o17", "1_000", "1e400", "1.5e3", "+.5", "yes", "1:30", "2001-12-14"] {
            XCTAssertTrue(ScalarReaders.isAmbiguous(text), text)
        }
        for text in ["12345678", "2", "-17", "0x1F", "1.5", "1.5e+3", "true", "null", "~", ".inf", "deadbeef", "TAND-012", "5d41402a"] {
            XCTAssertFalse(ScalarReaders.isAmbiguous(text), text)
        }
    }

    // MARK: Support

    private func compare(_ oracle: [String: PlainReading], _ model: (String) -> PlainReading, reader: String) throws {
        XCTAssertGreaterThan(oracle.count, 3_000, "the oracle read most of the corpus")
        let wrong = mismatches(oracle, model)
        XCTAssertEqual(wrong.count, 0, "\(reader) reads these differently from specsync's model:\n" + wrong.prefix(20).joined(separator: "\n"))
    }

    private func mismatches(_ oracle: [String: PlainReading], _ model: (String) -> PlainReading) -> [String] {
        oracle.keys.sorted().compactMap { text in
            let real = oracle[text]!, modelled = model(text)
            return real == modelled ? nil : "\(text): real reader \(real), model \(modelled)"
        }
    }

    /// Runs an oracle over `texts` (one per line); nil when the tool is missing. Lines the oracle could not
    /// parse as YAML at all ("error") are left out.
    private func runOracle(_ command: [String], _ texts: [String], environment: [String: String] = [:]) throws -> [String: PlainReading]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let box = OracleOutput()
        let done = DispatchSemaphore(value: 0)
        Thread {
            box.data = output.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        input.fileHandleForWriting.write(Data(texts.map { $0 + "\n" }.joined().utf8))
        try input.fileHandleForWriting.close()
        done.wait()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let lines = String(decoding: box.data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertGreaterThanOrEqual(lines.count, texts.count)
        var readings: [String: PlainReading] = [:]
        for (text, line) in zip(texts, lines) {
            let fields = line.split(separator: "\t").map(String.init)
            switch fields.first {
            case "null": readings[text] = .null
            case "bool": readings[text] = .bool(fields[1] == "true")
            case "string": readings[text] = .string
            case "timestamp": readings[text] = .timestamp
            case "int": readings[text] = .number(Double(fields[1]) ?? .nan, exact: Int(fields[1]))
            case "float":
                let d: Double
                switch fields[1].lowercased() {
                case "inf", "+inf": d = .infinity
                case "-inf": d = -.infinity
                case "nan": d = .nan
                default: d = Double(fields[1]) ?? .nan
                }
                readings[text] = .number(d, exact: nil)
            case "error": continue
            default: XCTFail("oracle line for \(text.debugDescription): \(line)")
            }
        }
        return readings
    }
}

private final class OracleOutput: @unchecked Sendable { var data = Data() }
