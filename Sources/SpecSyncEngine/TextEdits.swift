#if canImport(Glibc)
import Glibc
#endif

/// The few Foundation string operations specsync used, on Unicode scalars and UTF-8 as Foundation did
/// them (not on Characters: "\r\n" is one Character, yet "\r" must still match inside it).
extension StringProtocol {
    /// `trimmingCharacters(in: .newlines)`.
    public func trimmingNewlines() -> String { trimming(where: \.isNewline) }

    /// `trimmingCharacters(in: .whitespaces)`.
    public func trimmingWhitespace() -> String { trimming(where: \.isHorizontalSpace) }

    /// `trimmingCharacters(in: .whitespacesAndNewlines)`.
    public func trimmingWhitespaceAndNewlines() -> String { trimming { $0.isNewline || $0.isHorizontalSpace } }

    /// `replacingOccurrences(of:with:)`: every non-overlapping occurrence, left to right, compared byte for byte.
    public func replacingEvery(_ target: String, with replacement: String) -> String {
        let text = Array(utf8), pattern = Array(target.utf8)
        guard !pattern.isEmpty, text.count >= pattern.count else { return String(self) }
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + pattern.count <= text.count && text[i] == pattern[0] && text[i..<(i + pattern.count)].elementsEqual(pattern) {
                result.append(contentsOf: replacement.utf8)
                i += pattern.count
            } else {
                result.append(text[i])
                i += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    private func trimming(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }),
              let last = scalars.lastIndex(where: { !drop($0) }) else { return "" }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[first...last])
        return String(result)
    }
}

private extension Unicode.Scalar {
    /// CharacterSet.newlines: U+000A–U+000D, U+0085, U+2028, U+2029.
    var isNewline: Bool {
        switch value {
        case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// CharacterSet.whitespaces: Unicode general category Zs, and tab.
    var isHorizontalSpace: Bool { value == 0x09 || properties.generalCategory == .spaceSeparator }
}

/// `String(format: "%.<digits>f", value)`: the same C formatting, without Foundation.
func fixedPoint(_ value: Double, digits: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    let count = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.\(digits)f", $0) }
    guard count >= 0 && Int(count) < buffer.count else { return String(value) }  // only for absurd magnitudes
    return String(decoding: buffer[0..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
