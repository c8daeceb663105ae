// Random realistic specs for the property tests: random data (tricky strings included), rendered
// in a random layout (indent 2/4, flow or block, quoting styles, shuffled keys) with comments in
// legal places. The generator knows the data and every comment it wrote, so tests can check them.
@testable import SpecSyncCore
import SpecSyncSchemaTestSupport

struct GeneratedComment: Hashable {
    enum Kind { case ownLine, endOfLine }
    var text: String
    var kind: Kind
}

struct GeneratedSpec {
    var text: String
    var data: JSONValue
    var comments: [GeneratedComment]
}

/// A scalar together with how it may be written: `plain` is the source spelling when one is safe.
private struct GScalar {
    var value: JSONValue
    var plain: String?
}

private indirect enum GValue {
    case scalar(GScalar)
    case sequence([GValue])
    case mapping([(String, GValue)])

    var json: JSONValue {
        switch self {
        case .scalar(let s): return s.value
        case .sequence(let items): return .array(items.map(\.json))
        case .mapping(let entries): return .object(JSONObject(entries.map { ($0.0, $0.1.json) }))
        }
    }
}

struct SpecGenerator {
    var rng: SeededRandom
    private var out = ""
    private var comments: [GeneratedComment] = []
    private var commentCounter = 0
    private var step = 2
    /// Comments make layouts busier; a per-document density keeps some documents nearly bare.
    private var commentRate = 0.2
    /// After a keep-chomped literal (`|+`) a blank line would become content.
    private var lastWasKeepBlock = false
    /// The text ends with literal block content, whose final line break is data.
    private var lastWasBlockScalar = false

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    mutating func generate() -> GeneratedSpec {
        out = ""
        comments = []
        step = chance(0.5) ? 2 : 4
        commentRate = [0.0, 0.15, 0.4][int(3)]
        lastWasKeepBlock = false
        let root = makeSpec()
        if chance(0.4) {
            out += comment(.ownLine) + "\n"
            if chance(0.5) { out += "\n" }
        }
        if chance(0.15) { out += "---\n" }
        guard case .mapping(let entries) = root else { fatalError("spec root is a mapping") }
        renderMappingBlock(entries, indent: 0, topLevel: true, firstInline: false)
        if chance(commentRate) { out += comment(.ownLine) + "\n"; lastWasKeepBlock = false }
        // Byte-level mess the canonical form removes: a missing final newline (unless that would
        // change a keep-chomped block), CRLF line ends, a byte-order mark.
        // (A byte-order mark is covered by its own tests: the property tests stay about layout.)
        if !lastWasBlockScalar && chance(0.1) { out.removeLast() }
        if chance(0.1) { out = out.replacingOccurrences(of: "\n", with: "\r\n") }
        return GeneratedSpec(text: out, data: root.json, comments: comments)
    }

    // MARK: Random helpers

    private mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    private mutating func int(_ upper: Int) -> Int { Int.random(in: 0..<upper, using: &rng) }
    private mutating func pick<T>(_ xs: [T]) -> T { xs[int(xs.count)] }

    // MARK: Data

    private static let statuses = ["draft", "refining", "ready", "assigned", "working", "blocked", "paused", "review",
                                   "done", "rejected", "failed"]
    /// Strings whose plain spelling reads back as that string under YAML 1.2 (some not under 1.1).
    private static let plainStrings = [
        "Export monthly report as CSV", "Fix login timeout", "src/reports/csv_export.py", "ac-1", "csv-export",
        "yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "a#b", "a:b", "v1.2.3", "1,000", "3 apples",
        "it's", "say \"hi\"", "back\\slash", "naïve café", "日本語", "🚀 launch", "deadbeef", "100%",
        "2025-03-02T09:15:00Z", "2025-01-10", "12:30", "1_000", "0b101", "=x", "~tilde", "a, b", "x{y}",
        "Round trip keeps every amount", "CUJ-3", "Month-end close", "UTF-8 with a header row",
    ]
    /// Strings that must be quoted to be strings (or at all).
    private static let quotedStrings = [
        "null", "~", "true", "False", "0755", "1.10", "1e3", "0x1F", "0o17", ".inf", ".nan", "-0", "+1", "010",
        ": x", "# y", "a: b", "a #b", "-", "- item", "[x]", "{y}", "*star", "&amp", "!tag", "%p", "@a", "`b",
        "'q'", "\"dq\"", "", " ", " lead", "trail ", "tab\there", "\u{A0}nbsp", "a\u{2028}b", "x\u{85}y",
        "\u{FEFF}bom", "ctrl\u{1}x", "del\u{7F}", "<<", "=", "?", ",", "5d41402a", "12345678", "1.0", "|pipe",
        ">gt", "ends:", "trailing tab\t", "emoji 🚀 and spaces  ", "\\", "\"", "'",
    ]
    private static let lines = [
        "Add a CSV export next to the existing PDF export.", "Columns follow the on-screen table.",
        "  indented line", "# not a comment", "- not a list", "key: not a mapping", "trailing spaces  ",
        "tab\tinside", "ünïcödé", "", "\"quoted\" and 'quoted'", "    deeper",
    ]

    private mutating func trickyString() -> GScalar {
        switch int(10) {
        case 0...3:
            let s = pick(Self.plainStrings)
            return GScalar(value: .string(s), plain: s)
        case 4...7:
            return GScalar(value: .string(pick(Self.quotedStrings)), plain: nil)
        default:
            return GScalar(value: .string(multiLineString()), plain: nil)
        }
    }

    private mutating func multiLineString() -> String {
        var parts: [String] = []
        for _ in 0..<(1 + int(4)) { parts.append(pick(Self.lines)) }
        if parts.count == 1 { parts.append(pick(Self.lines)) }
        var s = parts.joined(separator: "\n")
        s += ["", "\n", "\n", "\n\n"][int(4)]
        return s
    }

    private mutating func words() -> GScalar {
        let s = pick(Self.plainStrings.filter { $0.first?.isLetter == true && !$0.contains("\\") })
        return GScalar(value: .string(s), plain: s)
    }

    private mutating func nullScalar() -> GScalar {
        GScalar(value: .null, plain: pick(["null", "~", "Null", "NULL", ""]))
    }

    private mutating func boolScalar() -> GScalar {
        let b = chance(0.5)
        return GScalar(value: .bool(b), plain: pick(b ? ["true", "True", "TRUE"] : ["false", "False", "FALSE"]))
    }

    private mutating func intScalar(_ range: ClosedRange<Int>) -> GScalar {
        let i = Int.random(in: range, using: &rng)
        var spelling = String(i)
        if i >= 0 {
            switch int(6) {
            case 0: spelling = "0o" + String(i, radix: 8)
            case 1: spelling = "0x" + String(i, radix: 16, uppercase: chance(0.5))
            case 2: spelling = "+" + String(i)
            default: break
            }
        }
        return GScalar(value: .integer(i), plain: spelling)
    }

    private mutating func floatScalar() -> GScalar {
        let (spelling, value) = pick([("1.5", 1.5), ("1e3", 1000.0), (".5", 0.5), ("-2.5E-3", -0.0025),
                                      ("1.0e+20", 1e20), (".inf", Double.infinity), ("-.Inf", -Double.infinity),
                                      ("0.1", 0.1), ("2.", 2.0), (".nan", Double.nan)])
        return GScalar(value: .number(value), plain: spelling)
    }

    private mutating func stringList(_ maxCount: Int) -> GValue {
        .sequence((0..<int(maxCount + 1)).map { _ in .scalar(trickyString()) })
    }

    private mutating func makeSpec() -> GValue {
        var entries: [(String, GValue)] = []
        let id = "TAND-\(int(999))"
        entries.append(("id", .scalar(GScalar(value: .string(id), plain: chance(0.5) ? id : nil))))
        entries.append(("title", .scalar(trickyString())))
        if chance(0.8) {
            let status = pick(Self.statuses)
            entries.append(("status", .scalar(GScalar(value: .string(status), plain: chance(0.7) ? status : nil))))
        }
        if chance(0.7) {
            let date = "2025-0\(1 + int(9))-1\(int(10))T0\(int(10)):15:00Z"
            entries.append(("created_at", .scalar(GScalar(value: .string(date), plain: chance(0.3) ? date : nil))))
        }
        if chance(0.6) { entries.append(("quick_mode", .scalar(boolScalar()))) }
        if chance(0.6) {
            var ctx: [(String, GValue)] = []
            for key in ["cuj_id", "cuj_name", "feature_id"] where chance(0.8) {
                ctx.append((key, .scalar(chance(0.3) ? nullScalar() : trickyString())))
            }
            if chance(0.6) { ctx.append(("mvp_included", .scalar(chance(0.3) ? nullScalar() : boolScalar()))) }
            if chance(0.4) { ctx.append(("mvp_status", .scalar(words()))) }
            if chance(0.2) { ctx.append(("x_extra", .scalar(trickyString()))) }
            ctx.shuffle(using: &rng)
            entries.append(("strategic_context", .mapping(ctx)))
        }
        if chance(0.6) {
            if chance(0.3) {
                entries.append(("user_story", .scalar(nullScalar())))
            } else {
                let hash = pick(["5d41402a", "deadbeef", "0000ffff", "12345678", "abcdef01"])
                var story: [(String, GValue)] = [("text", .scalar(trickyString())),
                                                 ("hash", .scalar(GScalar(value: .string(hash), plain: nil)))]
                if chance(0.5) { story.reverse() }
                entries.append(("user_story", .mapping(story)))
            }
        }
        if chance(0.8) { entries.append(("summary", .scalar(GScalar(value: .string(multiLineString()), plain: nil)))) }
        if chance(0.7) { entries.append(("requirements", stringList(4))) }
        if chance(0.7) {
            var criteria: [GValue] = []
            for i in 0..<int(4) {
                var item: [(String, GValue)] = [("id", .scalar(GScalar(value: .string("ac-\(i + 1)"), plain: "ac-\(i + 1)"))),
                                                ("description", .scalar(trickyString()))]
                if chance(0.2) { item.append(("note", .scalar(trickyString()))) }
                item.shuffle(using: &rng)
                criteria.append(.mapping(item))
            }
            entries.append(("acceptance_criteria", .sequence(criteria)))
        }
        if chance(0.6) {
            var files: [GValue] = []
            for _ in 0..<int(4) {
                let path = pick(["src/a.py", "src/reports/__init__.py", "Sources/App/main.swift", "README.md"])
                if chance(0.4) {
                    files.append(.scalar(GScalar(value: .string(path), plain: path)))
                } else {
                    let action = pick(["create", "modify", "delete"])
                    var item: [(String, GValue)] = [
                        ("action", .scalar(GScalar(value: .string(action), plain: chance(0.5) ? action : nil))),
                        ("path", .scalar(GScalar(value: .string(path), plain: chance(0.5) ? path : nil))),
                    ]
                    if chance(0.7) { item.append(("description", .scalar(trickyString()))) }
                    item.shuffle(using: &rng)
                    files.append(.mapping(item))
                }
            }
            entries.append(("files_to_modify", .sequence(files)))
        }
        if chance(0.7) {
            let c = pick(["low", "medium", "high", "unknown"])
            entries.append(("complexity", .scalar(GScalar(value: .string(c), plain: chance(0.5) ? c : nil))))
        }
        if chance(0.6) { entries.append(("estimated_minutes", .scalar(chance(0.2) ? nullScalar() : intScalar(0...600)))) }
        if chance(0.8) { entries.append(("priority", .scalar(intScalar(1...5)))) }
        if chance(0.4) { entries.append(("review_feedback", stringList(3))) }
        if chance(0.2) { entries.append(("mvp_explanation", stringList(2))) }
        if chance(0.1) { entries.append(("mvp_override", .scalar(GScalar(value: .string("acknowledged"), plain: "acknowledged")))) }
        // Unknown keys: newer Tandemonium versions add fields; they are kept after the known ones.
        for key in ["x_custom", "ticket url", "z-last"] where chance(0.2) {
            entries.append((key, unknownValue(depth: 0)))
        }
        entries.shuffle(using: &rng)
        return .mapping(entries)
    }

    private mutating func unknownValue(depth: Int) -> GValue {
        switch depth < 2 ? int(7) : int(4) {
        case 0: return .scalar(floatScalar())
        case 1: return .scalar(intScalar(-50...50))
        case 2: return .scalar(trickyString())
        case 3: return .scalar(chance(0.5) ? boolScalar() : nullScalar())
        case 4: return .sequence((0..<int(3)).map { _ in unknownValue(depth: depth + 1) })
        default:
            let keys = ["b", "a", "id", "title", "yes", "1", "nested key"]
            var entries: [(String, GValue)] = []
            for key in keys.shuffled(using: &rng).prefix(int(4)) { entries.append((key, unknownValue(depth: depth + 1))) }
            return .mapping(entries)
        }
    }

    // MARK: Comments

    private mutating func comment(_ kind: GeneratedComment.Kind) -> String {
        commentCounter += 1
        lastWasBlockScalar = false
        let extras = ["", " about: this", " # nested hash", " 'quoted' \"text\"", " ünïcödé 🚀", " - looks like a list",
                      " key: value", " [flow]", " trailing-hash#"]
        let text = "#" + (chance(0.8) ? " " : "") + "note-\(commentCounter)" + pick(extras)
        comments.append(GeneratedComment(text: text, kind: kind))
        return text
    }

    private mutating func eolComment() -> String {
        guard chance(commentRate) else { return "" }
        return pick([" ", "  ", "    ", "\t"]) + comment(.endOfLine)
    }

    private mutating func ownLineComments(indent: Int) {
        guard chance(commentRate) else { return }
        for _ in 0..<(1 + int(2)) { out += String(repeating: " ", count: indent) + comment(.ownLine) + "\n" }
        lastWasKeepBlock = false
    }

    // MARK: Rendering

    private mutating func renderMappingBlock(_ entries: [(String, GValue)], indent: Int, topLevel: Bool, firstInline: Bool) {
        for (i, (key, value)) in entries.enumerated() {
            let inline = firstInline && i == 0
            if !inline {
                if topLevel && i > 0 && !lastWasKeepBlock && chance(0.25) {
                    out += chance(0.7) ? "\n" : "\n\n"
                }
                ownLineComments(indent: indent)
                out += String(repeating: " ", count: indent)
            }
            out += renderKey(key) + (chance(0.1) ? " :" : ":")
            renderValueAfterKey(value, indent: indent)
        }
        if !topLevel && chance(commentRate / 2) {
            out += String(repeating: " ", count: indent) + comment(.ownLine) + "\n"
            lastWasKeepBlock = false
        }
    }

    private mutating func renderKey(_ key: String) -> String {
        if key.contains(" ") || key == "yes" || key == "1" || chance(0.05) {
            return chance(0.5) ? doubleQuoted(key) : singleQuoted(key) ?? doubleQuoted(key)
        }
        return key
    }

    private mutating func renderValueAfterKey(_ value: GValue, indent: Int) {
        lastWasKeepBlock = false
        lastWasBlockScalar = false
        switch value {
        case .scalar(let s):
            renderScalarInBlock(s, indent: indent, prefix: " ")
        case .sequence(let items):
            if items.isEmpty {
                out += pick([" []", " [ ]"]) + eolComment() + "\n"
            } else if let flow = flowText(value), chance(0.25) {
                out += " " + flow + eolComment() + "\n"
            } else if chance(0.1), let flowLines = multiLineFlowSequence(items, indent: indent) {
                out += " " + flowLines
            } else {
                out += eolComment() + "\n"
                renderSequenceBlock(items, indent: chance(0.3) ? indent : indent + step)
            }
        case .mapping(let entries):
            if entries.isEmpty {
                out += pick([" {}", " { }"]) + eolComment() + "\n"
            } else if let flow = flowText(value), chance(0.2) {
                out += " " + flow + eolComment() + "\n"
            } else {
                out += eolComment() + "\n"
                renderMappingBlock(entries, indent: indent + step, topLevel: false, firstInline: false)
            }
        }
    }

    private mutating func renderSequenceBlock(_ items: [GValue], indent: Int) {
        for item in items {
            ownLineComments(indent: indent)
            out += String(repeating: " ", count: indent) + "-"
            lastWasKeepBlock = false
            lastWasBlockScalar = false
            switch item {
            case .scalar(let s):
                renderScalarInBlock(s, indent: indent, prefix: " ")
            case .mapping(let entries) where !entries.isEmpty:
                if chance(0.15) {
                    out += "\n" + String(repeating: " ", count: indent + step)
                    renderMappingBlock(entries, indent: indent + step, topLevel: false, firstInline: true)
                } else {
                    let gap = 1 + (chance(0.2) ? int(3) : (step - 1))
                    out += String(repeating: " ", count: gap)
                    renderMappingBlock(entries, indent: indent + 1 + gap, topLevel: false, firstInline: true)
                }
            case .sequence(let inner) where !inner.isEmpty:
                if let flow = flowText(item) {
                    out += " " + flow + eolComment() + "\n"
                } else {
                    out += "\n"
                    renderSequenceBlock(inner, indent: indent + step)
                }
            case .mapping: out += " {}\n"
            case .sequence: out += " []\n"
            }
        }
        if chance(commentRate / 2) {
            out += String(repeating: " ", count: indent) + comment(.ownLine) + "\n"
            lastWasKeepBlock = false
        }
    }

    /// A scalar after `key:` or `-` at `indent`; block scalars put their content at `indent + step`.
    private mutating func renderScalarInBlock(_ s: GScalar, indent: Int, prefix: String) {
        if let plain = s.plain, chance(0.8) || s.value != .string(plain) {
            if plain.isEmpty {
                out += eolComment().replacingOccurrences(of: "\t", with: " ") + "\n"  // `key:` with no value is null
            } else {
                out += prefix + plain + eolComment() + "\n"
            }
            return
        }
        guard case .string(let text) = s.value else {
            out += prefix + (s.plain ?? "null") + eolComment() + "\n"
            return
        }
        if let literal = literalBlock(text, indent: indent + step), chance(0.7) {
            out += prefix + literal.header + eolComment() + "\n" + literal.body
            lastWasKeepBlock = literal.keep
            lastWasBlockScalar = true
            return
        }
        if let folded = foldedDoubleQuoted(text, indent: indent + step), chance(0.3) {
            out += prefix + folded + eolComment() + "\n"
            return
        }
        if let single = singleQuoted(text), chance(0.4) {
            out += prefix + single + eolComment() + "\n"
            return
        }
        out += prefix + doubleQuoted(text) + eolComment() + "\n"
    }

    // MARK: Scalar spellings

    private static func isSafeInQuotes(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v < 0x20 || v == 0x7F { return false }
        if v >= 0x80 && v < 0xA0 { return false }
        return v != 0x2028 && v != 0x2029 && v != 0xFEFF
    }

    private mutating func doubleQuoted(_ s: String) -> String {
        var out = "\""
        let escapeNonASCII = chance(0.2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += chance(0.5) ? "\\t" : "\t"
            default:
                if !Self.isSafeInQuotes(u) || (escapeNonASCII && u.value > 0x7F) {
                    out += u.value <= 0xFF ? "\\x" + hex2(u.value) : (u.value <= 0xFFFF ? "\\u" + hex4(u.value) : "\\U" + hex8(u.value))
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private func singleQuoted(_ s: String) -> String? {
        guard s.unicodeScalars.allSatisfy({ Self.isSafeInQuotes($0) }) else { return nil }
        return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A double-quoted scalar over several source lines: an empty line stands for `\n`, a line break
    /// between words for a space. Only for strings whose lines have no edge whitespace.
    private mutating func foldedDoubleQuoted(_ s: String, indent: Int) -> String? {
        let segments = s.split(separator: "\n", omittingEmptySubsequences: false)
        guard segments.count > 1 || s.contains(" ") else { return nil }
        for segment in segments {
            guard let first = segment.unicodeScalars.first, let last = segment.unicodeScalars.last else { return nil }
            if first == " " || first == "\t" || last == " " || last == "\t" { return nil }
            if segment.contains("  ") || segment.contains("\t") { return nil }
        }
        let pad = String(repeating: " ", count: indent)
        var parts: [String] = []
        for segment in segments {
            var escaped = String(doubleQuoted(String(segment)).dropFirst().dropLast())
            if chance(0.5), let space = escaped.firstIndex(of: " ") {
                escaped.replaceSubrange(space...space, with: "\n" + pad)
            }
            parts.append(escaped)
        }
        return "\"" + parts.joined(separator: "\n\n" + pad) + "\""
    }

    /// A literal block when the text allows one written simply: content lines indented by `indent`.
    private func literalBlock(_ s: String, indent: Int) -> (header: String, body: String, keep: Bool)? {
        guard s.contains("\n"), s.unicodeScalars.allSatisfy({ $0 == "\n" || $0 == "\t" || Self.isSafeInQuotes($0) }) else {
            return nil
        }
        var body = Substring(s)
        var trailing = 0
        while body.hasSuffix("\n") { body = body.dropLast(); trailing += 1 }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, !first.isEmpty, !first.hasPrefix(" "), !first.hasPrefix("\t") else { return nil }
        // A whitespace-only line would be read as an empty line or as indentation: avoid.
        guard !lines.contains(where: { !$0.isEmpty && $0.allSatisfy { $0 == " " || $0 == "\t" } }) else { return nil }
        let pad = String(repeating: " ", count: indent)
        var text = ""
        for line in lines { text += line.isEmpty ? "\n" : pad + line + "\n" }
        let chomp: String
        switch trailing {
        case 0: chomp = "-"
        case 1: chomp = ""
        default:
            chomp = "+"
            text += String(repeating: "\n", count: trailing - 1)
        }
        return ("|" + chomp, text, trailing > 1)
    }

    /// `[a, "b"]` / `{k: v}` when every scalar inside has a flow-safe spelling.
    private mutating func flowText(_ value: GValue) -> String? {
        switch value {
        case .scalar(let s):
            if let plain = s.plain, !plain.isEmpty,
               !plain.contains(where: { ",[]{}#".contains($0) }), !plain.contains(": "), plain.first != "-" || s.value != .string(plain) {
                return plain
            }
            guard case .string(let text) = s.value else { return nil }
            return doubleQuoted(text)
        case .sequence(let items):
            var parts: [String] = []
            for item in items {
                guard let p = flowText(item) else { return nil }
                parts.append(p)
            }
            return chance(0.5) ? "[" + parts.joined(separator: ", ") + "]" : "[ " + parts.joined(separator: " ,") + " ]"
        case .mapping(let entries):
            var parts: [String] = []
            for (key, v) in entries {
                guard let p = flowText(v) else { return nil }
                parts.append(doubleQuotedKeyIfNeeded(key) + ": " + p)
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }

    private mutating func doubleQuotedKeyIfNeeded(_ key: String) -> String {
        key.contains(" ") || key == "yes" || key == "1" ? doubleQuoted(key) : key
    }

    /// `[` then one item per line with optional end-of-line comments, `]` on its own line.
    private mutating func multiLineFlowSequence(_ items: [GValue], indent: Int) -> String? {
        var parts: [String] = []
        for item in items {
            guard case .scalar = item, let p = flowText(item) else { return nil }
            parts.append(p)
        }
        let pad = String(repeating: " ", count: indent + step)
        var text = "[" + eolComment() + "\n"
        for (i, p) in parts.enumerated() {
            if chance(commentRate / 2) { text += pad + comment(.ownLine) + "\n" }
            text += pad + p + (i < parts.count - 1 ? "," : "") + eolComment() + "\n"
        }
        return text + pad + "]\n"
    }
}

private func hex2(_ v: UInt32) -> String { pad(String(v, radix: 16, uppercase: true), 2) }
private func hex4(_ v: UInt32) -> String { pad(String(v, radix: 16, uppercase: true), 4) }
private func hex8(_ v: UInt32) -> String { pad(String(v, radix: 16, uppercase: true), 8) }
private func pad(_ s: String, _ n: Int) -> String { String(repeating: "0", count: max(0, n - s.count)) + s }
