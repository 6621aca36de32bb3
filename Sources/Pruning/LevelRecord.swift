/// The record of one evaluated network: a (seed, strategy, level) of a comparison or
/// of `rewind prune`, or a dense run (strategy "dense", level 0).
///
/// Written as `level-<L>.json` beside each level's checkpoint (`final.json` for the
/// dense run), printed as one `--json` line by `compare` and `prune`, and read by the
/// reports, all with the same keys (`RecordJSON`: snake_case). Schema version 2 adds
/// `version` and `key`; a version-1 record (no `version`, camelCase keys, written
/// before 2026-12) still reads, with `key` nil.
///
///     {"version": 2, "key": "3f2a…", "strategy": "lr-rewind", "level": 3, "seed": 0,
///      "weights_remaining": 0.512, "layer_sparsity": {"fc1.weight": 0.488, …},
///      "test_accuracy": 0.8841, "test_loss": 0.3312, "epochs": 7, "seconds": 41.2}
public struct LevelRecord: Codable, Equatable, Sendable {
    /// The schema version written by this build.
    public static let currentVersion = 2

    public var version: Int
    /// The cache key of the inputs that produced this level (`LevelKey`); a finished
    /// level is reused only when its key is the one its inputs give now. Nil in
    /// version-1 records.
    public var key: String?
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
    /// Where `seconds` went, when measured (records before 2026-12 have none).
    public var phases: PhaseSeconds?

    public init(strategy: String, level: Int, seed: Int, weightsRemaining: Double,
                layerSparsity: [String: Double], testAccuracy: Double, testLoss: Double,
                epochs: Int, seconds: Double, key: String? = nil) {
        self.version = Self.currentVersion
        self.key = key
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

    enum CodingKeys: String, CodingKey {
        case version, key, strategy, level, seed
        case weightsRemaining = "weights_remaining", layerSparsity = "layer_sparsity"
        case testAccuracy = "test_accuracy", testLoss = "test_loss", epochs, seconds, phases
    }

    /// Version 1 spelled the multi-word keys in camelCase.
    private enum VersionOneKeys: String, CodingKey {
        case weightsRemaining, layerSparsity, testAccuracy, testLoss
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? 1
        key = try container.decodeIfPresent(String.self, forKey: .key)
        strategy = try container.decode(String.self, forKey: .strategy)
        level = try container.decode(Int.self, forKey: .level)
        seed = try container.decode(Int.self, forKey: .seed)
        epochs = try container.decode(Int.self, forKey: .epochs)
        seconds = try container.decode(Double.self, forKey: .seconds)
        phases = try container.decodeIfPresent(PhaseSeconds.self, forKey: .phases)
        if version >= 2 {
            weightsRemaining = try container.decode(Double.self, forKey: .weightsRemaining)
            layerSparsity = try container.decode([String: Double].self, forKey: .layerSparsity)
            testAccuracy = try container.decode(Double.self, forKey: .testAccuracy)
            testLoss = try container.decode(Double.self, forKey: .testLoss)
        } else {
            let old = try decoder.container(keyedBy: VersionOneKeys.self)
            weightsRemaining = try old.decode(Double.self, forKey: .weightsRemaining)
            layerSparsity = try old.decode([String: Double].self, forKey: .layerSparsity)
            testAccuracy = try old.decode(Double.self, forKey: .testAccuracy)
            testLoss = try old.decode(Double.self, forKey: .testLoss)
        }
    }
}

/// The seconds a training run spent per phase: training steps (forward, backward,
/// optimizer step, mask enforcement, batch loading), test evaluations after each epoch,
/// and saving (the per-epoch resume point, and the caller's files such as rewind.h5).
/// What `seconds` holds beyond their sum is setup: pruning, loading checkpoints.
public struct PhaseSeconds: Codable, Equatable, Sendable {
    public var training: Double = 0
    public var evaluation: Double = 0
    public var saving: Double = 0

    public init(training: Double = 0, evaluation: Double = 0, saving: Double = 0) {
        self.training = training
        self.evaluation = evaluation
        self.saving = saving
    }
}
