import Pruning
import Foundation

/// Mean and sample standard deviation of one metric over seeds.
///
/// `std = sqrt(Σ (x - mean)² / (n - 1))`, Bessel-corrected as in the papers' error
/// bars; 0 for a single seed. Values are summed in the order given, so callers pass
/// them in a fixed (seed) order to get bit-identical results.
public struct SampleStatistics: Codable, Equatable, Sendable {
    public var mean: Double
    public var std: Double
    /// Number of values (seeds).
    public var count: Int

    public init(mean: Double, std: Double, count: Int) {
        self.mean = mean
        self.std = std
        self.count = count
    }

    /// The statistics of `values` (at least one value).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "statistics of no values")
        let mean = values.reduce(0, +) / Double(values.count)
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        self.init(mean: mean, std: values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0,
                  count: values.count)
    }
}

/// The seeds of one (strategy, level) summarised; the dense reference is the one with
/// strategy "dense" and level 0.
public struct LevelAggregate: Codable, Equatable, Sendable {
    public var strategy: String
    public var level: Int
    /// The seeds averaged over, ascending.
    public var seeds: [Int]
    /// Mean fraction of prunable weights remaining, in (0, 1].
    public var weightsRemaining: Double
    /// Test accuracy as a fraction, over seeds.
    public var testAccuracy: SampleStatistics
    public var testLoss: SampleStatistics
    /// Mean fraction of each layer's weights pruned, over the seeds that report the layer.
    public var layerSparsity: [String: Double]
    /// Mean epochs retrained.
    public var epochs: Double
    /// Wall time summed over seeds, in seconds.
    public var totalSeconds: Double

    enum CodingKeys: String, CodingKey {
        case strategy, level, seeds, weightsRemaining = "weights_remaining", testAccuracy = "test_accuracy"
        case testLoss = "test_loss", layerSparsity = "layer_sparsity", epochs, totalSeconds = "total_seconds"
    }

    /// Summarises `rows`, which share strategy and level and are in ascending seed order.
    init(rows: [LevelRecord]) {
        precondition(!rows.isEmpty, "aggregate of no rows")
        let count = Double(rows.count)
        strategy = rows[0].strategy
        level = rows[0].level
        seeds = rows.map(\.seed)
        weightsRemaining = rows.reduce(0) { $0 + $1.weightsRemaining } / count
        testAccuracy = SampleStatistics(rows.map(\.testAccuracy))
        testLoss = SampleStatistics(rows.map(\.testLoss))
        var sums: [String: (total: Double, count: Int)] = [:]
        for row in rows {
            for (layer, sparsity) in row.layerSparsity.sorted(by: { $0.key < $1.key }) {
                sums[layer, default: (0, 0)].total += sparsity
                sums[layer, default: (0, 0)].count += 1
            }
        }
        layerSparsity = sums.mapValues { $0.total / Double($0.count) }
        epochs = Double(rows.reduce(0) { $0 + $1.epochs }) / count
        totalSeconds = rows.reduce(0) { $0 + $1.seconds }
    }
}

/// One pruning level of the comparison, shared by all strategies.
public struct PrunedLevel: Codable, Equatable, Sendable {
    public var level: Int
    /// Mean fraction of weights remaining over every strategy and seed at this level.
    public var weightsRemaining: Double
    /// The strategy with the highest mean test accuracy here; ties go to the strategy
    /// listed first in the recipe. Nil when no strategy has rows at this level.
    public var best: String?

    enum CodingKeys: String, CodingKey { case level, weightsRemaining = "weights_remaining", best }
}

/// One strategy's aggregates, one per level it reached, in `Comparison.levels` order.
public struct StrategyResults: Codable, Equatable, Sendable {
    public var strategy: String
    public var levels: [LevelAggregate]

    /// The aggregate at pruning level `level`, if this strategy reached it.
    public func aggregate(at level: Int) -> LevelAggregate? {
        levels.first { $0.level == level }
    }
}

/// Everything a report shows: the validated rows in a fixed order and their aggregates.
///
/// - Levels are ordered by weights remaining, descending (ties: lower level first).
/// - Strategies are in the recipe's order (`ReportContext.strategies`, "dense" excluded).
/// - Rows are ordered dense first, then by strategy, level and seed, and every mean is
///   summed in that order, so the same rows in any input order give bit-identical
///   aggregates.
public struct Comparison: Codable, Equatable, Sendable {
    /// The strategy name of the unpruned reference network.
    public static let denseStrategy = "dense"

    public var context: ReportContext
    /// The dense network over seeds; nil when no dense rows were given.
    public var dense: LevelAggregate?
    public var levels: [PrunedLevel]
    public var strategies: [StrategyResults]
    public var rows: [LevelRecord]

    init(context: ReportContext, dense: LevelAggregate?, levels: [PrunedLevel],
         strategies: [StrategyResults], rows: [LevelRecord]) {
        self.context = context
        self.dense = dense
        self.levels = levels
        self.strategies = strategies
        self.rows = rows
    }

    /// Validates `rows` against `context` and aggregates them over seeds.
    ///
    /// Throws `ReportError` for an empty input, unknown strategies or layers,
    /// duplicate rows, and values out of range (fractions outside [0, 1], negative
    /// epochs or seconds). A non-finite test loss (a diverged run) is accepted.
    public init(rows: [LevelRecord], context: ReportContext) throws {
        guard !rows.isEmpty else { throw ReportError.noRows }
        let strategyNames = context.strategies.filter { $0 != Self.denseStrategy }
        if let repeated = Self.firstRepeated(strategyNames) { throw ReportError.repeatedStrategy(repeated) }
        if let repeated = Self.firstRepeated(context.layers) { throw ReportError.repeatedLayer(repeated) }
        var rank: [String: Int] = [Self.denseStrategy: -1]
        for (index, name) in strategyNames.enumerated() { rank[name] = index }
        let layers = Set(context.layers)
        for row in rows { try Self.validate(row, ranks: rank, strategies: strategyNames, layers: layers) }

        let sorted = rows.sorted { ($0.strategy == $1.strategy)
            ? ($0.level, $0.seed) < ($1.level, $1.seed) : rank[$0.strategy]! < rank[$1.strategy]! }
        for (a, b) in zip(sorted, sorted.dropFirst())
        where a.strategy == b.strategy && a.level == b.level && a.seed == b.seed {
            throw ReportError.duplicateRow(strategy: a.strategy, level: a.level, seed: a.seed)
        }

        let pruned = sorted.filter { $0.strategy != Self.denseStrategy }
        let byLevel = Dictionary(grouping: pruned, by: \.level)
        let levelOrder: [(level: Int, weightsRemaining: Double)] = byLevel
            .map { level, rows in (level, rows.reduce(0) { $0 + $1.weightsRemaining } / Double(rows.count)) }
            .sorted { $0.weightsRemaining != $1.weightsRemaining
                ? $0.weightsRemaining > $1.weightsRemaining : $0.level < $1.level }
        var position: [Int: Int] = [:]
        for (index, entry) in levelOrder.enumerated() { position[entry.level] = index }

        let denseRows = sorted.filter { $0.strategy == Self.denseStrategy }
        let results = strategyNames.map { name in
            let own = pruned.filter { $0.strategy == name }
            let levels = Dictionary(grouping: own, by: \.level).values
                .map { LevelAggregate(rows: $0) }
                .sorted { position[$0.level]! < position[$1.level]! }
            return StrategyResults(strategy: name, levels: levels)
        }
        let levels = levelOrder.map { entry in
            PrunedLevel(level: entry.level, weightsRemaining: entry.weightsRemaining,
                        best: Self.ranking(at: entry.level, among: results).first?.strategy)
        }
        self.init(context: context,
                  dense: denseRows.isEmpty ? nil : LevelAggregate(rows: denseRows),
                  levels: levels,
                  strategies: results,
                  rows: denseRows + pruned.sorted { a, b in
                      (rank[a.strategy]!, position[a.level]!, a.seed) < (rank[b.strategy]!, position[b.level]!, b.seed)
                  })
    }

    /// The strategy names, in column and legend order.
    public var strategyNames: [String] { strategies.map(\.strategy) }

    /// The aggregate of `strategy` at pruning level `level`, if it has rows there.
    public func aggregate(strategy: String, level: Int) -> LevelAggregate? {
        strategies.first { $0.strategy == strategy }?.aggregate(at: level)
    }

    /// The strategies with results at `level`, best first: highest mean test accuracy,
    /// equal means in recipe order. `levels[i].best` is the first of this ranking.
    public func ranking(at level: Int) -> [LevelAggregate] {
        Self.ranking(at: level, among: strategies)
    }

    private static func ranking(at level: Int, among results: [StrategyResults]) -> [LevelAggregate] {
        results.compactMap { $0.aggregate(at: level) }
            .enumerated()
            .sorted { a, b in
                a.element.testAccuracy.mean != b.element.testAccuracy.mean
                    ? a.element.testAccuracy.mean > b.element.testAccuracy.mean : a.offset < b.offset
            }
            .map(\.element)
    }

    private static func validate(_ row: LevelRecord, ranks: [String: Int], strategies: [String],
                                 layers: Set<String>) throws {
        guard ranks[row.strategy] != nil else { throw ReportError.unknownStrategy(row.strategy, known: strategies) }
        if row.strategy == denseStrategy && row.level != 0 {
            throw ReportError.denseLevelNotZero(level: row.level, seed: row.seed)
        }
        func check(_ field: String, _ value: Double, _ expected: String, _ ok: (Double) -> Bool) throws {
            guard value.isFinite && ok(value) else {
                throw ReportError.valueOutOfRange(field: field, value: value, expected: expected,
                                                  strategy: row.strategy, level: row.level, seed: row.seed)
            }
        }
        try check("weightsRemaining", row.weightsRemaining, "a fraction in (0, 1]") { $0 > 0 && $0 <= 1 }
        try check("testAccuracy", row.testAccuracy, "a fraction in [0, 1]") { $0 >= 0 && $0 <= 1 }
        try check("seconds", row.seconds, "seconds >= 0") { $0 >= 0 }
        try check("epochs", Double(row.epochs), "epochs >= 0") { $0 >= 0 }
        try check("level", Double(row.level), "level >= 0") { $0 >= 0 }
        for (layer, sparsity) in row.layerSparsity.sorted(by: { $0.key < $1.key }) {
            guard layers.contains(layer) else {
                throw ReportError.unknownLayer(layer, strategy: row.strategy, level: row.level, seed: row.seed)
            }
            try check("layerSparsity[\(layer)]", sparsity, "a fraction in [0, 1]") { $0 >= 0 && $0 <= 1 }
        }
    }

    private static func firstRepeated(_ names: [String]) -> String? {
        var seen: Set<String> = []
        return names.first { !seen.insert($0).inserted }
    }
}
