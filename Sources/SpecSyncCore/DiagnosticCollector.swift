/// The problems of one file, or of one pass over it, under a cap (`ParseLimits.maxDiagnostics`): at most
/// `limit` kept, the earliest by position — a problem found late (a mapping's missing keys are found
/// after its values) still displaces a later one, so the cap never hides a problem that comes before
/// one it lists. Of the rest, only where the earliest is. Identical reports (from `allOf` branches or a
/// `$ref` reached twice) count once. A message is built only for a problem that is kept. Used by the
/// parser and the schema validator.
package final class DiagnosticCollector {
    package let limit: Int
    /// Reports received, kept or not (a walk compares it before and after a subtree).
    package private(set) var reports = 0
    package private(set) var firstOmitted: SourcePosition?
    /// Sorted by position when capped; in the order found when not (sorted once at the end).
    private var kept: [Diagnostic] = []

    package init(limit: Int) { self.limit = limit }

    /// A problem at `position`; `make` builds it (at that position) only if it is kept.
    package func add(_ position: SourcePosition, _ make: () -> Diagnostic) {
        reports += 1
        guard limit < .max else { return kept.append(make()) }
        // The first index whose position comes after this one: the new diagnostic goes there.
        var lo = 0, hi = kept.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if (kept[mid].line, kept[mid].column) <= (position.line, position.column) { lo = mid + 1 } else { hi = mid }
        }
        guard lo < limit else {
            // A repeat of the last one kept (same place, same words) is not a problem left out.
            if lo > 0, kept[lo - 1].line == position.line, kept[lo - 1].column == position.column,
               isKept(make(), before: lo) { return }
            return omit(position)
        }
        let diagnostic = make()
        if isKept(diagnostic, before: lo) { return }
        kept.insert(diagnostic, at: lo)
        if kept.count > limit { omit(kept.removeLast().position) }
    }

    /// Notes a problem at `position` that is not kept.
    package func omit(_ position: SourcePosition) {
        if firstOmitted.map({ position < $0 }) ?? true { firstOmitted = position }
    }

    /// The problems kept, sorted, each once.
    package func sorted() -> [Diagnostic] {
        let all = kept.sorted()
        var unique: [Diagnostic] = []
        unique.reserveCapacity(all.count)
        for d in all where unique.last != d { unique.append(d) }
        return unique
    }

    /// Whether `diagnostic` is kept already: identical ones stand just before `index`, at its position.
    private func isKept(_ diagnostic: Diagnostic, before index: Int) -> Bool {
        var i = index - 1
        while i >= 0, kept[i].position == diagnostic.position {
            if kept[i] == diagnostic { return true }
            i -= 1
        }
        return false
    }
}
