/// Git's conflict markers: writing them (a three-way line merge in diff3 style) and finding them in a
/// spec, where they make the file invalid until someone resolves the conflict.
public enum ConflictMarkers {
    public static let size = 7

    public struct Labels: Sendable, Hashable {
        public var ours: String
        public var base: String
        public var theirs: String

        public init(ours: String = "ours", base: String = "base", theirs: String = "theirs") {
            self.ours = ours
            self.base = base
            self.theirs = theirs
        }
    }

    /// Three-way merge of texts by lines, in git's diff3 style. Regions only one side changed take that
    /// side, unless `everyChangeConflicts`: then every changed region is written as a conflict (used when
    /// the texts differ only where the structural merge found conflicts, so none may pass silently).
    public static func merge(base: String, ours: String, theirs: String, labels: Labels = Labels(),
                             everyChangeConflicts: Bool) -> (text: String, conflicts: Int) {
        let b = LineDiff.lines(base), o = LineDiff.lines(ours), t = LineDiff.lines(theirs)
        let toOurs = matches(b, o), toTheirs = matches(b, t)
        var out = ""
        var conflicts = 0
        var i = 0, j = 0, k = 0
        func emitChunk(_ bEnd: Int, _ oEnd: Int, _ tEnd: Int) {
            let bc = b[i..<bEnd], oc = o[j..<oEnd], tc = t[k..<tEnd]
            if !everyChangeConflicts && Array(oc) == Array(bc) {
                out += tc.joined()
            } else if !everyChangeConflicts && (Array(tc) == Array(bc) || Array(oc) == Array(tc)) {
                out += oc.joined()
            } else {
                conflicts += 1
                out += marker("<", labels.ours) + terminated(oc)
                out += marker("|", labels.base) + terminated(bc)
                out += String(repeating: "=", count: size) + "\n" + terminated(tc)
                out += marker(">", labels.theirs)
            }
        }
        while i < b.count || j < o.count || k < t.count {
            if i < b.count && toOurs[i] == j && toTheirs[i] == k {
                out += b[i]
                i += 1; j += 1; k += 1
                continue
            }
            // The changed region ends at the next base line both sides kept.
            var next = i
            while next < b.count && (toOurs[next] < 0 || toTheirs[next] < 0) { next += 1 }
            if next < b.count {
                emitChunk(next, toOurs[next], toTheirs[next])
                i = next; j = toOurs[next]; k = toTheirs[next]
            } else {
                emitChunk(b.count, o.count, t.count)
                i = b.count; j = o.count; k = t.count
            }
        }
        return (out, conflicts)
    }

    /// For each line of `a`, the index of the line of `b` it is kept as, or -1.
    private static func matches(_ a: [String], _ b: [String]) -> [Int] {
        var map = [Int](repeating: -1, count: a.count)
        for op in LineDiff.editScript(a, b) where op.kind == .same { map[op.oldIndex] = op.newIndex }
        return map
    }

    private static func marker(_ character: Character, _ label: String) -> String {
        String(repeating: character, count: size) + (label.isEmpty ? "" : " " + label) + "\n"
    }

    /// Lines inside a conflict block end with LF even when the file's last line lacked one.
    private static func terminated(_ lines: ArraySlice<String>) -> String {
        let text = lines.joined()
        return text.isEmpty || text.hasSuffix("\n") ? text : text + "\n"
    }

    /// 1-based line numbers and kinds of the conflict markers in `bytes`: a line starting with seven
    /// `<`, `|`, `=` or `>` followed by a space or the line end (`=======` alone), as git writes them.
    /// YAML never needs such a line in a spec (content at column 0 cannot start that way in block style).
    public static func find(in bytes: [UInt8]) -> [(line: Int, marker: String)] {
        bytes.withUnsafeBufferPointer { find(in: $0) }
    }

    /// Every spec is scanned before it is parsed, so lines are found with memchr and only a line's
    /// first byte is looked at unless it could start a marker.
    private static func find(in bytes: UnsafeBufferPointer<UInt8>) -> [(line: Int, marker: String)] {
        var found: [(line: Int, marker: String)] = []
        var line = 1
        var start = 0
        let n = bytes.count
        while start < n {
            let end = ByteScan.index(of: 0x0A, in: bytes, from: start) ?? n
            let first = bytes[start]
            if first == UInt8(ascii: "<") || first == UInt8(ascii: "|") || first == UInt8(ascii: "=") || first == UInt8(ascii: ">"),
               end - start >= size, bytes[start..<(start + size)].allSatisfy({ $0 == first }) {
                let rest = bytes[(start + size)..<end].filter { $0 != 0x0D }
                let ok = first == UInt8(ascii: "=") ? rest.allSatisfy { $0 == 0x20 || $0 == 0x09 }
                                                     : (rest.isEmpty || rest.first == 0x20)
                if ok { found.append((line, String(repeating: Character(UnicodeScalar(first)), count: size))) }
            }
            line += 1
            start = end + 1
        }
        return found
    }

    /// One diagnostic per marker line.
    public static func diagnostics(in bytes: [UInt8]) -> [Diagnostic] {
        find(in: bytes).map { hit in
            Diagnostic(kind: .conflictMarker, line: hit.line, column: 1, pointer: "",
                       message: "unresolved merge conflict marker \(hit.marker); resolve the conflict and remove the markers")
        }
    }
}
