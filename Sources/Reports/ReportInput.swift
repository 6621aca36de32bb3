/// One evaluated network: a (seed, strategy, level) of a comparison, or a dense run.
///
/// Rows are what the pruning runs record; every report format is computed from them.
public struct ResultRow: Codable, Equatable, Sendable {
    /// Retraining strategy ("fine-tune", "weight-rewind", "lr-rewind", "lottery",
    /// "random-reinit", ...), or "dense" for the unpruned network.
    public var strategy: String
    /// Pruning level: 0 for dense, 1... for each pruning round.
    public var level: Int
    public var seed: Int
    /// Fraction of prunable weights remaining, in (0, 1].
    public var weightsRemaining: Double
    /// Per-layer fraction of weights pruned, by parameter name.
    public var layerSparsity: [String: Double]
    public var testAccuracy: Double
    public var testLoss: Double
    /// Epochs of (re)training at this level.
    public var epochs: Int
    /// Wall time of this level's retraining and evaluation, in seconds.
    public var seconds: Double

    public init(strategy: String, level: Int, seed: Int, weightsRemaining: Double,
                layerSparsity: [String: Double], testAccuracy: Double, testLoss: Double,
                epochs: Int, seconds: Double) {
        self.strategy = strategy
        self.level = level
        self.seed = seed
        self.weightsRemaining = weightsRemaining
        self.layerSparsity = layerSparsity
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.epochs = epochs
        self.seconds = seconds
    }
}

/// What a report says about the run besides its rows.
public struct ReportContext: Codable, Equatable, Sendable {
    /// The recipe's name ("lenet300-fashion").
    public var name: String
    /// The recipe text (YAML), shown in report.md.
    public var recipe: String
    /// Machine description ("2 cores, Linux x86_64, ...").
    public var machine: String
    /// Total wall time of the run, in seconds.
    public var wallSeconds: Double
    /// Date the report was generated (ISO 8601).
    public var generated: String
    /// Strategies in the order the recipe lists them (columns and legend order).
    public var strategies: [String]
    /// The prunable layers in network order (per-layer columns).
    public var layers: [String]

    public init(name: String, recipe: String, machine: String, wallSeconds: Double,
                generated: String, strategies: [String], layers: [String]) {
        self.name = name
        self.recipe = recipe
        self.machine = machine
        self.wallSeconds = wallSeconds
        self.generated = generated
        self.strategies = strategies
        self.layers = layers
    }
}
