// Shared helpers for the core tests: the Tandemonium key order, formatting shortcuts, strict data
// comparison, and the PyYAML (YAML 1.1) cross-check.
import Foundation
import XCTest
@testable import SpecSyncCore

/// The canonical key order of Tandemonium task specs, as the schema's `properties` will give it.
/// Written out here so the core can be tested before (and independently of) the schema validator.
enum TandemoniumOrder {
    static let topLevel = [
        "id", "title", "status", "created_at", "quick_mode", "strategic_context", "user_story", "summary",
        "requirements", "acceptance_criteria", "files_to_modify", "complexity", "estimated_minutes", "priority",
        "review_feedback", "mvp_explanation", "mvp_override",
    ]
    static let strategicContext = ["cuj_id", "cuj_name", "feature_id", "mvp_included", "mvp_status"]
    static let userStory = ["text", "hash"]
    static let acceptanceCriterion = ["id", "description"]
    static let fileToModify = ["action", "path", "description"]

    static func order(at path: [PathComponent]) -> [String] {
        if path.isEmpty { return topLevel }
        guard case .key(let first) = path[0] else { return [] }
        if path.count == 1 {
            switch first {
            case "strategic_context": return strategicContext
            case "user_story": return userStory
            default: return []
            }
        }
        if path.count == 2, case .index = path[1] {
            switch first {
            case "acceptance_criteria": return acceptanceCriterion
            case "files_to_modify": return fileToModify
            default: return []
            }
        }
        return []
    }

    nonisolated(unsafe) static let keyOrder: CanonicalEmitter.KeyOrder = { order(at: $0) }  // a pure function of its argument
}

/// A validator that finds nothing wrong and orders keys like the Tandemonium schema.
struct OrderOnlyValidator: DocumentValidator {
    func validate(_ root: Node) -> [Diagnostic] { [] }
    func propertyOrder(at path: [PathComponent]) -> [String] { TandemoniumOrder.order(at: path) }
}

enum FormatOutcome {
    case formatted(bytes: [UInt8], data: JSONValue)
    case rejected([Diagnostic])
}

/// Parses and canonically emits `bytes` with the Tandemonium key order.
func format(_ bytes: [UInt8], limits: ParseLimits = ParseLimits()) -> FormatOutcome {
    switch YAMLParser.parse(bytes, limits: limits) {
    case .failure(let diagnostics):
        return .rejected(diagnostics)
    case .document(let document):
        if !document.diagnostics.isEmpty { return .rejected(document.diagnostics) }
        return .formatted(bytes: CanonicalEmitter.emit(document, keyOrder: TandemoniumOrder.keyOrder),
                          data: document.root.json)
    }
}

func format(_ text: String) -> FormatOutcome { format(Array(text.utf8)) }

/// The YAML 1.2 data of `bytes`, or the diagnostics that prevented reading it.
func parseData(_ bytes: [UInt8], limits: ParseLimits = ParseLimits()) -> Result<JSONValue, DiagnosticList> {
    switch YAMLParser.parse(bytes, limits: limits) {
    case .failure(let diagnostics): return .failure(DiagnosticList(diagnostics))
    case .document(let document):
        if !document.diagnostics.isEmpty { return .failure(DiagnosticList(document.diagnostics)) }
        return .success(document.root.json)
    }
}

struct DiagnosticList: Error, CustomStringConvertible {
    var items: [Diagnostic]
    init(_ items: [Diagnostic]) { self.items = items }
    var description: String { items.map { $0.rendered(path: "<input>") }.joined(separator: "\n") }
}

/// Equality that tells integers from floats, compares NaN equal to NaN and ignores object key order.
func strictlyEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.integer(let x), .integer(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { strictlyEqual($0, $1) }
    case (.object(let x), .object(let y)):
        guard x.count == y.count else { return false }
        for (key, value) in x.pairs {
            guard let other = y[key], strictlyEqual(value, other) else { return false }
        }
        return true
    default: return false
    }
}

/// JSON text of a value: keys in document order, floats in a form Python's `json` reads back
/// (`NaN`, `Infinity`), integers without a dot so the cross-check can tell them from floats.
func jsonText(_ value: JSONValue) -> String {
    var out = ""
    writeJSON(value, into: &out)
    return out
}

private func writeJSON(_ value: JSONValue, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .integer(let i): out += String(i)
    case .number(let d):
        if d.isNaN { out += "NaN" }
        else if d.isInfinite { out += d < 0 ? "-Infinity" : "Infinity" }
        else {
            var text = "\(d)"
            if !text.contains(".") && !text.contains("e") { text += ".0" }
            out += text
        }
    case .string(let s):
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    case .array(let items):
        out += "["
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            writeJSON(item, into: &out)
        }
        out += "]"
    case .object(let object):
        out += "{"
        for (i, pair) in object.pairs.enumerated() {
            if i > 0 { out += "," }
            writeJSON(.string(pair.key), into: &out)
            out += ":"
            writeJSON(pair.value, into: &out)
        }
        out += "}"
    }
}

/// Reads YAML files with PyYAML (a YAML 1.1 reader) and compares each file's data with the JSON
/// specsync read, strictly (int vs float vs bool, timestamps are not strings). One subprocess for
/// the whole batch. Returns nil when python3 with PyYAML is not available.
enum PyYAMLCrossCheck {
    static let script = #"""
import json, math, os, sys, yaml

def same(a, b):
    # specsync's data model (JSON) holds integers beyond 64 bits as floats; the digits are written back
    # exactly (golden number-beyond-64-bit), so the YAML 1.1 integer must equal the float in value.
    if isinstance(a, int) and not isinstance(a, bool) and isinstance(b, float) and abs(a) >= 2**63:
        return float(a) == b
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b

problems = 0
for line in sys.stdin:
    yaml_path, json_path = line.rstrip("\n").split("\t")
    with open(json_path, encoding="utf-8") as f:
        expected = json.load(f)
    try:
        with open(yaml_path, "rb") as f:
            actual = yaml.safe_load(f)
    except Exception as e:
        print(f"{os.path.basename(yaml_path)}: PyYAML could not read it: {e}".replace("\n", " "))
        problems += 1
        continue
    if not same(actual, expected):
        print(f"{os.path.basename(yaml_path)}: PyYAML reads {actual!r} but specsync reads {expected!r}".replace("\n", "\\n"))
        problems += 1
"""#

    static var isAvailable: Bool {
        run(arguments: ["-c", "import yaml"], input: Data()).status == 0
    }

    /// Mismatch reports, one per file (empty when every file reads the same), or nil when unavailable.
    static func mismatches(_ files: [(name: String, yaml: [UInt8], data: JSONValue)]) throws -> [String]? {
        guard isAvailable else { return nil }
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("specsync-pyyaml-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var list = ""
        for (i, file) in files.enumerated() {
            let safeName = String(file.name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            let yamlURL = dir.appendingPathComponent("\(i)-\(safeName).yaml")
            let jsonURL = dir.appendingPathComponent("\(i)-\(safeName).json")
            try Data(file.yaml).write(to: yamlURL)
            try Data(jsonText(file.data).utf8).write(to: jsonURL)
            list += "\(yamlURL.path)\t\(jsonURL.path)\n"
        }
        let result = run(arguments: ["-c", script], input: Data(list.utf8))
        guard result.status == 0 else {
            return ["python3 failed (status \(result.status)): \(result.output)"]
        }
        return result.output.split(separator: "\n").map(String.init)
    }

    private static func run(arguments: [String], input: Data) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        do { try process.run() } catch { return (-1, "\(error)") }
        // Read on another thread while writing, so neither side can block on a full pipe.
        let reader = DispatchGroup()
        let box = OutputBox()
        DispatchQueue.global().async(group: reader) {
            box.data = stdout.fileHandleForReading.readDataToEndOfFile()
        }
        stdin.fileHandleForWriting.write(input)
        try? stdin.fileHandleForWriting.close()
        reader.wait()
        let data = box.data
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

private final class OutputBox: @unchecked Sendable {
    var data = Data()
}

/// Readable rendering of bytes for failure messages: shows spaces at line ends and missing final newlines.
func visible(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
        .replacingOccurrences(of: "\r", with: "␍")
        .replacingOccurrences(of: " \n", with: "·\n")
        .replacingOccurrences(of: "\t", with: "→")
}
