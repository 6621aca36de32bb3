/// The name of `candidates` a person most likely meant by `typed`, or nil when none
/// is close: the candidate that abbreviates `typed` by its words' initials
/// (`lr` for `learning_rate`, `bs` for `batch-size`), else the one at the smallest
/// edit distance (`editDistance`), if
/// that distance is at most a third of the longer name (and at least 1 is allowed,
/// 2 from six letters up).
func closestName(to typed: String, among candidates: [String]) -> String? {
    let lowered = typed.lowercased()
    let initials = String(lowered.split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == " " }).compactMap(\.first))
    if initials.count > 1, let match = candidates.first(where: { $0 == initials }) { return match }
    let scored = candidates.map { ($0, editDistance(lowered, $0.lowercased())) }
    guard let (best, distance) = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    let longer = max(lowered.count, best.count)
    return distance <= max(longer / 3, longer >= 6 ? 2 : 1) ? best : nil
}

/// Edit distance between `a` and `b` (optimal string alignment: insertions,
/// deletions, substitutions and swaps of neighbours, each 1), by dynamic programming:
///
///     d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (a[i] != b[j]),
///                   d[i-2][j-2] + 1 if a[i] == b[j-1] and a[i-1] == b[j])
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in stride(from: 1, through: a.count, by: 1) {
        for j in stride(from: 1, through: b.count, by: 1) {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}
