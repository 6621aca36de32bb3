import Engine

/// How the network is retrained after each pruning level: three orthogonal knobs
/// (Renda, Frankle & Carbin 2020, §3; Frankle & Carbin 2019).
///
/// Let dense training run `T` epochs under schedule η(s), and `k` be the rewind epoch.
///
/// | preset          | surviving weights start from   | learning rate                   | epochs |
/// |-----------------|--------------------------------|---------------------------------|--------|
/// | `fine-tune`     | the final weights              | η at the end of training, fixed | t = T − k |
/// | `weight-rewind` | the weights at epoch k         | η replayed from epoch k to T    | T − k  |
/// | `lr-rewind`     | the final weights              | η replayed from epoch k to T    | T − k  |
/// | `lottery`       | the initial weights (k = 0)    | η replayed from epoch 0 to T    | T      |
/// | `random-reinit` | fresh random weights           | η replayed from epoch 0 to T    | T      |
///
/// "Final weights" means the weights the previous level ended with (the dense final
/// weights at level 1), so iterative fine-tuning and LR rewinding keep training one
/// network while weight rewinding and the lottery ticket reset it every level.
/// Every preset starts each level with fresh optimizer state (as open_lth does).
/// All presets give the same retraining budget `T − k` for a fair comparison, as
/// Renda et al. do; `epochs` overrides it.
public struct RetrainingStrategy: Equatable, Sendable, Codable {
    /// Where the surviving weights start each level.
    public enum WeightSource: String, Equatable, Sendable, Codable {
        /// The weights the previous level ended with (dense final at level 1).
        case previous
        /// The dense run's weights at the rewind epoch.
        case rewindPoint
        /// The dense run's initial weights.
        case initial
        /// A fresh draw from the model's initialiser (seed varied per level).
        case randomReinit
    }

    /// How the learning rate runs during retraining.
    public enum LearningRate: Equatable, Sendable, Codable {
        /// The schedule's value at the end of dense training, held constant.
        case finalValueFixed
        /// The schedule replayed from `fromEpoch` (its step) onward.
        case replay(fromEpoch: Int)
    }

    /// The name used in folders and reports ("fine-tune", "weight-rewind", ...).
    public var name: String
    public var weights: WeightSource
    public var learningRate: LearningRate
    /// The rewind epoch `k` whose weights `.rewindPoint` restores, if used.
    public var rewindEpoch: Int
    /// Epochs per level; nil means `T − k` (`T` for k = 0).
    public var epochs: Int?

    public init(name: String, weights: WeightSource, learningRate: LearningRate, rewindEpoch: Int, epochs: Int? = nil) {
        self.name = name
        self.weights = weights
        self.learningRate = learningRate
        self.rewindEpoch = rewindEpoch
        self.epochs = epochs
    }

    /// The preset names, in the order reports list them.
    public static let presetNames = ["fine-tune", "weight-rewind", "lr-rewind", "lottery", "random-reinit"]

    /// A preset by name with rewind epoch `k` (ignored by lottery and random-reinit).
    public static func preset(_ name: String, rewindEpoch k: Int, epochs: Int? = nil) -> RetrainingStrategy? {
        switch name {
        case "fine-tune":
            return RetrainingStrategy(name: name, weights: .previous, learningRate: .finalValueFixed, rewindEpoch: k, epochs: epochs)
        case "weight-rewind":
            return RetrainingStrategy(name: name, weights: .rewindPoint, learningRate: .replay(fromEpoch: k), rewindEpoch: k, epochs: epochs)
        case "lr-rewind":
            return RetrainingStrategy(name: name, weights: .previous, learningRate: .replay(fromEpoch: k), rewindEpoch: k, epochs: epochs)
        case "lottery":
            return RetrainingStrategy(name: name, weights: .initial, learningRate: .replay(fromEpoch: 0), rewindEpoch: 0, epochs: epochs)
        case "random-reinit":
            return RetrainingStrategy(name: name, weights: .randomReinit, learningRate: .replay(fromEpoch: 0), rewindEpoch: 0, epochs: epochs)
        default:
            return nil
        }
    }

    /// Epochs retrained per level when dense training ran `totalEpochs`.
    public func retrainEpochs(totalEpochs: Int) -> Int {
        if let epochs { return epochs }
        switch learningRate {
        case .finalValueFixed: return totalEpochs - rewindEpoch
        case .replay(let from): return totalEpochs - from
        }
    }

    /// The schedule epochs retraining runs through: `(first, count)`. Replaying from
    /// `k` runs schedule epochs `k ..< k + t`; a fixed rate uses `.constant(η_end)`
    /// and epoch numbers from T on (they only seed the data order).
    public func scheduleEpochs(totalEpochs: Int) -> (first: Int, count: Int) {
        let t = retrainEpochs(totalEpochs: totalEpochs)
        switch learningRate {
        case .finalValueFixed: return (totalEpochs, t)
        case .replay(let from): return (from, t)
        }
    }

    /// The schedule used while retraining, from the dense run's `schedule`.
    /// `finalStep` is the number of optimizer steps dense training took.
    public func retrainingSchedule(_ schedule: LearningRateSchedule, finalStep: Int) -> LearningRateSchedule {
        switch learningRate {
        case .finalValueFixed: return .constant(base: schedule.learningRate(atStep: max(finalStep - 1, 0)))
        case .replay: return schedule
        }
    }

    /// Checks the rewind point against the dense run's length.
    public func validate(totalEpochs: Int) throws {
        guard rewindEpoch >= 0, rewindEpoch < totalEpochs || (rewindEpoch == 0 && totalEpochs == 0) else {
            throw PruningError.invalidPlan("\(name): rewind epoch \(rewindEpoch) is beyond training (expected 0 ... \(totalEpochs - 1))")
        }
        if let epochs, epochs <= 0 { throw PruningError.invalidPlan("\(name): epochs must be positive, got \(epochs)") }
    }
}
