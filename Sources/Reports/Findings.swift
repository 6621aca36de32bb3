import Foundation

/// A band of weights remaining, `(lower, upper]` in percent, on the 1-2-5 series
/// (50–100%, 20–50%, 10–20%, 5–10%, 2–5%, 1–2%, 0.5–1%, ...), the steps a reader
/// thinks in ("at about 5% weights remaining").
public struct SparsityBand: Equatable, Hashable, Sendable {
    public var lower: Double
    public var upper: Double

    /// The band holding `percent` (in (0, 100]).
    public static func containing(_ percent: Double) -> SparsityBand {
        var upper = 100.0
        var exponent = 1
        while true {
            // Steps down 100 -> 50 -> 20 -> 10 -> 5 -> 2 -> 1 -> 0.5 ... built from 10^k, not
            // repeated division, so the boundaries are the exact decimals.
            for mantissa in [5.0, 2.0, 1.0] {
                let lower = exponent >= 0 ? mantissa * pow(10, Double(exponent))
                                          : mantissa / pow(10, Double(-exponent))
                if percent > lower || lower <= 1e-9 { return SparsityBand(lower: lower, upper: upper) }
                upper = lower
            }
            exponent -= 1
        }
    }

    /// "20–50%".
    public var label: String { "\(ReportNumbers.compact(lower))–\(ReportNumbers.compact(upper))%" }
}

/// What the data says about one band of levels: who wins, and how the winner at the
/// band's sparsest level compares with dense and with the runner-up.
public struct BandFinding: Equatable, Sendable {
    public var band: SparsityBand
    /// The band's levels, densest first.
    public var levels: [PrunedLevel]
    /// The band's sparsest level with results.
    public var sparsest: PrunedLevel
    /// The best strategy at `sparsest`.
    public var best: LevelAggregate
    /// The second-best strategy at `sparsest`, if there is one.
    public var runnerUp: LevelAggregate?
    public var dense: SampleStatistics?

    /// Level winners by number of levels won, most first (ties in recipe order).
    public func winCounts(strategyOrder: [String]) -> [(strategy: String, wins: Int)] {
        let winners = levels.compactMap(\.best)
        return strategyOrder.compactMap { name -> (strategy: String, wins: Int)? in
            let wins = winners.filter { $0 == name }.count
            return wins > 0 ? (name, wins) : nil
        }.enumerated().sorted { a, b in
            a.element.wins != b.element.wins ? a.element.wins > b.element.wins : a.offset < b.offset
        }.map(\.element)
    }

    /// One plain-English sentence, e.g. "**2–5% weights remaining** (levels 14–17):
    /// lr-rewind is best at all 4 levels. At 2.25% (level 17), lr-rewind is best with
    /// 87.90 ± 0.11%, 1.20 points below dense (89.10%) and 0.35 points ahead of
    /// weight-rewind."
    public func sentence(strategyOrder: [String]) -> String {
        let percent = ReportNumbers.weightsRemainingLabels([100 * sparsest.weightsRemaining])[0]
        let bestText = "\(best.strategy) is best with \(ReportNumbers.accuracy(best.testAccuracy))%"
        var comparisons: [String] = []
        if let dense {
            comparisons.append("\(Self.gap(best.testAccuracy.mean, dense.mean, "dense")) "
                               + "(\(ReportNumbers.fixed(100 * dense.mean, decimals: 2))%)")
        }
        if let runnerUp {
            if isTie(best.testAccuracy, runnerUp.testAccuracy) {
                comparisons.append("tied with \(runnerUp.strategy) (\(ReportNumbers.accuracy(runnerUp.testAccuracy))%: "
                                   + "the difference is within the spread over seeds)")
            } else {
                comparisons.append(Self.gap(best.testAccuracy.mean, runnerUp.testAccuracy.mean, runnerUp.strategy,
                                            above: "ahead of"))
            }
        }
        var tail = (comparisons.isEmpty ? "" : ", " + comparisons.joined(separator: " and ")) + "."
        if best.testAccuracy.count < 2 { tail += " One seed: no spread over seeds is known, so no difference here is shown to be real." }
        let head = "**\(band.label) weights remaining**"
        if levels.count == 1 {
            return "\(head) (level \(sparsest.level), \(percent)%): \(bestText)\(tail)"
        }
        let counts = winCounts(strategyOrder: strategyOrder)
        let tally: String
        if counts.count == 1 && counts[0].wins == levels.count {
            tally = "\(counts[0].strategy) is best at all \(levels.count) levels"
        } else {
            tally = counts.enumerated().map { index, entry in
                index == 0 ? "\(entry.strategy) is best at \(entry.wins) of \(levels.count) levels"
                           : "\(entry.strategy) at \(entry.wins)"
            }.joined(separator: ", ")
        }
        return "\(head) (levels \(levels.first!.level)–\(levels.last!.level)): \(tally). "
            + "At \(percent)% (level \(sparsest.level)), \(bestText)\(tail)"
    }

    /// Whether two strategies' accuracies are a tie: with several seeds, a difference of
    /// means smaller than the larger of the two sample standard deviations. With one
    /// seed the spread is unknown and nothing is called a tie (the sentence says so).
    func isTie(_ a: SampleStatistics, _ b: SampleStatistics) -> Bool {
        guard a.count > 1, b.count > 1 else { return false }
        return abs(a.mean - b.mean) < max(a.std, b.std)
    }

    /// "1.20 points below dense", "0.35 points ahead of lr-rewind", "level with dense".
    private static func gap(_ value: Double, _ reference: Double, _ name: String,
                            above: String = "above") -> String {
        let points = 100 * (value - reference)
        let text = ReportNumbers.fixed(abs(points), decimals: 2)
        if text == ReportNumbers.fixed(0, decimals: 2) { return "level with \(name)" }
        return "\(text) points \(points > 0 ? above : "below") \(name)"
    }
}

/// The findings of a comparison, one per band of levels, densest band first.
public enum Findings {
    public static func bands(_ comparison: Comparison) -> [BandFinding] {
        var bands: [SparsityBand] = []
        var members: [SparsityBand: [PrunedLevel]] = [:]
        for level in comparison.levels where level.best != nil {
            let band = SparsityBand.containing(100 * level.weightsRemaining)
            if members[band] == nil { bands.append(band) }
            members[band, default: []].append(level)
        }
        return bands.map { band in
            let levels = members[band]!
            let sparsest = levels.last!
            let ranked = comparison.ranking(at: sparsest.level)
            return BandFinding(band: band, levels: levels, sparsest: sparsest, best: ranked[0],
                               runnerUp: ranked.count > 1 ? ranked[1] : nil,
                               dense: comparison.dense?.testAccuracy)
        }
    }
}
