import Foundation
import Pruning
import Recipes

/// The pruning levels a run will make, printed before any training: as text on
/// standard error, and as the first `--json` line (`{"kind": "plan", ...}`), so a
/// program knows how many level lines follow and where each level lands.
struct PlannedLevels: Encodable {
    let kind = "plan"
    /// The strategies whose chains run each level.
    let strategies: [String]
    /// The fraction of prunable weights left after each level, level 1 first.
    let weightsRemaining: [Double]
    /// `rewind prune` only: the pruning options in force, whatever their source.
    let options: PruneOptionsSummary?

    init(strategies: [String], remaining: [Double], options: PruneOptionsSummary? = nil) {
        self.strategies = strategies
        self.weightsRemaining = remaining
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case kind, strategies, weightsRemaining = "weights_remaining", options }

    /// "80.0, 64.0, 51.2, …, 2.00" (three significant digits).
    static func text(_ remaining: [Double]) -> String {
        remaining.map { String(format: $0 >= 0.1 ? "%.1f" : $0 >= 0.01 ? "%.2f" : "%.3g", $0 * 100) }.joined(separator: ", ")
    }
}
