import Engine

/// How weights are chosen for removal at each pruning level.
///
/// - `magnitude`: remove the surviving weights of smallest |w| (Han et al. 2015;
///   Frankle & Carbin 2019).
/// - `random`: remove uniformly random surviving weights, with exactly the per-layer
///   counts magnitude pruning would remove (the control of Frankle & Carbin).
public enum PruningCriterion: String, Sendable, Codable, CaseIterable {
    case magnitude, random
}

/// Over which weights a removal count is taken.
///
/// - `layerwise`: each layer loses its rate times its surviving weights.
/// - `global`: one magnitude threshold over every pooled layer's surviving weights
///   (Frankle & Carbin's deep networks; open_lth's `sparse_global`). Layers with a
///   rate override stay out of the pool and are pruned layerwise at their own rate.
public enum PruningScope: String, Sendable, Codable, CaseIterable {
    case layerwise, global
}

/// A pruning schedule: the criterion, the scope, the fraction of surviving weights
/// removed per level (with per-layer overrides), and where to stop.
///
/// Counts: a layer (or the global pool) with `r` surviving weights and rate `p`
/// loses `round(p · r)` weights per level (round half away from zero). The last
/// level is cut so the total surviving count is exactly
/// `round((1 − targetSparsity) · total)`. A cut smaller than half a level is folded
/// into the level before it: when a level's nominal counts would leave fewer than
/// half of the next level's nominal total to reach the target, that level goes to the
/// target itself (removing up to 1.5 levels' worth), so no retraining level is spent
/// on a handful of weights (target 0.75 at 20% per level: 6 levels, the last from
/// 32.8% to 25%, not a 7th from 26.2% to 25%). The weights still to remove are shared
/// among the groups in proportion to their nominal counts by the largest-remainder
/// method (ties to the earlier group), so the target is met to the weight.
/// One-shot pruning is the same cut applied at level 1.
///
/// Ties in magnitude are broken by position: the earlier layer, then the lower
/// flat index, is pruned first. Everything is deterministic.
public struct PruningPlan: Equatable, Sendable, Codable {
    public var criterion: PruningCriterion
    public var scope: PruningScope
    /// Fraction of surviving weights removed per level where no override applies, in (0, 1).
    public var fraction: Double
    /// Per-parameter fractions overriding `fraction` (e.g. the output layer at 0.1).
    public var rates: [String: Double]
    /// Overall sparsity to reach over all masked weights, in (0, 1).
    public var targetSparsity: Double
    /// Prune straight to the target in one level.
    public var oneShot: Bool

    public init(criterion: PruningCriterion = .magnitude, scope: PruningScope = .layerwise,
                fraction: Double = 0.2, rates: [String: Double] = [:], targetSparsity: Double,
                oneShot: Bool = false) {
        self.criterion = criterion
        self.scope = scope
        self.fraction = fraction
        self.rates = rates
        self.targetSparsity = targetSparsity
        self.oneShot = oneShot
    }

    /// The ranges of the plan's numbers (recipe keys and `rewind prune` options alike).
    public enum Limits {
        public static let fraction = SettingLimits.openUnitInterval("a fraction in (0, 1)")
        public static let targetSparsity = SettingLimits.openUnitInterval("a sparsity in (0, 1), e.g. 0.95")
        public static let rate = SettingLimits(0, 1, lowerOpen: false, upperOpen: true, expected: "a fraction in [0, 1)")
    }

    /// Checks the ranges and that every override names a masked parameter.
    public func validate(maskedNames: [String]) throws {
        guard Limits.fraction.contains(fraction) else {
            throw PruningError.invalidPlan("fraction: expected \(Limits.fraction.expected), got \(fraction)")
        }
        guard Limits.targetSparsity.contains(targetSparsity) else {
            throw PruningError.invalidPlan("target sparsity: expected \(Limits.targetSparsity.expected), got \(targetSparsity)")
        }
        for (name, rate) in rates.sorted(by: { $0.key < $1.key }) {
            guard maskedNames.contains(name) else {
                throw PruningError.invalidPlan("rate for '\(name)': not a prunable parameter (expected one of \(maskedNames.joined(separator: ", ")))")
            }
            guard Limits.rate.contains(rate) else {
                throw PruningError.invalidPlan("rate for '\(name)': expected \(Limits.rate.expected), got \(rate)")
            }
        }
    }

    /// The fraction applied to parameter `name` per level.
    public func rate(for name: String) -> Double { rates[name] ?? fraction }

    /// The number of surviving weights the final level leaves, of `total`.
    public func targetRemaining(total: Int) -> Int {
        Int(((1 - targetSparsity) * Double(total)).rounded())
    }

    /// The surviving fraction after each level, starting from a full mask with the
    /// given layer sizes (the last entry is the target). Exact: group totals decide
    /// every count, whatever the split inside a global pool.
    public func remainingSchedule(layerSizes: [(name: String, size: Int)]) -> [Double] {
        let total = layerSizes.reduce(0) { $0 + $1.size }
        var groups = PruningGroups(plan: self, names: layerSizes.map(\.name),
                                   remaining: Dictionary(uniqueKeysWithValues: layerSizes.map { ($0.name, $0.size) }))
        var schedule: [Double] = []
        while schedule.count < 10_000 {
            let counts = groups.removalCounts(plan: self, targetRemaining: targetRemaining(total: total))
            if counts.isEmpty { break }
            groups.remove(counts)
            schedule.append(Double(groups.surviving.reduce(0, +)) / Double(total))
        }
        return schedule
    }
}

/// The groups one level prunes: one group per layerwise layer, plus at most one
/// global pool, with each group's nominal removal count.
struct PruningGroups {
    /// Parameter names per group, in network order.
    var members: [[String]] = []
    /// Surviving weights per group.
    var surviving: [Int] = []

    /// Rates per group (the pool's is the plan's fraction).
    var rates: [Double] = []

    init(plan: PruningPlan, names: [String], remaining: [String: Int]) {
        var pooled: [String] = []
        for name in names {
            if plan.scope == .global && plan.rates[name] == nil {
                pooled.append(name)
            } else {
                members.append([name])
                surviving.append(remaining[name]!)
                rates.append(plan.rate(for: name))
            }
        }
        if !pooled.isEmpty {
            members.insert(pooled, at: 0)
            surviving.insert(pooled.reduce(0) { $0 + remaining[$1]! }, at: 0)
            rates.insert(plan.fraction, at: 0)
        }
    }

    /// `round(rate · surviving)` per group: what a level removes before the final cut.
    var nominal: [Int] { zip(rates, surviving).map { Int(($0 * Double($1)).rounded()) } }

    /// Takes `counts` off the surviving totals (simulation).
    mutating func remove(_ counts: [Int]) {
        for g in counts.indices { surviving[g] -= counts[g] }
    }

    /// How many weights each group loses this level (empty when nothing is left to do).
    /// A level that would go below the target is cut to reach it exactly.
    func removalCounts(plan: PruningPlan, targetRemaining: Int) -> [Int] {
        let current = surviving.reduce(0, +)
        let needed = current - targetRemaining
        if needed <= 0 { return [] }
        let nominalTotal = nominal.reduce(0, +)
        if !plan.oneShot && nominalTotal > 0 && nominalTotal < needed {
            var next = self
            next.remove(nominal)
            let nextNominal = next.nominal.reduce(0, +)
            if 2 * (needed - nominalTotal) >= nextNominal { return nominal }
            // else: what would be left is under half a level: this level reaches the target.
        }
        // Final (or one-shot) level: share `needed` in proportion to the nominal counts
        // (to the surviving counts if every nominal count is 0), largest remainder first.
        let weights = nominalTotal > 0 ? nominal.map(Double.init) : surviving.map(Double.init)
        let weightTotal = weights.reduce(0, +)
        let exact = weights.map { Double(needed) * $0 / weightTotal }
        var counts = exact.map { Int($0.rounded(.down)) }
        counts = zip(counts, surviving).map { min($0, $1) }
        var left = needed - counts.reduce(0, +)
        let order = exact.indices.sorted {
            let a = exact[$0] - exact[$0].rounded(.down), b = exact[$1] - exact[$1].rounded(.down)
            return a != b ? a > b : $0 < $1
        }
        while left > 0 {
            var progressed = false
            for g in order where left > 0 && counts[g] < surviving[g] {
                counts[g] += 1
                left -= 1
                progressed = true
            }
            if !progressed { break }
        }
        return counts
    }
}
