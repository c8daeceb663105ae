import SpecSyncCore

// The ECMA-262 regular expression subset JSON Schema `pattern` needs, compiled once at schema load
// and matched by a Thompson/Pike NFA simulation: linear in the input, no catastrophic backtracking,
// no heap allocation per match. Matching is over Unicode scalars (the `u` flag), unanchored unless
// the pattern says `^`/`$`, as JSON Schema requires.
//
// Supported: literals, `.`, classes `[a-z]` `[^…]`, `\d \D \w \W \s \S \b \B`, `^ $`, groups `( )`
// `(?: )` `(?<name> )`, alternation, quantifiers `* + ? {n} {n,} {n,m}` (lazy forms too; laziness does
// not change whether a pattern matches), escapes `\t \n \v \f \r \0 \cX \xHH \uHHHH \u{H…}`.
// Rejected with a load error: lookaround, backreferences, `\p{…}` property escapes, unknown escapes.

struct RegexSyntaxError: Error, Hashable, Sendable {
    var message: String
    /// 0-based index (in Unicode scalars) into the pattern.
    var offset: Int
}

/// A set of Unicode scalar values: an ASCII bitmap plus sorted, disjoint ranges above ASCII.
struct ScalarSet: Hashable, Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    private var ranges: [ClosedRange<UInt32>] = []

    init(ranges input: [ClosedRange<UInt32>]) {
        let merged = ScalarSet.normalize(input)
        for r in merged {
            if r.lowerBound < 128 {
                for c in r.lowerBound...min(r.upperBound, 127) {
                    if c < 64 { low |= 1 << UInt64(c) } else { high |= 1 << UInt64(c - 64) }
                }
            }
            if r.upperBound >= 128 {
                ranges.append(max(r.lowerBound, 128)...r.upperBound)
            }
        }
    }

    @inline(__always)
    func contains(_ c: UInt32) -> Bool {
        if c < 64 { return low & (1 << UInt64(c)) != 0 }
        if c < 128 { return high & (1 << UInt64(c - 64)) != 0 }
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let r = ranges[mid]
            if c < r.lowerBound { hi = mid } else if c > r.upperBound { lo = mid + 1 } else { return true }
        }
        return false
    }

    static func normalize(_ input: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        let sorted = input.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt32>] = []
        for r in sorted {
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }

    static func complement(_ input: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in normalize(input) {
            if r.lowerBound > next { out.append(next...(r.lowerBound - 1)) }
            next = r.upperBound &+ 1
            if r.upperBound == 0x10FFFF { return out }
        }
        out.append(next...0x10FFFF)
        return out
    }
}

enum RegexClassEscape {
    static let digit: [ClosedRange<UInt32>] = [0x30...0x39]
    static let word: [ClosedRange<UInt32>] = [0x30...0x39, 0x41...0x5A, 0x5F...0x5F, 0x61...0x7A]
    static let space: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
        0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ]
    /// `.` matches everything but line terminators.
    static let dot: [ClosedRange<UInt32>] = ScalarSet.complement([0x0A...0x0A, 0x0D...0x0D, 0x2028...0x2029])

    /// The set `\d \D \w \W \s \S` name (after the backslash), in a class or out of one; nil for any other.
    static func set(named letter: Unicode.Scalar?) -> [ClosedRange<UInt32>]? {
        switch letter {
        case "d": return digit
        case "D": return ScalarSet.complement(digit)
        case "w": return word
        case "W": return ScalarSet.complement(word)
        case "s": return space
        case "S": return ScalarSet.complement(space)
        default: return nil
        }
    }

    static func isWord(_ c: UInt32) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || c == 0x5F || (c >= 0x61 && c <= 0x7A)
    }
}

struct ECMARegex: Sendable {
    enum Instruction: Hashable, Sendable {
        case scalar(UInt32)
        case set(Int32)
        case split(Int32, Int32)
        case jump(Int32)
        case assertStart
        case assertEnd
        case wordBoundary
        case notWordBoundary
        case match
    }

    static let maxProgramSize = 20_000
    static let maxRepeatCount = 1_000

    let source: String
    let program: [Instruction]
    let sets: [ScalarSet]
    let anchoredAtStart: Bool
    /// The same pattern as a greedy run matcher, when it is one (see `RunMatcher`).
    let runs: RunMatcher?

    init(_ pattern: String) throws(RegexSyntaxError) {
        var parser = RegexParser(pattern: Array(pattern.unicodeScalars))
        let ast = try parser.parse()
        var compiler = RegexCompiler()
        try compiler.emit(ast)
        compiler.program.append(.match)
        source = pattern
        program = compiler.program
        sets = compiler.sets
        anchoredAtStart = ast.startsWithStartAssertion
        runs = RunMatcher(ast)
    }

    func matches(_ text: String) -> Bool {
        if let runs { return runs.matches(text) }
        return simulate(text)
    }

    /// The NFA simulation, for any pattern.
    func simulate(_ text: String) -> Bool {
        let n = program.count
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * n) { buffer -> Bool in
            let base = buffer.baseAddress!
            var current = base
            var next = base + n
            let marks = base + 2 * n
            let stack = base + 3 * n
            for i in 0..<n { marks[i] = -1 }
            var currentCount = 0
            var nextCount = 0
            var generation: Int32 = 0

            // Follows the empty moves from `pc`; returns true when `.match` is reachable.
            func addThread(_ pc: Int32, into list: UnsafeMutablePointer<Int32>, _ count: inout Int,
                           prev: UInt32?, cur: UInt32?) -> Bool {
                var top = 0
                if marks[Int(pc)] == generation { return false }
                marks[Int(pc)] = generation
                stack[top] = pc
                top += 1
                while top > 0 {
                    top -= 1
                    let p = stack[top]
                    var follow: Int32 = -1
                    var follow2: Int32 = -1
                    switch program[Int(p)] {
                    case .match:
                        return true
                    case .scalar, .set:
                        list[count] = p
                        count += 1
                    case .jump(let t):
                        follow = t
                    case .split(let a, let b):
                        follow = a
                        follow2 = b
                    case .assertStart:
                        if prev == nil { follow = p + 1 }
                    case .assertEnd:
                        if cur == nil { follow = p + 1 }
                    case .wordBoundary, .notWordBoundary:
                        let before = prev.map(RegexClassEscape.isWord) ?? false
                        let after = cur.map(RegexClassEscape.isWord) ?? false
                        let atBoundary = before != after
                        if case .wordBoundary = program[Int(p)] {
                            if atBoundary { follow = p + 1 }
                        } else if !atBoundary {
                            follow = p + 1
                        }
                    }
                    if follow2 >= 0 && marks[Int(follow2)] != generation {
                        marks[Int(follow2)] = generation
                        stack[top] = follow2
                        top += 1
                    }
                    if follow >= 0 && marks[Int(follow)] != generation {
                        marks[Int(follow)] = generation
                        stack[top] = follow
                        top += 1
                    }
                }
                return false
            }

            var iterator = text.unicodeScalars.makeIterator()
            var prev: UInt32? = nil
            var cur: UInt32? = iterator.next()?.value
            if addThread(0, into: current, &currentCount, prev: prev, cur: cur) { return true }
            while let c = cur {
                if currentCount == 0 && anchoredAtStart { return false }
                generation += 1
                nextCount = 0
                let following = iterator.next()?.value
                for k in 0..<currentCount {
                    let pc = current[k]
                    let advances: Bool
                    switch program[Int(pc)] {
                    case .scalar(let s): advances = s == c
                    case .set(let i): advances = sets[Int(i)].contains(c)
                    default: advances = false
                    }
                    if advances, addThread(pc + 1, into: next, &nextCount, prev: c, cur: following) { return true }
                }
                if !anchoredAtStart, addThread(0, into: next, &nextCount, prev: c, cur: following) { return true }
                swap(&current, &next)
                currentCount = nextCount
                prev = c
                cur = following
            }
            return false
        }
    }
}

/// A pattern that is `^`, classes or characters each repeated a counted number of times, `$`
/// (`^[A-Za-z0-9_-]{1,64}$`, `^ac-[0-9]+$`, `^[0-9a-f]{8}$`: all but one of the shipped schema's), and
/// where a run of varying length is followed only by a run of at least one scalar from a disjoint
/// set (or by the end). Then the only way to match takes each run greedily — a shorter take would leave
/// a scalar of its own set for the next run, which cannot match it — so one pass decides, without the
/// NFA's thread lists (a fifth of validating a spec went to them).
struct RunMatcher: Sendable {
    struct Run: Sendable {
        let set: ScalarSet
        let min: Int
        let max: Int
    }

    let runs: [Run]

    init?(_ ast: RegexNode) {
        guard case .sequence(let items) = ast, items.count >= 2,
              case .assertStart? = items.first, case .assertEnd? = items.last else { return nil }
        var parts: [(ranges: [ClosedRange<UInt32>], min: Int, max: Int)] = []
        for item in items.dropFirst().dropLast() {
            var atom = item, min = 1, max = 1
            if case .repeated(let body, let low, let high) = item {
                (atom, min, max) = (body, low, high ?? Int.max)
            }
            switch atom {
            case .scalar(let c): parts.append(([c...c], min, max))
            case .set(let ranges): parts.append((ScalarSet.normalize(ranges), min, max))
            default: return nil
            }
        }
        for (i, part) in parts.enumerated() where part.min < part.max && i + 1 < parts.count {
            let following = parts[i + 1]
            guard following.min >= 1, !Self.overlap(part.ranges, following.ranges) else { return nil }
        }
        runs = parts.map { Run(set: ScalarSet(ranges: $0.ranges), min: $0.min, max: $0.max) }
    }

    /// Whether two sorted lists of disjoint ranges share a scalar.
    static func overlap(_ a: [ClosedRange<UInt32>], _ b: [ClosedRange<UInt32>]) -> Bool {
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i].overlaps(b[j]) { return true }
            if a[i].upperBound < b[j].upperBound { i += 1 } else { j += 1 }
        }
        return false
    }

    func matches(_ text: String) -> Bool {
        var scalars = text.unicodeScalars.makeIterator()
        var next = scalars.next()
        for run in runs {
            var taken = 0
            while taken < run.max, let c = next, run.set.contains(c.value) {
                taken += 1
                next = scalars.next()
            }
            if taken < run.min { return false }
        }
        return next == nil
    }
}

// MARK: - Parsing

indirect enum RegexNode {
    case empty
    case scalar(UInt32)
    case set([ClosedRange<UInt32>])
    case sequence([RegexNode])
    case alternation([RegexNode])
    case repeated(RegexNode, min: Int, max: Int?)
    case assertStart, assertEnd, wordBoundary, notWordBoundary

    var startsWithStartAssertion: Bool {
        switch self {
        case .assertStart: return true
        case .sequence(let items): return items.first?.startsWithStartAssertion ?? false
        default: return false
        }
    }
}

private struct RegexParser {
    let pattern: [Unicode.Scalar]
    var index = 0

    init(pattern: [Unicode.Scalar]) { self.pattern = pattern }

    var atEnd: Bool { index >= pattern.count }
    func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        index + ahead < pattern.count ? pattern[index + ahead] : nil
    }

    func error(_ message: String, at offset: Int? = nil) -> RegexSyntaxError {
        RegexSyntaxError(message: message, offset: offset ?? index)
    }

    mutating func parse() throws(RegexSyntaxError) -> RegexNode {
        let node = try parseDisjunction()
        if !atEnd {
            throw error("unmatched ')'")
        }
        return node
    }

    mutating func parseDisjunction() throws(RegexSyntaxError) -> RegexNode {
        var alternatives = [try parseAlternative()]
        while peek() == "|" {
            index += 1
            alternatives.append(try parseAlternative())
        }
        return alternatives.count == 1 ? alternatives[0] : .alternation(alternatives)
    }

    mutating func parseAlternative() throws(RegexSyntaxError) -> RegexNode {
        var terms: [RegexNode] = []
        while let c = peek(), c != "|", c != ")" {
            terms.append(try parseTerm())
        }
        if terms.isEmpty { return .empty }
        return terms.count == 1 ? terms[0] : .sequence(terms)
    }

    mutating func parseTerm() throws(RegexSyntaxError) -> RegexNode {
        let termStart = index
        guard let c = peek() else { throw error("unexpected end of pattern") }
        // Assertions cannot be quantified.
        switch c {
        case "^":
            index += 1
            try rejectQuantifier(after: "^")
            return .assertStart
        case "$":
            index += 1
            try rejectQuantifier(after: "$")
            return .assertEnd
        case "\\" where peek(1) == "b":
            index += 2
            try rejectQuantifier(after: "\\b")
            return .wordBoundary
        case "\\" where peek(1) == "B":
            index += 2
            try rejectQuantifier(after: "\\B")
            return .notWordBoundary
        default:
            break
        }
        let atom: RegexNode
        switch c {
        case "(":
            atom = try parseGroup()
        case "[":
            atom = try parseClass()
        case ".":
            index += 1
            atom = .set(RegexClassEscape.dot)
        case "\\":
            atom = try parseAtomEscape()
        case "*", "+", "?":
            throw error("nothing to repeat before '\(c)'; escape it as \\\(c) to match it literally")
        case "{":
            if isQuantifierBrace() {
                throw error("nothing to repeat before '{'; escape it as \\{ to match it literally")
            }
            index += 1
            atom = .scalar(c.value)
        default:
            index += 1
            atom = .scalar(c.value)
        }
        return try parseQuantifier(atom, termStart: termStart)
    }

    mutating func rejectQuantifier(after what: String) throws(RegexSyntaxError) {
        if let q = peek(), q == "*" || q == "+" || q == "?" || (q == "{" && isQuantifierBrace()) {
            throw error("'\(what)' is an assertion and cannot be repeated")
        }
    }

    /// Whether `{` at the cursor starts `{n}`, `{n,}` or `{n,m}`.
    func isQuantifierBrace() -> Bool {
        var i = index + 1
        var digits = 0
        while i < pattern.count, isASCIIDigit(pattern[i]) { i += 1; digits += 1 }
        guard digits > 0, i < pattern.count else { return false }
        if pattern[i] == "}" { return true }
        guard pattern[i] == "," else { return false }
        i += 1
        while i < pattern.count, isASCIIDigit(pattern[i]) { i += 1 }
        return i < pattern.count && pattern[i] == "}"
    }

    mutating func parseQuantifier(_ atom: RegexNode, termStart: Int) throws(RegexSyntaxError) -> RegexNode {
        guard let q = peek() else { return atom }
        var minCount: Int
        var maxCount: Int?
        switch q {
        case "*": minCount = 0; maxCount = nil; index += 1
        case "+": minCount = 1; maxCount = nil; index += 1
        case "?": minCount = 0; maxCount = 1; index += 1
        case "{" where isQuantifierBrace():
            let braceStart = index
            index += 1
            minCount = try readCount()
            if peek() == "," {
                index += 1
                if peek() == "}" { maxCount = nil } else { maxCount = try readCount() }
            } else {
                maxCount = minCount
            }
            index += 1 // the closing brace (isQuantifierBrace checked it)
            if let m = maxCount, m < minCount {
                throw error("numbers out of order in {\(minCount),\(m)} quantifier", at: braceStart)
            }
        default:
            return atom
        }
        if peek() == "?" { index += 1 } // lazy: same match/no-match answer
        if let q2 = peek(), q2 == "*" || q2 == "+" || q2 == "?" || (q2 == "{" && isQuantifierBrace()) {
            throw error("nothing to repeat before '\(q2)' (two quantifiers in a row)")
        }
        return .repeated(atom, min: minCount, max: maxCount)
    }

    mutating func readCount() throws(RegexSyntaxError) -> Int {
        let start = index
        var value = 0
        while let c = peek(), isASCIIDigit(c) {
            value = value * 10 + Int(c.value - 0x30)
            if value > ECMARegex.maxRepeatCount {
                throw error("repetition count is larger than \(ECMARegex.maxRepeatCount)", at: start)
            }
            index += 1
        }
        return value
    }

    mutating func parseGroup() throws(RegexSyntaxError) -> RegexNode {
        let groupStart = index
        index += 1
        if peek() == "?" {
            switch peek(1) {
            case ":":
                index += 2
            case "=", "!":
                throw error("lookahead (?\(peek(1)!)…) is not supported", at: groupStart)
            case "<" where peek(2) == "=" || peek(2) == "!":
                throw error("lookbehind (?<\(peek(2)!)…) is not supported", at: groupStart)
            case "<":
                index += 2
                var nameLength = 0
                while let c = peek(), c != ">" {
                    guard c == "_" || c == "$" || c.properties.isAlphabetic || (nameLength > 0 && isASCIIDigit(c)) else {
                        throw error("invalid group name character '\(c)'")
                    }
                    nameLength += 1
                    index += 1
                }
                guard peek() == ">", nameLength > 0 else { throw error("unterminated or empty group name", at: groupStart) }
                index += 1
            default:
                throw error("invalid group '(?'; use (?: ) for a non-capturing group", at: groupStart)
            }
        }
        let inner = try parseDisjunction()
        guard peek() == ")" else { throw error("missing ')' for the group opened here", at: groupStart) }
        index += 1
        return inner
    }

    /// After a backslash outside a class.
    mutating func parseAtomEscape() throws(RegexSyntaxError) -> RegexNode {
        let escapeStart = index
        index += 1
        guard let c = peek() else { throw error("pattern ends with a lone backslash", at: escapeStart) }
        if let set = RegexClassEscape.set(named: c) {
            index += 1
            return .set(set)
        }
        switch c {
        case "1"..."9":
            throw error("backreferences (\\\(c)) are not supported", at: escapeStart)
        case "k":
            throw error("named backreferences (\\k<…>) are not supported", at: escapeStart)
        default:
            return .scalar(try parseCharacterEscape(escapeStart: escapeStart, inClass: false))
        }
    }

    /// A single-character escape; the cursor is on the character after the backslash.
    mutating func parseCharacterEscape(escapeStart: Int, inClass: Bool) throws(RegexSyntaxError) -> UInt32 {
        guard let c = peek() else { throw error("pattern ends with a lone backslash", at: escapeStart) }
        index += 1
        switch c {
        case "t": return 0x09
        case "n": return 0x0A
        case "v": return 0x0B
        case "f": return 0x0C
        case "r": return 0x0D
        case "b" where inClass: return 0x08
        case "-" where inClass: return 0x2D
        case "0":
            if let n = peek(), isASCIIDigit(n) {
                throw error("octal escapes are not supported; use \\x or \\u", at: escapeStart)
            }
            return 0
        case "c":
            guard let letter = peek(), letter.isASCII, letter.properties.isAlphabetic else {
                throw error("\\c must be followed by a letter A-Z", at: escapeStart)
            }
            index += 1
            return letter.value % 32
        case "x":
            return try readHex(count: 2, escapeStart: escapeStart)
        case "u":
            if peek() == "{" {
                index += 1
                var value: UInt32 = 0
                var digits = 0
                while let h = peek(), h != "}" {
                    guard let d = h.hexDigitValue else { throw error("invalid \\u{…} escape", at: escapeStart) }
                    value = value * 16 + d
                    digits += 1
                    guard value <= 0x10FFFF else { throw error("\\u{…} escape beyond U+10FFFF", at: escapeStart) }
                    index += 1
                }
                guard peek() == "}", digits > 0 else { throw error("invalid \\u{…} escape", at: escapeStart) }
                index += 1
                return value
            }
            let high = try readHex(count: 4, escapeStart: escapeStart)
            if high >= 0xD800 && high < 0xDC00, peek() == "\\", peek(1) == "u" {
                let save = index
                index += 2
                if let low = try? readHex(count: 4, escapeStart: escapeStart), low >= 0xDC00 && low < 0xE000 {
                    return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                }
                index = save
            }
            return high
        case "p", "P":
            throw error("Unicode property escapes (\\\(c){…}) are not supported", at: escapeStart)
        case "A", "Z", "z":
            throw error("\\\(c) is not ECMA-262 syntax; use ^ and $ to anchor", at: escapeStart)
        default:
            // Identity escapes: any punctuation or non-ASCII character stands for itself.
            if isASCIIDigit(c) || (c.isASCII && c.properties.isAlphabetic) {
                throw error("unknown escape \\\(c)", at: escapeStart)
            }
            return c.value
        }
    }

    mutating func readHex(count: Int, escapeStart: Int) throws(RegexSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count {
            guard let h = peek(), let d = h.hexDigitValue else {
                throw error("invalid hex escape; write exactly \(count) hex digits", at: escapeStart)
            }
            value = value * 16 + d
            index += 1
        }
        return value
    }

    mutating func parseClass() throws(RegexSyntaxError) -> RegexNode {
        let classStart = index
        index += 1
        var negated = false
        if peek() == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<UInt32>] = []
        while true {
            guard let c = peek() else { throw error("missing ']' for the class opened here", at: classStart) }
            if c == "]" {
                index += 1
                break
            }
            let atomStart = index
            let first = try parseClassAtom()
            if peek() == "-", let after = peek(1), after != "]" {
                index += 1
                let second = try parseClassAtom()
                guard case .single(let lo) = first, case .single(let hi) = second else {
                    throw error("a class escape like \\d cannot be a range end", at: atomStart)
                }
                guard lo <= hi else {
                    throw error("range out of order in character class", at: atomStart)
                }
                ranges.append(lo...hi)
            } else {
                switch first {
                case .single(let s): ranges.append(s...s)
                case .set(let set): ranges.append(contentsOf: set)
                }
            }
        }
        return .set(negated ? ScalarSet.complement(ranges) : ScalarSet.normalize(ranges))
    }

    enum ClassAtom {
        case single(UInt32)
        case set([ClosedRange<UInt32>])
    }

    mutating func parseClassAtom() throws(RegexSyntaxError) -> ClassAtom {
        guard let c = peek() else { throw error("unterminated character class") }
        guard c == "\\" else {
            index += 1
            return .single(c.value)
        }
        let escapeStart = index
        index += 1
        if let set = RegexClassEscape.set(named: peek()) {
            index += 1
            return .set(set)
        }
        switch peek() {
        case "B": throw error("\\B is not allowed in a character class", at: escapeStart)
        case .some(let d) where isASCIIDigit(d) && d != "0":
            throw error("backreferences (\\\(d)) are not supported", at: escapeStart)
        default:
            return .single(try parseCharacterEscape(escapeStart: escapeStart, inClass: true))
        }
    }
}

private func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

private extension Unicode.Scalar {
    var hexDigitValue: UInt32? {
        switch value {
        case 0x30...0x39: return value - 0x30
        case 0x41...0x46: return value - 0x41 + 10
        case 0x61...0x66: return value - 0x61 + 10
        default: return nil
        }
    }
}

// MARK: - Compiling

private struct RegexCompiler {
    var program: [ECMARegex.Instruction] = []
    var sets: [ScalarSet] = []
    /// The ranges each entry of `sets` was built from. Searched linearly (a pattern has a handful of
    /// classes): a dictionary keyed by range arrays cost more to instantiate at start-up than every
    /// search it saves.
    var setSources: [[ClosedRange<UInt32>]] = []

    mutating func append(_ instruction: ECMARegex.Instruction) throws(RegexSyntaxError) {
        guard program.count < ECMARegex.maxProgramSize else {
            throw RegexSyntaxError(message: "pattern is too large once its counted repetitions are expanded", offset: 0)
        }
        program.append(instruction)
    }

    var here: Int32 { Int32(program.count) }

    /// Appends the instructions of `range` again at the end, their jumps moved with them (a body's
    /// jumps stay within it or go to its end).
    mutating func appendCopy(of range: Range<Int>) throws(RegexSyntaxError) {
        let shift = Int32(program.count - range.lowerBound)
        for i in range {
            switch program[i] {
            case .split(let a, let b): try append(.split(a + shift, b + shift))
            case .jump(let a): try append(.jump(a + shift))
            case let other: try append(other)
            }
        }
    }

    mutating func emit(_ node: RegexNode) throws(RegexSyntaxError) {
        switch node {
        case .empty:
            break
        case .scalar(let c):
            try append(.scalar(c))
        case .set(let ranges):
            let i: Int32
            if let existing = setSources.firstIndex(of: ranges) {
                i = Int32(existing)
            } else {
                i = Int32(sets.count)
                sets.append(ScalarSet(ranges: ranges))
                setSources.append(ranges)
            }
            try append(.set(i))
        case .sequence(let items):
            for item in items { try emit(item) }
        case .alternation(let alternatives):
            var jumpsToEnd: [Int] = []
            for (k, alternative) in alternatives.enumerated() {
                if k < alternatives.count - 1 {
                    let split = program.count
                    try append(.split(here + 1, -1))
                    try emit(alternative)
                    jumpsToEnd.append(program.count)
                    try append(.jump(-1))
                    program[split] = .split(Int32(split + 1), here)
                } else {
                    try emit(alternative)
                }
            }
            for j in jumpsToEnd { program[j] = .jump(here) }
        case .repeated(let body, let minCount, let maxCount):
            // The body is compiled once; further copies are its instructions moved (`{1,64}` compiled
            // its body 64 times, most of the schema's start-up cost).
            var compiled: Range<Int>?
            func emitBody() throws(RegexSyntaxError) {
                if let compiled { try appendCopy(of: compiled) } else {
                    let start = program.count
                    try emit(body)
                    compiled = start..<program.count
                }
            }
            for _ in 0..<minCount { try emitBody() }
            if let maxCount {
                // Nested optionals x(x(x)?)? with one common exit keep the set of live threads small.
                var exits: [Int] = []
                for _ in 0..<(maxCount - minCount) {
                    exits.append(program.count)
                    try append(.split(here + 1, -1))
                    try emitBody()
                }
                for e in exits { program[e] = .split(Int32(e + 1), here) }
            } else {
                let loop = program.count
                try append(.split(here + 1, -1))
                try emit(body)
                try append(.jump(Int32(loop)))
                program[loop] = .split(Int32(loop + 1), here)
            }
        case .assertStart: try append(.assertStart)
        case .assertEnd: try append(.assertEnd)
        case .wordBoundary: try append(.wordBoundary)
        case .notWordBoundary: try append(.notWordBoundary)
        }
    }
}
