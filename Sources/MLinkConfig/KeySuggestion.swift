/// "Did you mean" for unknown keys: the known key nearest by edit distance.
enum KeySuggestion {
    /// Further than this, a suggestion is more likely to mislead than help.
    static let maximumDistance = 3

    /// The known key closest to `key` (first one on a tie), when it is within `maximumDistance` edits.
    static func closest(to key: String, among knownKeys: [String]) -> String? {
        var best: (key: String, distance: Int)?
        for candidate in knownKeys {
            let distance = editDistance(key, candidate)
            if distance <= maximumDistance, distance < best?.distance ?? Int.max {
                best = (candidate, distance)
            }
        }
        return best?.key
    }

    /// Levenshtein distance: insertions, deletions and substitutions each cost one.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
