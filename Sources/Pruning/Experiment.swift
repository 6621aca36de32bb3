import Engine
import Foundation

/// What every run of one recipe shares: the model, the data (loaded once), the
/// training hyperparameters, and where progress goes. (Where files go is the
/// caller's: `RunFolder` for a comparison, `PruneLevels` for `rewind prune`.)
public final class Experiment {
    public let architecture: Architecture
    public let data: DatasetPair
    /// The training set's normalisation, stored in every checkpoint.
    public let normalization: Normalization
    public let settings: TrainingSettings
    /// Random crops and flips for training epochs (nil: none), drawn per (seed, epoch).
    public let augmentation: Augmentation?
    /// The recipe text, stored in every checkpoint (nil when run without a recipe).
    public let recipeText: String?
    public let observer: RunObserver
    /// Asked after every saved epoch; returning true stops the run with
    /// `PruningError.interrupted` (the CLI sets it on Ctrl-C). A rerun resumes.
    public var shouldStop: () -> Bool = { false }
    /// Threads, thresholds and kernel build of every network made here (the CLI's).
    public var computeConfiguration = ComputeConfiguration.default
    /// Weights the dense runs start from (nil: the model's initialiser, seeded per seed).
    public var startingWeights: StartingWeights?

    public init(architecture: Architecture, data: DatasetPair, normalization: Normalization,
                settings: TrainingSettings, augmentation: Augmentation? = nil, recipeText: String?,
                observer: RunObserver) {
        self.architecture = architecture
        self.data = data
        self.normalization = normalization
        self.settings = settings
        self.augmentation = augmentation
        self.recipeText = recipeText
        self.observer = observer
    }

    /// Optimizer steps per epoch for this data and batch size.
    public var stepsPerEpoch: Int { (data.train.count + settings.batchSize - 1) / settings.batchSize }

    /// The dense run's schedule, in steps.
    public var schedule: LearningRateSchedule { settings.makeSchedule(stepsPerEpoch: stepsPerEpoch) }

    /// A new, uninitialised network with this experiment's normalisation.
    public func makeNetwork() throws -> Network {
        let network = try ModelZoo.build(architecture)
        network.normalization = normalization
        network.configuration = computeConfiguration
        return network
    }
}
