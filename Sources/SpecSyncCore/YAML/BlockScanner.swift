/// One parse event as the tree builder reads it, from libyaml or from `BlockScanner`. Marks are 0-based
/// line and column (in characters), as libyaml gives them.
struct ParseEvent: Equatable {
    enum Kind: UInt8 {
        case streamStart, streamEnd, documentStart, documentEnd
        case sequenceStart, sequenceEnd, mappingStart, mappingEnd, scalar, alias
    }

    var kind: Kind
    var startLine: Int32
    var startColumn: Int32
    var endLine: Int32
    var endColumn: Int32
    /// Scalars.
    var style: ScalarStyle = .plain
    /// Collections: block (not flow) style.
    var isBlock = true
    /// `BlockScanner`'s scalars: where the value's bytes are, in the input (`decoded` false) or in the
    /// scanner's buffer of values it had to put together (literal block scalars).
    var valueOffset: Int32 = 0
    var valueCount: Int32 = 0
    var decoded = false

    /// A scalar's value (`BlockScanner`'s events): in the input, or in the scanner's `decoded` buffer.
    func value(in input: UnsafeBufferPointer<UInt8>, decoded buffer: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: (decoded ? buffer : input)[Int(valueOffset)..<Int(valueOffset + valueCount)])
    }

    /// True for the events that add a node to the document.
    var makesNode: Bool { kind == .scalar || kind == .alias || kind == .sequenceStart || kind == .mappingStart }
}

/// Reads the block-style subset of YAML that nearly every spec is written in — and all of specsync's own
/// output — into the events libyaml gives for it, in a fraction of libyaml's time: block mappings with
/// plain keys, block sequences (also as mapping values at the key's indentation), plain scalars on one
/// line, quoted scalars without escapes on one line, literal block scalars (`|`, `|-`, `|+`), empty
/// flow collections (`[]`, `{}`), comments and empty lines; UTF-8 text, tabs only inside scalars.
///
/// Anything else — other flow collections, anchors, aliases, tags, folded or multi-line scalars,
/// escapes, document markers (but a `---` starting the document), tabs outside scalars, CR and the other line breaks libyaml knows (NEL, LS,
/// PS), a missing final line break, even a line of only spaces —
/// makes `scan` return nil, and libyaml reads the file; so do all errors: every diagnostic comes from
/// libyaml. Where the scanner accepts a file, its events equal libyaml's (marks included), which the
/// tests check on every input they have and the fuzzer on every input it makes.
struct BlockScanner: ~Copyable {
    struct Output {
        var events: [ParseEvent]
        /// The values of literal block scalars, which are not one run of the input.
        var decoded: [UInt8]
    }

    /// A line's first token: where it is, and at which column (its indentation, or further right for
    /// the first key of a mapping that starts on a sequence item's line).
    private struct Token {
        var line: Int32
        var column: Int32
        var offset: Int
    }

    /// Where the scanner gave up (its source line, for tests that ask why).
    struct Unsupported: Error {
        let sourceLine: Int
        init(sourceLine: Int = #line) { self.sourceLine = sourceLine }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var events: [ParseEvent] = []
    private var decoded: [UInt8] = []
    /// Line number and start offset of the line the scan is on.
    private var line: Int32 = 0
    private var lineStart = 0
    /// Number of line breaks in the input: the line of libyaml's end-of-stream mark.
    private let lineBreaks: Int32
    /// Columns count characters: bytes, unless the input has multi-byte characters.
    private let isASCII: Bool
    private var depth = 0

    /// Nesting the scanner follows; deeper input goes to libyaml (and the tree builder's depth limit).
    private static let maxDepth = 48
    /// libyaml looks at most 1024 characters ahead for the `:` of a key.
    private static let maxKeyLength = 1000

    private init(_ bytes: UnsafeBufferPointer<UInt8>, lineBreaks: Int32, isASCII: Bool) {
        self.bytes = bytes
        self.lineBreaks = lineBreaks
        self.isASCII = isASCII
        events.reserveCapacity(bytes.count / 12 + 8)
    }

    /// The events of `bytes`, or nil when they are not all of the subset described above.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Output? {
        try? scanOrExplain(bytes)
    }

    static func scanOrExplain(_ bytes: UnsafeBufferPointer<UInt8>) throws(Unsupported) -> Output {
        guard let (breaks, isASCII) = lineBreaksIfSupported(bytes) else { throw Unsupported() }
        var scanner = BlockScanner(bytes, lineBreaks: breaks, isASCII: isASCII)
        try scanner.document()
        return Output(events: scanner.events, decoded: scanner.decoded)
    }

    /// The number of line breaks, and whether all is ASCII, when the input ends with LF and every
    /// character is one libyaml reads as printable (or tab), and no line break but LF.
    private static func lineBreaksIfSupported(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int32, Bool)? {
        guard let last = bytes.last, last == 0x0A, bytes.count < Int(Int32.max) else { return nil }
        var breaks: Int32 = 0, isASCII = true
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b >= 0x20 && b < 0x7F || b == 0x09 {
                i += 1
            } else if b == 0x0A {
                breaks &+= 1
                i += 1
            } else if b >= 0x80 {
                // Not C1 controls (NEL among them), LS, PS, the byte-order mark or non-characters: the
                // characters libyaml reads as printable and not as a line break, as for plain scalars.
                guard let (scalar, length) = ByteScan.decodeUTF8(bytes, at: i), ScalarResolver.isPlainPrintable(scalar) else {
                    return nil
                }
                isASCII = false
                i += length
            } else {
                return nil
            }
        }
        return (breaks, isASCII)
    }

    // MARK: Structure

    private mutating func document() throws(Unsupported) {
        let streamEnd = (line: lineBreaks, column: Int32(0))
        events.append(ParseEvent(kind: .streamStart, startLine: 0, startColumn: 0, endLine: 0, endColumn: 0))
        guard var first = try nextToken(allowingDocumentStart: true) else { throw Unsupported() }  // empty or only comments: rare
        if first.column == 0, isMarker(at: first.offset, UInt8(ascii: "-")) {
            // `---` before the document, alone on its line or with a comment.
            events.append(ParseEvent(kind: .documentStart, startLine: first.line, startColumn: 0, endLine: first.line, endColumn: 3))
            guard inlineStart(after: first.offset + 3) == nil, let content = try nextLine(after: first.offset + 3) else {
                throw Unsupported()
            }
            first = content
        } else {
            events.append(mark(.documentStart, first))
        }
        var next: Token?
        if isSequenceEntry(first) {
            next = try sequence(first, indentless: false)
        } else if let key = key(at: first.offset) {
            next = try mapping(first, key: key)
        } else {
            throw Unsupported()  // a scalar document
        }
        guard next == nil else { throw Unsupported() }
        for kind in [ParseEvent.Kind.documentEnd, .streamEnd] {
            events.append(ParseEvent(kind: kind, startLine: streamEnd.line, startColumn: 0, endLine: streamEnd.line, endColumn: 0))
        }
    }

    /// A block mapping whose first key is at `first`; returns the first token after it (nil at the end).
    /// (`firstKey`: its first key, when the caller already read it.)
    private mutating func mapping(_ first: Token, key firstKey: Key? = nil) throws(Unsupported) -> Token? {
        depth += 1
        guard depth <= Self.maxDepth else { throw Unsupported() }
        defer { depth -= 1 }
        let indent = first.column
        events.append(mark(.mappingStart, first))
        var token = first, known = firstKey
        while true {
            guard let key = known ?? key(at: token.offset) else { throw Unsupported() }
            known = nil
            scalar(key.style, line: token.line, from: token.offset, to: key.end, valueFrom: key.valueStart, to: key.valueEnd)
            let afterColon = key.colon + 1
            var next: Token?
            if let valueStart = inlineStart(after: afterColon) {
                next = try inlineValue(at: valueStart, parentIndent: indent)
            } else {
                // The value is on the lines below, or empty.
                let emptyMark = column(of: afterColon)
                let emptyLine = line
                next = try nextLine(after: afterColon)
                if let below = next, below.column > indent {
                    next = isSequenceEntry(below) ? try sequence(below, indentless: false) : try mapping(below)
                } else if let below = next, below.column == indent, isSequenceEntry(below) {
                    next = try sequence(below, indentless: true)
                } else {
                    events.append(ParseEvent(kind: .scalar, startLine: emptyLine, startColumn: emptyMark,
                                             endLine: emptyLine, endColumn: emptyMark, valueOffset: 0, valueCount: 0))
                }
            }
            guard let following = next, following.column >= indent else {
                events.append(end(.mappingEnd, at: next))
                return next
            }
            // Deeper: a continuation line or a misplaced key. At the same column: the next key, unless
            // it is a sequence entry (an error libyaml words).
            guard following.column == indent, !isSequenceEntry(following) else { throw Unsupported() }
            token = following
        }
    }

    /// A block sequence whose first `-` is at `first`. An indentless one (a mapping value at its key's
    /// column) ends at the first line of that column that is not an entry.
    private mutating func sequence(_ first: Token, indentless: Bool) throws(Unsupported) -> Token? {
        depth += 1
        guard depth <= Self.maxDepth else { throw Unsupported() }
        defer { depth -= 1 }
        let indent = first.column
        var start = mark(.sequenceStart, first)
        if indentless { start.endColumn += 1 }  // libyaml marks the entry's `-` token, not an empty one
        events.append(start)
        var token = first
        while true {
            var next: Token?
            if let itemStart = inlineStart(after: token.offset + 1) {
                let column = column(of: itemStart)
                if isSequenceEntry(at: itemStart) {
                    throw Unsupported()  // `- - x`
                } else if let key = key(at: itemStart) {
                    next = try mapping(Token(line: line, column: column, offset: itemStart), key: key)
                } else {
                    // A literal block in an indentless sequence would take its indentation from the
                    // enclosing mapping; not worth the case.
                    if indentless && bytes[itemStart] == UInt8(ascii: "|") { throw Unsupported() }
                    next = try inlineValue(at: itemStart, parentIndent: indent)
                }
            } else {
                next = try nextLine(after: token.offset + 1)
                guard let below = next, below.column > indent else { throw Unsupported() }  // an empty item
                next = isSequenceEntry(below) ? try sequence(below, indentless: false) : try mapping(below)
            }
            guard let following = next, following.column >= indent else {
                events.append(end(.sequenceEnd, at: next))
                return next
            }
            guard following.column == indent else { throw Unsupported() }
            guard isSequenceEntry(following) else {
                guard indentless else { throw Unsupported() }
                events.append(end(.sequenceEnd, at: next))
                return next
            }
            token = following
        }
    }

    // MARK: Scalars

    /// A value that starts on the current line at `start`; returns the first token after it.
    private mutating func inlineValue(at start: Int, parentIndent: Int32) throws(Unsupported) -> Token? {
        let first = bytes[start]
        switch first {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            guard let close = closingQuote(from: start) else { throw Unsupported() }
            scalar(first == UInt8(ascii: "'") ? .singleQuoted : .doubleQuoted, line: line,
                   from: start, to: close + 1, valueFrom: start + 1, to: close)
            return try endOfLine(from: close + 1, needsSpaceBeforeComment: true)
        case UInt8(ascii: "|"):
            return try literal(at: start, parentIndent: parentIndent)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            // Empty flow collections only (the emitter's empty sequence and mapping).
            let close = first == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
            guard bytes[start + 1] == close else { throw Unsupported() }
            let column = column(of: start)
            let (open, shut): (ParseEvent.Kind, ParseEvent.Kind) = first == UInt8(ascii: "[") ? (.sequenceStart, .sequenceEnd) : (.mappingStart, .mappingEnd)
            events.append(ParseEvent(kind: open, startLine: line, startColumn: column, endLine: line, endColumn: column + 1, isBlock: false))
            events.append(ParseEvent(kind: shut, startLine: line, startColumn: column + 1, endLine: line, endColumn: column + 2, isBlock: false))
            return try endOfLine(from: start + 2, needsSpaceBeforeComment: true)
        case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
            // Indicators when a space follows; the start of a plain scalar otherwise (`-1`, `:x`).
            if bytes[start + 1] == 0x20 || bytes[start + 1] == 0x0A { throw Unsupported() }
        case UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "%"),
             UInt8(ascii: "@"), UInt8(ascii: "`"), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","),
             UInt8(ascii: "#"), 0x09:
            throw Unsupported()
        default:
            break
        }
        // A plain scalar: up to a comment or the line's end, without its trailing spaces. A `: ` in it
        // would start a mapping libyaml refuses here.
        var i = start, last = start
        while true {
            let b = bytes[i]
            if b == 0x0A { break }
            if b == 0x09 { throw Unsupported() }  // libyaml's rules for tabs around plain scalars differ
            if b == 0x20 {
                if bytes[i + 1] == UInt8(ascii: "#") { break }
            } else {
                if b == UInt8(ascii: ":") && (bytes[i + 1] == 0x20 || bytes[i + 1] == 0x0A) { throw Unsupported() }
                last = i
            }
            i += 1
        }
        scalar(.plain, line: line, from: start, to: last + 1, valueFrom: start, to: last + 1)
        return try endOfLine(from: last + 1, needsSpaceBeforeComment: false)
    }

    /// A literal block scalar whose `|` is at `start`, in a collection at column `parentIndent`.
    private mutating func literal(at start: Int, parentIndent: Int32) throws(Unsupported) -> Token? {
        var i = start + 1
        var chomp: UInt8 = 0
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { chomp = bytes[i]; i += 1 }
        // Then only spaces and a comment (an indentation indicator: libyaml's).
        let afterIndicator = i
        while bytes[i] == 0x20 { i += 1 }
        if bytes[i] == UInt8(ascii: "#") && i > afterIndicator {
            while bytes[i] != 0x0A { i += 1 }
        }
        guard bytes[i] == 0x0A else { throw Unsupported() }
        let headerLine = line, headerColumn = column(of: start)
        advanceLine(past: i)
        // Empty lines before the content, then the content's indentation from its first line.
        var leadingBreaks = 0
        while lineStart < bytes.count && bytes[lineStart] == 0x0A { leadingBreaks += 1; advanceLine(past: lineStart) }
        var indent = 0
        while lineStart + indent < bytes.count && bytes[lineStart + indent] == 0x20 { indent += 1 }
        // No content (or a line of spaces): rare, and libyaml's rules for it are fiddly.
        // A tab right after the first line's indentation is an error libyaml words.
        guard lineStart + indent < bytes.count, Int32(indent) > parentIndent, bytes[lineStart + indent] != 0x0A,
              bytes[lineStart + indent] != 0x09 else {
            throw Unsupported()
        }
        let valueStart = decoded.count
        for _ in 0..<leadingBreaks { decoded.append(0x0A) }
        var pendingBreaks = 0, hasContent = false
        // Content lines: those indented at least `indent`; empty lines in between are line breaks.
        while lineStart < bytes.count {
            if bytes[lineStart] == 0x0A {
                pendingBreaks += 1
                advanceLine(past: lineStart)
                continue
            }
            var spaces = 0
            while bytes[lineStart + spaces] == 0x20 { spaces += 1 }
            // A line of spaces is an empty line unless it has more than the indentation (content).
            if bytes[lineStart + spaces] == 0x0A && spaces <= indent {
                pendingBreaks += 1
                advanceLine(past: lineStart + spaces)
                continue
            }
            if spaces < indent { break }
            // The break ending the previous content line, and the empty lines since.
            if hasContent { for _ in 0...pendingBreaks { decoded.append(0x0A) } }
            pendingBreaks = 0
            hasContent = true
            var end = lineStart + indent
            while bytes[end] != 0x0A { end += 1 }
            decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[(lineStart + indent)..<end]))
            advanceLine(past: end)
        }
        switch chomp {
        case UInt8(ascii: "-"): break
        case UInt8(ascii: "+"): for _ in 0...pendingBreaks { decoded.append(0x0A) }
        default: decoded.append(0x0A)
        }
        // libyaml ends the scalar at the start of the line after its content and the empty lines after it.
        var event = ParseEvent(kind: .scalar, startLine: headerLine, startColumn: headerColumn, endLine: line, endColumn: 0,
                               style: .literal)
        event.valueOffset = Int32(valueStart)
        event.valueCount = Int32(decoded.count - valueStart)
        event.decoded = true
        events.append(event)
        return try nextToken()
    }

    // MARK: Lines

    /// Past a scalar at `from` on the current line: spaces, then a comment or the line's end. libyaml
    /// takes a `#` right after a quoted scalar or `[]` as a comment; that case is left to it.
    private mutating func endOfLine(from: Int, needsSpaceBeforeComment: Bool) throws(Unsupported) -> Token? {
        var i = from
        while bytes[i] == 0x20 { i += 1 }
        if bytes[i] == UInt8(ascii: "#") {
            if needsSpaceBeforeComment && i == from { throw Unsupported() }
        } else if bytes[i] != 0x0A {
            throw Unsupported()
        }
        return try nextLine(after: i)
    }

    /// The first token on a line after the one `offset` is on.
    private mutating func nextLine(after offset: Int) throws(Unsupported) -> Token? {
        var i = offset
        while bytes[i] != 0x0A { i += 1 }
        advanceLine(past: i)
        return try nextToken()
    }

    /// The first token from the current line start on, past empty lines and comment lines. A document
    /// marker there is left to libyaml, unless it is the `---` the document may start with.
    private mutating func nextToken(allowingDocumentStart: Bool = false) throws(Unsupported) -> Token? {
        while lineStart < bytes.count {
            var i = lineStart
            while bytes[i] == 0x20 { i += 1 }
            switch bytes[i] {
            case 0x09:
                throw Unsupported()  // a tab in the indentation
            case 0x0A:
                if i > lineStart { throw Unsupported() }  // a line of spaces
                advanceLine(past: i)
            case UInt8(ascii: "#"):
                while bytes[i] != 0x0A { i += 1 }
                advanceLine(past: i)
            default:
                // `---` and `...` at the start of a line are document markers.
                if i == lineStart, isMarker(at: i, UInt8(ascii: "-")) && !allowingDocumentStart || isMarker(at: i, UInt8(ascii: ".")) {
                    throw Unsupported()
                }
                return Token(line: line, column: Int32(i - lineStart), offset: i)
            }
        }
        return nil
    }

    private func isMarker(at i: Int, _ mark: UInt8) -> Bool { ByteScan.isDocumentMarker(bytes, at: i, mark) }

    private mutating func advanceLine(past lineBreak: Int) {
        line += 1
        lineStart = lineBreak + 1
    }

    private func column(of offset: Int) -> Int32 {
        if isASCII { return Int32(offset - lineStart) }
        var characters: Int32 = 0
        for i in lineStart..<offset where bytes[i] & 0xC0 != 0x80 { characters += 1 }
        return characters
    }

    /// Where a value starts on the current line after `offset` (past spaces), or nil when the line ends
    /// there or a comment follows.
    private func inlineStart(after offset: Int) -> Int? {
        var i = offset
        while bytes[i] == 0x20 { i += 1 }
        if bytes[i] == 0x0A || (bytes[i] == UInt8(ascii: "#") && i > offset) { return nil }
        return i
    }

    private func isSequenceEntry(_ token: Token) -> Bool { isSequenceEntry(at: token.offset) }

    private func isSequenceEntry(at offset: Int) -> Bool {
        bytes[offset] == UInt8(ascii: "-") && (bytes[offset + 1] == 0x20 || bytes[offset + 1] == 0x0A)
    }

    /// A key that starts at `offset`: its style, where its scalar ends, its value's bytes, and the `:`
    /// after it (followed by a space or the line's end).
    private struct Key {
        var style: ScalarStyle
        var end: Int
        var valueStart: Int
        var valueEnd: Int
        var colon: Int
    }

    /// The key at `offset`, or nil when the line does not go on as a one-line plain or quoted key
    /// followed by `: ` (or `:` at the line's end).
    private func key(at offset: Int) -> Key? {
        let first = bytes[offset]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            guard let close = closingQuote(from: offset) else { return nil }
            var colon = close + 1
            while bytes[colon] == 0x20 { colon += 1 }
            // libyaml's limit runs from the key's start to its `:` (spaces before the `:` count).
            guard colon - offset <= Self.maxKeyLength, bytes[colon] == UInt8(ascii: ":"),
                  bytes[colon + 1] == 0x20 || bytes[colon + 1] == 0x0A else { return nil }
            return Key(style: first == UInt8(ascii: "'") ? .singleQuoted : .doubleQuoted, end: close + 1,
                       valueStart: offset + 1, valueEnd: close, colon: colon)
        }
        switch first {
        case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["),
             UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"),
             UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "%"),
             UInt8(ascii: "@"), UInt8(ascii: "`"), 0x20, 0x0A, 0x09:
            return nil
        default:
            break
        }
        var i = offset + 1
        while i - offset <= Self.maxKeyLength {
            switch bytes[i] {
            case 0x0A, 0x09: return nil
            case UInt8(ascii: "#") where bytes[i - 1] == 0x20: return nil
            case UInt8(ascii: ":") where bytes[i + 1] == 0x20 || bytes[i + 1] == 0x0A:
                var end = i
                while bytes[end - 1] == 0x20 { end -= 1 }
                return Key(style: .plain, end: end, valueStart: offset, valueEnd: end, colon: i)
            default: i += 1
            }
        }
        return nil
    }

    /// The closing quote of the one-line quoted scalar opening at `start`; nil when it has escapes or a
    /// quote written twice (which need decoding) or goes on past the line.
    private func closingQuote(from start: Int) -> Int? {
        let quote = bytes[start]
        var close = start + 1
        while bytes[close] != quote {
            if bytes[close] == 0x0A || bytes[close] == UInt8(ascii: "\\") { return nil }
            close += 1
        }
        if quote == UInt8(ascii: "'") && bytes[close + 1] == quote { return nil }
        return close
    }

    // MARK: Events

    private func mark(_ kind: ParseEvent.Kind, _ token: Token) -> ParseEvent {
        ParseEvent(kind: kind, startLine: token.line, startColumn: token.column, endLine: token.line, endColumn: token.column)
    }

    /// A collection's end, marked where the next token is (or the stream ends).
    private func end(_ kind: ParseEvent.Kind, at next: Token?) -> ParseEvent {
        guard let next else {
            return ParseEvent(kind: kind, startLine: lineBreaks, startColumn: 0, endLine: lineBreaks, endColumn: 0)
        }
        return mark(kind, next)
    }

    private mutating func scalar(_ style: ScalarStyle, line: Int32, from start: Int, to end: Int, valueFrom: Int, to valueEnd: Int) {
        events.append(ParseEvent(kind: .scalar, startLine: line, startColumn: column(of: start), endLine: line,
                                 endColumn: column(of: end), style: style,
                                 valueOffset: Int32(valueFrom), valueCount: Int32(valueEnd - valueFrom)))
    }
}

// MARK: - Comparing the two readers (tests and the fuzzer)

/// An event with its value and whether it had an anchor or tag: what must be equal whichever reader
/// produced it.
struct ValuedEvent: Equatable, CustomStringConvertible {
    var event: ParseEvent
    var value: [UInt8]
    var hasProperties: Bool

    init(_ event: ParseEvent, value: UnsafeBufferPointer<UInt8>, hasProperties: Bool) {
        var plain = event
        (plain.valueOffset, plain.valueCount, plain.decoded) = (0, 0, false)
        if plain.kind != .scalar { plain.style = .plain }
        if plain.kind != .sequenceStart && plain.kind != .mappingStart { plain.isBlock = true }
        self.event = plain
        self.value = Array(value)
        self.hasProperties = hasProperties
    }

    var description: String {
        let e = event
        var text = "\(e.kind) \(e.startLine):\(e.startColumn)-\(e.endLine):\(e.endColumn)"
        if e.kind == .scalar { text += " \(e.style) \(String(decoding: value, as: UTF8.self).debugDescription)" }
        if !e.isBlock { text += " flow" }
        if hasProperties { text += " +properties" }
        return text
    }
}

extension BlockScanner {
    /// `scan`'s events with their values; nil where it leaves the input to libyaml.
    static func valuedEvents(_ bytes: [UInt8]) -> [ValuedEvent]? {
        bytes.withUnsafeBufferPointer { whole in
            guard let output = scan(whole) else { return nil }
            return output.decoded.withUnsafeBufferPointer { decoded in
                output.events.map { ValuedEvent($0, value: $0.value(in: whole, decoded: decoded), hasProperties: false) }
            }
        }
    }

    /// libyaml's events for the same input; nil when libyaml finds an error.
    static func libyamlValuedEvents(_ bytes: [UInt8]) -> [ValuedEvent]? {
        bytes.withUnsafeBufferPointer { whole -> [ValuedEvent]? in
            var events: [ValuedEvent] = []
            return TreeBuilder.readLibYAML(whole, failed: { _ in nil }) { event, value, anchor, tag, _ -> [ValuedEvent]?? in
                events.append(ValuedEvent(event, value: value, hasProperties: anchor != nil || tag != nil))
                return event.kind == .streamEnd ? .some(events) : .none
            }
        }
    }
}
