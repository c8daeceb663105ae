/// The input bytes with a line table, mapping libyaml's (line, column-in-characters) marks to byte
/// offsets and answering the few textual questions the comment layer asks.
struct SourceText {
    let bytes: [UInt8]
    /// Byte offset where each line starts; index 0 is line 1.
    private(set) var lineStarts: [Int] = []
    /// Byte offset where each line's content ends (before its line break).
    private(set) var lineEnds: [Int] = []
    private(set) var isASCII = true
    /// 3 when the input starts with a UTF-8 byte-order mark (not passed to libyaml), else 0.
    private(set) var bomLength = 0

    init(_ input: [UInt8]) {
        self.bytes = input
        var start = 0
        // libyaml skips a UTF-8 byte order mark without counting it as a column.
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { start = 3; bomLength = 3 }
        var i = start
        let n = input.count
        var lineStarts: [Int] = [], lineEnds: [Int] = [], isASCII = true
        lineStarts.reserveCapacity(n / 24 + 1)
        lineEnds.reserveCapacity(n / 24 + 1)
        // One pass over the raw bytes, into locals: no bounds checks or property accesses per byte.
        input.withUnsafeBufferPointer { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            while i < n {
                // Eight bytes at a time while they hold no line break and no non-ASCII byte (most of a
                // spec): every file is indexed before it is parsed.
                if i + 8 <= n, !Self.mayHoldBreakOrNonASCII(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                    i += 8
                    continue
                }
                let b = bytes[i]
                if b >= 0x80 { isASCII = false }
                // Line breaks as libyaml counts them: LF, CR, CRLF, NEL, LS, PS.
                if b == 0x0A || b == 0x0D {
                    lineStarts.append(start)
                    lineEnds.append(i)
                    i += (b == 0x0D && i + 1 < n && bytes[i + 1] == 0x0A) ? 2 : 1
                    start = i
                    continue
                }
                if b == 0xC2, i + 1 < n, bytes[i + 1] == 0x85 {
                    lineStarts.append(start); lineEnds.append(i); i += 2; start = i; continue
                }
                if b == 0xE2, i + 2 < n, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 {
                    lineStarts.append(start); lineEnds.append(i); i += 3; start = i; continue
                }
                i += 1
            }
        }
        lineStarts.append(start)
        lineEnds.append(n)
        self.lineStarts = lineStarts
        self.lineEnds = lineEnds
        self.isASCII = isASCII
    }

    /// False only when none of the eight bytes is LF, CR or ≥ 0x80.
    @inline(__always) private static func mayHoldBreakOrNonASCII(_ word: UInt64) -> Bool {
        (ByteScan.hasByte(word, 0x0A) | ByteScan.hasByte(word, 0x0D) | ByteScan.hasHighByte(word)) != 0
    }

    var lineCount: Int { lineStarts.count }

    /// Byte offset of the start of a 1-based line (the end of input past the last line).
    func lineStart(_ line: Int) -> Int {
        line - 1 < lineStarts.count ? lineStarts[max(0, line - 1)] : bytes.count
    }

    @inline(__always)  // twice per parser event: the ASCII path is a few instructions
    func position(line0: Int, column0: Int) -> SourcePosition {
        let line = min(line0, lineStarts.count - 1)
        let start = lineStarts[max(0, line)]
        let offset = isASCII ? min(start + column0, bytes.count) : offset(line: line, column0: column0)
        return SourcePosition(line: line0 + 1, column: column0 + 1, offset: offset)
    }

    /// The byte offset of a character column on a line of a text that is not all ASCII.
    @inline(never)
    private func offset(line: Int, column0: Int) -> Int {
        // Every 64th character's offset, once per line: a 1 MB line of `é, é, …` asks for a
        // position per item, and walking from the line start each time would be quadratic.
        let stops = columnStops.stops(for: line) { computeStops(line: line) }
        var chars = min(column0 / Self.stopInterval, stops.count - 1) * Self.stopInterval
        var offset = stops[chars / Self.stopInterval]
        while chars < column0 && offset < bytes.count {
            offset += 1
            while offset < bytes.count && bytes[offset] & 0xC0 == 0x80 { offset += 1 }
            chars += 1
        }
        return offset
    }

    private static let stopInterval = 64
    private let columnStops = ColumnStops()

    /// Byte offsets of characters 0, 64, 128, … of a line (up to its end).
    private func computeStops(line: Int) -> [Int] {
        var stops = [lineStarts[line]]
        var offset = lineStarts[line], chars = 0
        let end = lineEnds[line]
        while offset < end {
            offset += 1
            while offset < end && bytes[offset] & 0xC0 == 0x80 { offset += 1 }
            chars += 1
            if chars % Self.stopInterval == 0 { stops.append(offset) }
        }
        return stops
    }

    /// Where the `?` of an explicit key starting at `key` stands: before the key on its line only spaces
    /// and tabs and then the `?`, or the `?` ending an earlier line with only blank and comment lines
    /// between. Nil for any other key (an implicit one, or a `?` followed by a comment on its line).
    func explicitKeyIndicator(before key: SourcePosition) -> SourcePosition? {
        var line = key.line - 1
        guard line >= 0, line < lineStarts.count else { return nil }
        var i = key.offset
        while true {
            let start = lineStarts[line]
            while i > start && (bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09) { i -= 1 }
            if i > start {
                guard bytes[i - 1] == UInt8(ascii: "?"),
                      i - 1 == start || bytes[i - 2] == 0x20 || bytes[i - 2] == 0x09 else { return nil }
                return SourcePosition(line: line + 1, column: column(ofByte: i - 1, line: line + 1), offset: i - 1)
            }
            // At the start of the line: up over blank and comment lines, to the end of the line before.
            repeat {
                guard line > 0 else { return nil }
                line -= 1
                var first = lineStarts[line]
                while first < lineEnds[line] && (bytes[first] == 0x20 || bytes[first] == 0x09) { first += 1 }
                if first < lineEnds[line] && bytes[first] != UInt8(ascii: "#") { break }
            } while true
            i = lineEnds[line]
        }
    }

    /// The position of a byte offset: only for diagnostics (a handful per file), so a walk from the
    /// line start is fine.
    func position(ofByte offset: Int) -> SourcePosition {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return SourcePosition(line: lo + 1, column: column(ofByte: offset, line: lo + 1), offset: offset)
    }

    /// The 1-based column of a byte offset on a known line (no search: the comment scanner knows it).
    func column(ofByte offset: Int, line: Int) -> Int {
        var column = 1
        var i = lineStarts[line - 1]
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return column
    }

    func isBlankLine(_ line: Int) -> Bool {
        guard line >= 1, line <= lineStarts.count else { return false }
        for i in lineStarts[line - 1]..<lineEnds[line - 1] where bytes[i] != 0x20 && bytes[i] != 0x09 {
            return false
        }
        return true
    }

    /// The position of a tab among a line's leading whitespace, if any.
    func tabInIndentation(line: Int) -> SourcePosition? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        var i = lineStarts[line - 1]
        while i < lineEnds[line - 1] {
            if bytes[i] == 0x09 { return position(ofByte: i) }
            if bytes[i] != 0x20 && bytes[i] != 0x2D && bytes[i] != 0x3F && bytes[i] != 0x3A { return nil }
            i += 1
        }
        return nil
    }

    /// Skips node properties (`!tag`, `&anchor`), whitespace, line breaks and comments between them and
    /// a scalar's content; returns where the content starts.
    func skipProperties(from offset: Int, line: Int, limit: Int) -> (offset: Int, line: Int) {
        var i = offset
        var currentLine = line
        while i < limit {
            let b = bytes[i]
            if b == 0x20 || b == 0x09 {
                i += 1
            } else if b == UInt8(ascii: "!") || b == UInt8(ascii: "&") {
                while i < limit && bytes[i] != 0x20 && bytes[i] != 0x09 && bytes[i] != 0x0A && bytes[i] != 0x0D { i += 1 }
            } else if b == UInt8(ascii: "#") && i > 0 && (bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09) {
                while i < limit && bytes[i] != 0x0A && bytes[i] != 0x0D { i += 1 }
            } else if b == 0x0A || b == 0x0D {
                i += 1
                currentLine += 1
                if b == 0x0D && i < limit && bytes[i] == 0x0A { i += 1 }
            } else {
                break
            }
        }
        return (i, currentLine)
    }

    /// `---` or `...` at the start of a line, followed by whitespace or the end of the line.
    func startsWithDocumentMarker(line: Int) -> Bool {
        let start = lineStarts[line - 1], end = lineEnds[line - 1]
        guard end - start >= 3 else { return false }
        let marker = bytes[start..<start + 3]
        guard marker.elementsEqual("---".utf8) || marker.elementsEqual("...".utf8) else { return false }
        return end - start == 3 || bytes[start + 3] == 0x20 || bytes[start + 3] == 0x09
    }

    /// Whether the block scalar header at `offset` (`|+`, `>2+`…) keeps trailing line breaks.
    func blockHeaderKeeps(at offset: Int) -> Bool {
        var i = offset + 1
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "+") { return true }
            guard b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39) else { return false }
            i += 1
        }
        return false
    }

    /// Byte offset of the first byte that is not part of well-formed UTF-8, or nil.
    func firstInvalidUTF8() -> Int? {
        if isASCII { return nil }  // the line table saw no byte ≥ 0x80
        return bytes.withUnsafeBufferPointer { Self.firstInvalidUTF8($0) }
    }

    private static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = bytes.count
        var i = 0
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            guard let (_, length) = ByteScan.decodeUTF8(bytes, at: i) else { return i }
            i += length
        }
        return nil
    }
}

enum CommentScanner {
    /// Every `#` comment outside scalar text, in source order. Goes from `#` to `#` with memchr: most
    /// specs have few comments, and many none.
    static func scan(_ source: SourceText, spans: [(start: Int, end: Int)]) -> [RawComment] {
        var out: [RawComment] = []
        source.bytes.withUnsafeBufferPointer { bytes in
            var spanIndex = 0
            var line = 1
            var i = 0
            while let hit = ByteScan.index(of: UInt8(ascii: "#"), in: bytes, from: i) {
                i = hit
                while spanIndex < spans.count && spans[spanIndex].end <= i { spanIndex += 1 }
                if spanIndex < spans.count && spans[spanIndex].start <= i {
                    i = spans[spanIndex].end  // inside scalar text: content, not a comment
                    continue
                }
                while line < source.lineCount && source.lineStarts[line] <= i { line += 1 }
                let lineStart = source.lineStarts[line - 1]
                let lineEnd = source.lineEnds[line - 1]
                guard i == lineStart || bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09 else {
                    i += 1
                    continue
                }
                var end = lineEnd
                while end > i && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
                var ownLine = true
                var indicatorsOnly = true
                for k in lineStart..<i where bytes[k] != 0x20 && bytes[k] != 0x09 {
                    ownLine = false
                    if bytes[k] != UInt8(ascii: "-") && bytes[k] != UInt8(ascii: "?") && bytes[k] != UInt8(ascii: ":") {
                        indicatorsOnly = false
                    }
                }
                let column = source.column(ofByte: i, line: line)
                var comment = RawComment(line: line, column: column,
                                         text: String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self),
                                         ownLine: ownLine)
                if !ownLine {
                    if source.startsWithDocumentMarker(line: line) { comment.prefix = .documentMarker }
                    else if indicatorsOnly { comment.prefix = .indicatorsOnly }
                }
                out.append(comment)
                i = max(lineEnd, i + 1)  // one comment per line: the rest of the line is its text
            }
        }
        return out
    }
}

/// Column stops of the last two lines asked for. The parser asks in document order — an event's
/// start, then its end, which a multi-line scalar puts on a later line — so two lines are enough to
/// compute each line's stops once. A class so `SourceText` stays a plain value with non-mutating
/// lookups; used by one parse on one thread.
private final class ColumnStops {
    private var lines = (-1, -1)
    private var stops: ([Int], [Int]) = ([], [])
    private var replaceFirst = true

    func stops(for line: Int, _ compute: () -> [Int]) -> [Int] {
        if lines.0 == line { return stops.0 }
        if lines.1 == line { return stops.1 }
        let computed = compute()
        if replaceFirst { (lines.0, stops.0) = (line, computed) } else { (lines.1, stops.1) = (line, computed) }
        replaceFirst.toggle()
        return computed
    }
}
