import Foundation
import SpecSyncSys

// A generated corpus of concurrent edits to one spec, with the expected merge computed here from a
// small model of specs — independently of specsync's merge code: edits are applied to the model, and a
// pair of edits conflicts when they touch the same place with different results. The model renders
// its own canonical YAML (docs/canonical-form.md) and a deliberately loose spelling (other key order,
// quoted strings, flush lists, plain hashes) that means the same data.

/// Deterministic random numbers (SplitMix64), so every run sees the same corpus.
struct SplitMix {
    private var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> UInt64 { generator.next() }
    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }
    mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }
}

indirect enum MValue: Equatable {
    case str(String)
    case int(Int)
    case seq([MValue])
    case map([MField])

    /// A list item's identity: the string itself, else `id`, else `path`.
    var identity: String? {
        switch self {
        case .str(let s): return s
        case .map(let fields):
            for key in ["id", "path"] { if case .str(let s)? = fields.first(where: { $0.key == key })?.value { return s } }
            return nil
        default: return nil
        }
    }
}

struct MField: Equatable {
    var key: String
    var value: MValue
}

struct MSpec: Equatable {
    var fields: [MField]
    /// Own-line comments above a top-level key (full text, `# …`).
    var leading: [String: [String]] = [:]
    /// End-of-line comment of a top-level scalar key.
    var trailing: [String: String] = [:]

    subscript(key: String) -> MValue? {
        get { fields.first { $0.key == key }?.value }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append(MField(key: key, value: newValue))
            }
        }
    }

    static let topOrder = ["id", "title", "status", "created_at", "quick_mode", "strategic_context", "user_story", "summary",
                           "requirements", "acceptance_criteria", "files_to_modify", "complexity", "estimated_minutes",
                           "priority", "review_feedback", "mvp_explanation", "mvp_override"]
    static let nestedOrder: [String: [String]] = [
        "user_story": ["text", "hash"], "acceptance_criteria": ["id", "description"],
        "files_to_modify": ["action", "path", "description"],
    ]

    // MARK: Rendering

    enum Style { case canonical, loose }

    func render(_ style: Style) -> String {
        var out = ""
        var ordered = fields.sorted { (Self.topOrder.firstIndex(of: $0.key) ?? 99) < (Self.topOrder.firstIndex(of: $1.key) ?? 99) }
        // The loose spelling keeps `id` first (a comment above the first key would become the file's).
        if style == .loose { ordered = [ordered[0]] + ordered.dropFirst().reversed() }
        for field in ordered {
            for comment in leading[field.key] ?? [] { out += comment + "\n" }
            out += field.key + ":"
            let trail = trailing[field.key].map { (style == .canonical ? "  " : " ") + $0 } ?? ""
            switch field.value {
            case .str(let s) where s.contains("\n"):
                out += " |" + trail + "\n" + s.split(separator: "\n").map { "  " + $0 + "\n" }.joined()
            case .str, .int:
                out += " " + Self.scalar(field.value, key: field.key, style) + trail + "\n"
            case .seq(let items):
                if items.isEmpty { out += " []" + trail + "\n"; continue }
                out += trail + "\n"
                let dash = style == .canonical ? "  - " : "- "
                let more = String(repeating: " ", count: dash.count)
                for item in items {
                    if case .map(let entries) = item {
                        for (i, entry) in Self.ordered(entries, field.key, style).enumerated() {
                            out += (i == 0 ? dash : more) + entry.key + ": " + Self.scalar(entry.value, key: entry.key, style) + "\n"
                        }
                    } else {
                        out += dash + Self.scalar(item, key: "", style) + "\n"
                    }
                }
            case .map(let entries):
                out += trail + "\n"
                for entry in Self.ordered(entries, field.key, style) {
                    out += "  " + entry.key + ": " + Self.scalar(entry.value, key: entry.key, style) + "\n"
                }
            }
        }
        return out
    }

    private static func ordered(_ entries: [MField], _ parent: String, _ style: Style) -> [MField] {
        let order = nestedOrder[parent] ?? []
        let sorted = entries.sorted { (order.firstIndex(of: $0.key) ?? 99) < (order.firstIndex(of: $1.key) ?? 99) }
        return style == .canonical ? sorted : sorted.reversed()
    }

    /// The corpus only uses strings that are plain in canonical form, except hashes (digits first, hex
    /// letters: quoted). The loose spelling quotes every string but writes hashes plain, relying on
    /// the ambiguous-scalar rule (`5239e568` is a float to YAML 1.2, the hash string at this place).
    private static func scalar(_ value: MValue, key: String, _ style: Style) -> String {
        switch value {
        case .int(let i): return String(i)
        case .str(let s):
            let isHash = key == "hash"
            switch style {
            case .canonical: return isHash ? "\"" + s + "\"" : s
            case .loose: return isHash ? s : "\"" + s + "\""
            }
        default: return "?"
        }
    }
}

/// One side's edit of the base spec.
enum MOp: Equatable {
    case set(String, MValue)
    case setStory(String, String)
    case delete(String)
    case append(String, MValue)
    case editItem(String, id: String, field: String, value: String)
    case removeItem(String, id: String)
    case comment(String, String, trailing: Bool)

    /// Where in the data the edit writes; nil for comments (no data).
    var location: [String]? {
        switch self {
        case .set(let k, _), .delete(let k): return [k]
        case .setStory(let f, _): return ["user_story", f]
        case .append(let l, let item): return [l, item.identity ?? "?"]
        case .editItem(let l, let id, let f, _): return [l, id, f]
        case .removeItem(let l, let id): return [l, id]
        case .comment: return nil
        }
    }

    func apply(to spec: inout MSpec) {
        switch self {
        case .set(let k, let v): spec[k] = v
        case .delete(let k): spec[k] = nil
        case .setStory(let f, let v):
            guard case .map(var entries)? = spec["user_story"], let i = entries.firstIndex(where: { $0.key == f }) else { return }
            entries[i].value = .str(v)
            spec["user_story"] = .map(entries)
        case .append(let l, let item):
            guard case .seq(var items)? = spec[l] else { return }
            if !items.contains(where: { $0.identity == item.identity }) { items.append(item) }
            spec[l] = .seq(items)
        case .editItem(let l, let id, let f, let v):
            guard case .seq(var items)? = spec[l], let i = items.firstIndex(where: { $0.identity == id }),
                  case .map(var entries) = items[i], let j = entries.firstIndex(where: { $0.key == f }) else { return }
            entries[j].value = .str(v)
            items[i] = .map(entries)
            spec[l] = .seq(items)
        case .removeItem(let l, let id):
            guard case .seq(var items)? = spec[l] else { return }
            items.removeAll { $0.identity == id }
            spec[l] = .seq(items)
        case .comment(let k, let text, let trailing):
            if trailing {
                if let existing = spec.trailing[k], existing != text {
                    // Both sides wrote an end-of-line comment: the second goes on its own line above.
                    if !(spec.leading[k] ?? []).contains(text) { spec.leading[k, default: []].append(text) }
                } else {
                    spec.trailing[k] = text
                }
            } else if !(spec.leading[k] ?? []).contains(text) {
                spec.leading[k, default: []].append(text)
            }
        }
    }

    /// Two edits of the same place that do not agree.
    static func conflict(_ a: MOp, _ b: MOp) -> Bool {
        guard let la = a.location, let lb = b.location else { return false }
        let overlap = la.starts(with: lb) || lb.starts(with: la)
        guard overlap else { return false }
        switch (a, b) {
        case (.set(_, let x), .set(_, let y)): return x != y
        case (.setStory(_, let x), .setStory(_, let y)): return x != y
        case (.delete, .delete): return false
        case (.removeItem, .removeItem): return false
        case (.append(_, let x), .append(_, let y)): return x != y
        case (.editItem(_, _, _, let x), .editItem(_, _, _, let y)): return x != y
        default: return true
        }
    }
}

struct MergeCase {
    var name: String
    var category: String
    var base: MSpec
    var ours: [MOp]
    var theirs: [MOp]
    var oursStyle: MSpec.Style
    var theirsStyle: MSpec.Style

    func side(_ ops: [MOp]) -> MSpec {
        var spec = base
        for op in ops { op.apply(to: &spec) }
        return spec
    }

    var baseText: String { base.render(.canonical) }
    var oursText: String { side(ours).render(oursStyle) }
    var theirsText: String { side(theirs).render(theirsStyle) }

    /// A true conflict: the same place changed differently (deletion against an edit included).
    var expectsConflict: Bool { ours.contains { o in theirs.contains { MOp.conflict(o, $0) } } }

    /// The clean merge: ours' edits, then theirs'.
    var expected: MSpec {
        var spec = base
        for op in ours + theirs { op.apply(to: &spec) }
        // Comments go with their key: a deleted key takes its comments along.
        let present = Set(spec.fields.map(\.key))
        spec.leading = spec.leading.filter { present.contains($0.key) && !$0.value.isEmpty }
        spec.trailing = spec.trailing.filter { present.contains($0.key) }
        return spec
    }
    var expectedText: String { expected.render(.canonical) }

    /// No place (or key's comments) edited by both sides: then undoing ours' edits leaves exactly theirs'.
    var independentEdits: Bool {
        func place(_ op: MOp) -> [String]? {
            if case .comment(let k, _, _) = op { return ["#", k] }
            // Undoing a removal appends the item again: the list's order is then ours' (see SpecMerge).
            if case .removeItem(let list, _) = op { return [list] }
            return op.location
        }
        return ours.allSatisfy { o in theirs.allSatisfy { t in
            guard let a = place(o), let b = place(t) else { return true }
            return !(a.starts(with: b) || b.starts(with: a))
        } }
    }

    /// Only scalar conflicts, so taking ours' side of every conflict block gives "theirs' edits, then ours'".
    var scalarConflictsOnly: Bool {
        ours.allSatisfy { o in theirs.allSatisfy { t in
            !MOp.conflict(o, t) || { if case .set = o, case .set = t { return true }; return false }()
        } }
    }
    var oursWinsText: String {
        var spec = base
        for op in theirs + ours { op.apply(to: &spec) }
        let present = Set(spec.fields.map(\.key))
        spec.leading = spec.leading.filter { present.contains($0.key) && !$0.value.isEmpty }
        spec.trailing = spec.trailing.filter { present.contains($0.key) }
        return spec.render(.canonical)
    }
}

enum MergeCorpus {
    static let statuses = ["draft", "refining", "ready", "todo", "working", "review", "done", "blocked"]
    static let complexities = ["low", "medium", "high", "unknown"]
    static let hashes = ["5d41402a", "5239e568", "9f86d081", "1234e567", "3c59dc04", "8277e091"]
    static let scalarKeys = ["title", "status", "complexity", "estimated_minutes", "priority", "summary"]
    static let optionalKeys = ["status", "complexity", "estimated_minutes", "priority", "summary", "review_feedback", "user_story"]
    static let listKeys = ["requirements", "acceptance_criteria", "files_to_modify", "review_feedback"]
    static let categories = ["different-fields", "same-field-same-value", "same-field-different-values", "list-appends",
                             "reordered-keys", "comments", "deletion-vs-edit", "list-item-edits", "mixed"]

    static func generate(count: Int, seed: UInt64 = 12) -> [MergeCase] {
        var rng = SplitMix(state: seed)
        return (0..<count).map { index in
            let category = categories[index % categories.count]
            var c = MergeCase(name: String(format: "case-%04d", index), category: category, base: base(&rng),
                              ours: [], theirs: [], oursStyle: .canonical, theirsStyle: .canonical)
            fill(&c, &rng)
            return c
        }
    }

    static func base(_ rng: inout SplitMix) -> MSpec {
        var spec = MSpec(fields: [
            MField(key: "id", value: .str("TAND-\(rng.int(100..<999))")),
            MField(key: "title", value: .str("Export report number \(rng.int(1..<50))")),
            MField(key: "status", value: .str(rng.pick(statuses))),
            MField(key: "user_story", value: .map([
                MField(key: "text", value: .str("As a bookkeeper I want export \(rng.int(1..<50))")),
                MField(key: "hash", value: .str(rng.pick(hashes))),
            ])),
            MField(key: "summary", value: .str("Add an export next to the PDF one.\nColumns follow table \(rng.int(1..<9)).\n")),
            MField(key: "requirements", value: .seq((1...rng.int(1..<4)).map { .str("Requirement \($0)") })),
            MField(key: "acceptance_criteria", value: .seq((1...rng.int(1..<4)).map { criterion($0, "Criterion \($0) holds") })),
            MField(key: "files_to_modify", value: .seq((1...rng.int(1..<3)).map { file($0, "Change \($0)") })),
            MField(key: "complexity", value: .str(rng.pick(complexities))),
            MField(key: "estimated_minutes", value: .int(rng.int(5..<120))),
            MField(key: "priority", value: .int(rng.int(1..<5))),
        ])
        if rng.chance(50) { spec["review_feedback"] = .seq([.str("Feedback 1")]) }
        if rng.chance(50) { spec.leading["status"] = ["# where the task is"] }
        return spec
    }

    static func criterion(_ n: Int, _ text: String) -> MValue {
        .map([MField(key: "id", value: .str("ac-\(n)")), MField(key: "description", value: .str(text))])
    }

    static func file(_ n: Int, _ text: String) -> MValue {
        .map([MField(key: "action", value: .str(["create", "modify", "delete"][n % 3])),
              MField(key: "path", value: .str("src/module_\(n).py")), MField(key: "description", value: .str(text))])
    }

    /// A new value for a scalar key, different from `current`.
    static func newValue(_ key: String, _ current: MValue?, _ rng: inout SplitMix) -> MValue {
        while true {
            let v: MValue
            switch key {
            case "title": v = .str("Export report number \(rng.int(50..<5000))")
            case "status": v = .str(rng.pick(statuses))
            case "complexity": v = .str(rng.pick(complexities))
            case "estimated_minutes": v = .int(rng.int(120..<5000))
            case "priority": v = .int(rng.int(5..<500))
            default: v = .str("Rewritten summary \(rng.int(1..<5000)).\nSecond line.\n")
            }
            if v != current { return v }
        }
    }

    static func scalarEdit(_ spec: MSpec, _ rng: inout SplitMix, avoiding: Set<String> = []) -> MOp {
        if rng.chance(20) && !avoiding.contains("user_story") {
            let field = rng.pick(["text", "hash"])
            guard case .map(let entries)? = spec["user_story"],
                  case .str(let old)? = entries.first(where: { $0.key == field })?.value else { return .set("title", newValue("title", spec["title"], &rng)) }
            var value = old
            while value == old { value = field == "hash" ? rng.pick(hashes) : "As a user I want change \(rng.int(1..<5000))" }
            return .setStory(field, value)
        }
        let keys = scalarKeys.filter { !avoiding.contains($0) }
        let key = rng.pick(keys)
        return .set(key, newValue(key, spec[key], &rng))
    }

    static func items(_ spec: MSpec, _ key: String) -> [MValue] {
        if case .seq(let items)? = spec[key] { return items }
        return []
    }

    static func newItem(_ key: String, _ rng: inout SplitMix) -> MValue {
        let n = rng.int(10..<100_000)
        switch key {
        case "acceptance_criteria": return criterion(n, "Criterion \(n) holds")
        case "files_to_modify": return file(n, "Change \(n)")
        case "requirements": return .str("Requirement \(n)")
        default: return .str("Feedback \(n)")
        }
    }

    static func append(_ spec: MSpec, _ rng: inout SplitMix) -> MOp {
        let key = rng.pick(listKeys.filter { spec[$0] != nil })
        return .append(key, newItem(key, &rng))
    }

    static func itemEdit(_ spec: MSpec, _ rng: inout SplitMix, list: String? = nil, id: String? = nil) -> MOp {
        let key = list ?? rng.pick(["acceptance_criteria", "files_to_modify"])
        let target = id ?? rng.pick(items(spec, key)).identity ?? "?"
        return .editItem(key, id: target, field: "description", value: "Edited \(rng.int(1..<100_000))")
    }

    static func comment(_ spec: MSpec, _ rng: inout SplitMix, key: String? = nil, trailing: Bool? = nil) -> MOp {
        let trailingKeys = ["title", "status", "complexity", "estimated_minutes", "priority"].filter { spec[$0] != nil }
        let isTrailing = trailing ?? rng.chance(40)
        let k = key ?? rng.pick(isTrailing ? trailingKeys : spec.fields.map(\.key).filter { $0 != "id" })
        return .comment(k, "# note \(rng.int(1..<100_000))", trailing: isTrailing)
    }

    static func fill(_ c: inout MergeCase, _ rng: inout SplitMix) {
        let b = c.base
        switch c.category {
        case "different-fields":
            let o = scalarEdit(b, &rng)
            c.ours = [o]
            c.theirs = [scalarEdit(b, &rng, avoiding: Set(o.location.map { [$0[0]] } ?? []))]
        case "same-field-same-value":
            let o = scalarEdit(b, &rng)
            c.ours = [o]; c.theirs = [o]
            // The same value spelled differently (quoted against a plain hash, other key order) is still the same.
            if rng.chance(50) { c.theirsStyle = .loose }
        case "same-field-different-values":
            let o = scalarEdit(b, &rng)
            var t = o
            while t == o {
                switch o {
                case .set(let k, _): t = .set(k, newValue(k, b[k], &rng))
                case .setStory(let f, _): t = .setStory(f, f == "hash" ? rng.pick(hashes) : "As a user I want change \(rng.int(1..<5000))")
                default: break
                }
            }
            if case .setStory(let f, let v) = t, case .map(let entries)? = b["user_story"],
               entries.first(where: { $0.key == f })?.value == .str(v) { t = .setStory("text", "Theirs story \(rng.int(1..<999))") }
            c.ours = [o]; c.theirs = [t]
            if rng.chance(50) { c.ours.append(append(b, &rng)) }
        case "list-appends":
            let key = rng.pick(listKeys.filter { b[$0] != nil })
            let shared = newItem(key, &rng)
            c.ours = [.append(key, rng.chance(15) ? shared : newItem(key, &rng))]
            c.theirs = [.append(key, rng.chance(15) ? shared : newItem(key, &rng))]
            if rng.chance(30) { c.theirs.append(append(b, &rng)) }
            if rng.chance(20), let victim = items(b, key).first?.identity { c.ours.append(.removeItem(key, id: victim)) }
        case "reordered-keys":
            if rng.chance(50) { c.oursStyle = .loose } else { c.theirsStyle = .loose }
            switch rng.int(0..<3) {
            case 0: c.ours = [scalarEdit(b, &rng)]
            case 1: c.theirs = [scalarEdit(b, &rng)]
            default:
                let o = scalarEdit(b, &rng)
                c.ours = [o]; c.theirs = [append(b, &rng)]
            }
        case "comments":
            switch rng.int(0..<4) {
            case 0:  // different keys
                let o = comment(b, &rng)
                var t = comment(b, &rng)
                while case .comment(let k1, _, _) = o, case .comment(let k2, _, _) = t, k1 == k2 { t = comment(b, &rng) }
                c.ours = [o]; c.theirs = [t]
            case 1:  // the same key, each its own comment
                let trailing = rng.chance(50)
                guard case .comment(let k, _, _) = comment(b, &rng, trailing: trailing) else { return }
                c.ours = [comment(b, &rng, key: k, trailing: trailing)]
                c.theirs = [comment(b, &rng, key: k, trailing: trailing)]
            case 2:  // the same comment on both sides
                let o = comment(b, &rng)
                c.ours = [o]; c.theirs = [o]
            default:  // a comment on one side, a data edit on the other
                c.ours = [comment(b, &rng)]; c.theirs = [rng.chance(50) ? scalarEdit(b, &rng) : append(b, &rng)]
            }
        case "deletion-vs-edit":
            let key = rng.pick(optionalKeys.filter { b[$0] != nil })
            var edit: MOp
            switch key {
            case "user_story": edit = .setStory("text", "Edited story \(rng.int(1..<9999))")
            case "review_feedback": edit = .append(key, newItem(key, &rng))
            default: edit = .set(key, newValue(key, b[key], &rng))
            }
            switch rng.int(0..<4) {
            case 0: c.ours = [.delete(key)]; c.theirs = [edit]
            case 1: c.ours = [edit]; c.theirs = [.delete(key)]
            case 2:  // a list item deleted against edited
                let list = rng.pick(["acceptance_criteria", "files_to_modify"])
                let id = rng.pick(items(b, list)).identity ?? "?"
                c.ours = [.removeItem(list, id: id)]; c.theirs = [itemEdit(b, &rng, list: list, id: id)]
            default:  // a deletion against an edit elsewhere: clean
                c.ours = [.delete(key)]
                c.theirs = [scalarEdit(b, &rng, avoiding: [key])]
            }
        case "list-item-edits":
            let list = rng.pick(["acceptance_criteria", "files_to_modify"])
            let all = items(b, list).compactMap(\.identity)
            let first = rng.pick(all)
            c.ours = [itemEdit(b, &rng, list: list, id: first)]
            if all.count > 1 && rng.chance(60) {
                c.theirs = [itemEdit(b, &rng, list: list, id: all.first { $0 != first })]
            } else if rng.chance(50) {
                c.theirs = [itemEdit(b, &rng, list: list, id: first)]  // the same item: a conflict
            } else {
                c.theirs = [append(b, &rng)]
            }
        default:  // mixed: a few edits of any kind on each side
            for side in 0..<2 {
                var ops: [MOp] = []
                var commented: Set<String> = []
                for _ in 0..<rng.int(1..<4) {
                    let op: MOp
                    switch rng.int(0..<5) {
                    case 0: op = scalarEdit(b, &rng)
                    case 1: op = append(b, &rng)
                    case 2: op = itemEdit(b, &rng)
                    case 3:
                        guard case .comment(let k, let t, let tr) = comment(b, &rng), commented.insert(k).inserted else { continue }
                        op = .comment(k, t, trailing: tr)
                    default: op = rng.chance(50) ? .delete(rng.pick(optionalKeys.filter { b[$0] != nil })) : .removeItem("requirements", id: "Requirement 1")
                    }
                    // One edit per place and side.
                    if let l = op.location, ops.contains(where: { $0.location.map { $0.starts(with: l) || l.starts(with: $0) } ?? false }) { continue }
                    ops.append(op)
                }
                if side == 0 { c.ours = ops } else { c.theirs = ops }
            }
            if rng.chance(25) { c.theirsStyle = .loose }
        }
    }
}
