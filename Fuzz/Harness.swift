// libFuzzer entry point for the core: parse → validate → emit, with invariants.
// Built by scripts/fuzz together with Sources/SpecSyncCore and Sources/SpecSyncSchema (one module, so
// internals are visible).
//
// Invariants, for every input:
//  - where the block scanner reads the input, its events are libyaml's (kinds, marks, styles, values);
//  - no crash, no sanitizer report, no hang (libFuzzer's -timeout), bounded memory (-rss_limit_mb);
//  - when the parser read the document without findings (schema findings aside): formatting the
//    canonical form again gives the same bytes (idempotent), it holds the same data (YAML 1.2
//    reading), and every comment of the input is still there.
import Foundation

private let processor: SpecProcessor = {
    let path = ProcessInfo.processInfo.environment["SPECSYNC_FUZZ_SCHEMA"] ?? "config/task-spec.schema.json"
    guard let data = FileManager.default.contents(atPath: path),
          let schema = try? Schema.load(json: [UInt8](data), source: path) else {
        fatalError("fuzz harness: cannot load the schema at \(path) (run from the repository root or set SPECSYNC_FUZZ_SCHEMA)")
    }
    return SpecProcessor(validator: schema)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    // Where the block scanner reads an input instead of libyaml, it must give libyaml's events.
    if let ours = BlockScanner.valuedEvents(bytes) {
        let reference = BlockScanner.libyamlValuedEvents(bytes)
        if ours != reference {
            fail("the block scanner disagrees with libyaml", bytes, [], "ours:\n\(ours.map(\.description).joined(separator: "\n"))\nlibyaml:\n\(reference.map { $0.map(\.description).joined(separator: "\n") } ?? "an error")")
        }
    }
    let first = processor.analyze(bytes)
    // Inputs the parser flags (unsupported tags, empty keys, out-of-range numbers) are never written,
    // so only faithfully read documents must round-trip; schema findings do not matter here.
    guard let canonical = first.canonical, let document = first.document,
          first.diagnostics.allSatisfy({ $0.kind == .schema }) else { return 0 }
    let second = processor.analyze(canonical)
    guard let again = second.canonical, let reread = second.document else {
        fail("the canonical form does not parse", bytes, canonical, second.diagnostics.map(\.message).joined(separator: "; "))
    }
    if again != canonical { fail("not idempotent", bytes, canonical, String(decoding: again, as: UTF8.self)) }
    if !sameData(document.root.json, reread.root.json) { fail("data changed", bytes, canonical, "") }
    let before = comments(document), after = comments(reread)
    if before != after { fail("comments changed: \(before) → \(after)", bytes, canonical, "") }
    return 0
}

private func fail(_ what: String, _ input: [UInt8], _ canonical: [UInt8], _ detail: String) -> Never {
    FileHandle.standardError.write(Data("""
        fuzz invariant broken: \(what)
        --- input (\(input.count) bytes)
        \(String(decoding: input, as: UTF8.self))
        --- canonical
        \(String(decoding: canonical, as: UTF8.self))
        --- detail
        \(detail)

        """.utf8))
    abort()
}

/// Equality where NaN equals NaN (`.nan` reads back as NaN).
private func sameData(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameData($0, $1) }
    case (.object(let x), .object(let y)):
        return x.pairs.count == y.pairs.count
            && x.pairs.allSatisfy { pair in y[pair.key].map { sameData(pair.value, $0) } ?? false }
    default: return a == b
    }
}

/// Every comment text in the document, sorted (the emitter may move own-line comments with their keys).
private func comments(_ document: YAMLDocument) -> [String] {
    var out: [String] = []
    func trivia(_ lines: [TriviaLine]) { for case .comment(let c) in lines { out.append(c) } }
    func walk(_ node: Node) {
        trivia(node.comments.leading)
        if let t = node.comments.trailing { out.append(t) }
        trivia(node.comments.endOfBlock)
        switch node.kind {
        case .sequence(let items): items.forEach(walk)
        case .mapping(let entries): for e in entries { walk(e.key); walk(e.value) }
        default: break
        }
    }
    trivia(document.leadingComments)
    walk(document.root)
    return out.sorted()
}
