/// "Did you mean": the closest known word by edit distance, when it is close enough to
/// be a typo (at most 2 edits, and fewer than half the word) rather than another word.
enum Suggestion {
    static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let limit = min(2, max(1, word.count / 2))
        // A prefix (`stat` for `status`) is a likely abbreviation, whatever its distance.
        if best.1 > limit, let prefix = candidates.first(where: { word.count >= 3 && $0.hasPrefix(word) }) { return prefix }
        return best.1 <= limit ? best.0 : nil
    }

    /// Damerau-Levenshtein distance (with adjacent transpositions, so `sycn` is one edit
    /// from `sync`), over characters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var best = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    best = min(best, table[i - 2][j - 2] + 1)
                }
                table[i][j] = best
            }
        }
        return table[a.count][b.count]
    }
}
