import SpecSyncCore
import SpecSyncSys

/// One JSON object per line, keys in a fixed order (for `check --format json` and `watch --events`).
public enum JSONLine {
    public static func object(_ result: FileResult, path: String, extra: [(String, String)] = []) -> String {
        var fields: [(String, String)] = extra
        fields.append(("path", quote(FileName.displayed(path))))
        fields.append(("action", quote(result.action.rawValue)))
        fields.append(("valid", result.isValid ? "true" : "false"))
        fields.append(("canonical", result.wasCanonical ? "true" : "false"))
        fields.append(("diagnostics", "[" + result.diagnostics.map(diagnostic).joined(separator: ",") + "]"))
        if let failure = result.failure {
            fields.append(("error", quote(failure.message)))
            fields.append(("error_kind", quote(failure.kind.rawValue)))
        }
        if let reason = result.notWritten { fields.append(("not_written", quote(reason))) }
        return "{" + fields.map { "\(quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    static func diagnostic(_ d: Diagnostic) -> String {
        "{\"line\":\(d.line),\"column\":\(d.column),\"pointer\":\(quote(d.pointer)),\"kind\":\(quote(d.kind.rawValue)),\"message\":\(quote(d.message))}"
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
