import Checkpoint
import Engine
import Foundation
import Reports

/// Iterative magnitude pruning (IMP; Han et al. 2015, Frankle & Carbin 2019) with a
/// retraining strategy (Renda et al. 2020): the level loop
///
///     for L = 1, 2, ...:  prune → reset per strategy → retrain → evaluate → save level-L
///
/// until the plan's target sparsity (the last level is cut to hit it exactly; a
/// one-shot plan has a single level). A level whose `level-L.h5` and `.json` exist is
/// finished and skipped, so an interrupted run resumes where it stopped and reaches
/// the same masks and weights.
///
/// The random-reinit control keeps the lottery ticket's mask at each level and
/// draws fresh weights (Frankle & Carbin 2019, §2): its masks come from the
/// `lottery` chain of the same seed, which this runs first if needed.
public struct IterativePruning {
    public let experiment: Experiment
    public let seed: UInt64
    public let strategy: RetrainingStrategy
    public let plan: PruningPlan
    /// The dense run's checkpoints this chain starts from.
    public let dense: DenseSources
    /// The folder of this chain's level files.
    public let folder: URL

    /// A chain in a run folder laid out by `experiment.layout`.
    public init(experiment: Experiment, seed: UInt64, strategy: RetrainingStrategy, plan: PruningPlan) {
        self.init(experiment: experiment, seed: seed, strategy: strategy, plan: plan,
                  dense: DenseSources(folder: experiment.layout.denseFolder(seed)),
                  folder: experiment.layout.chainFolder(seed, strategy.name))
    }

    /// A chain with explicit dense checkpoints and level folder (`rewind prune`).
    public init(experiment: Experiment, seed: UInt64, strategy: RetrainingStrategy, plan: PruningPlan,
                dense: DenseSources, folder: URL) {
        self.experiment = experiment
        self.seed = seed
        self.strategy = strategy
        self.plan = plan
        self.dense = dense
        self.folder = folder
    }

    /// Whether level `level`'s checkpoint and record are both on disk.
    public func isFinished(_ level: Int) -> Bool {
        FileManager.default.fileExists(atPath: levelFile(level).path) && FileManager.default.fileExists(atPath: recordFile(level).path)
    }

    func levelFile(_ level: Int) -> URL { folder.appendingPathComponent("level-\(level).h5") }
    func recordFile(_ level: Int) -> URL { folder.appendingPathComponent("level-\(level).json") }
    func partialFile(_ level: Int) -> URL { folder.appendingPathComponent("level-\(level).partial.h5") }

    /// The surviving fraction after each level (the number of levels is its count).
    public func levelSchedule() throws -> [Double] {
        let network = try experiment.makeNetwork()
        return plan.remainingSchedule(layerSizes: network.prunableParameterNames.map { ($0, network.parameter(named: $0)!.value.count) })
    }

    /// Runs (or finds on disk) every level and returns their rows, level 1 first.
    @discardableResult
    public func run() throws -> [ResultRow] {
        let levels = try levelSchedule().count
        var rows: [ResultRow] = []
        for level in 1...max(levels, 1) { rows.append(try runLevel(level)) }
        return rows
    }

    /// Runs level `level` (after making sure the levels before it exist).
    public func runLevel(_ level: Int) throws -> ResultRow {
        let levelFile = levelFile(level), recordFile = recordFile(level)
        let context = "seed \(seed), \(strategy.name), level \(level)"
        if isFinished(level), let row = try? readRecord(recordFile) {
            experiment.observer.skipped("\(context): finished")
            return row
        }
        if level > 1, !isFinished(level - 1) { _ = try runLevel(level - 1) }
        let clock = ContinuousClock(), start = clock.now
        let settings = experiment.settings
        let (network, mask) = try prepare(level: level)

        // Retrain with fresh optimizer state under the strategy's schedule.
        let (schedule, first, count) = retraining
        let attributes = ["role": "level", "strategy": strategy.name, "level": String(level)]
        let training = ResumableTraining(experiment: experiment, network: network, optimizer: settings.makeOptimizer(),
                                         schedule: schedule, seed: seed, mask: mask, first: first, count: count,
                                         resumeFile: partialFile(level), context: context,
                                         attributes: attributes)
        let (evaluation, last) = try training.run()
        guard var state = last else { throw PruningError.incompatible("\(context): no epoch was trained") }
        state.metrics["weights_remaining"] = mask.weightsRemaining
        try CheckpointFile.write(state, to: levelFile.path, format: .dense)
        let row = ResultRow(strategy: strategy.name, level: level, seed: Int(seed), weightsRemaining: mask.weightsRemaining,
                            layerSparsity: mask.layerSparsity, testAccuracy: evaluation.accuracy, testLoss: evaluation.loss,
                            epochs: count, seconds: (clock.now - start).seconds)
        try writeRecord(row, to: recordFile)
        try? FileManager.default.removeItem(at: partialFile(level))
        experiment.observer.levelFinished(row, context: context)
        return row
    }

    /// Level `level`'s network before retraining: the mask pruned from the previous
    /// level's weights (the lottery chain's mask for random-reinit), and the surviving
    /// weights reset as the strategy says, masked.
    public func prepare(level: Int) throws -> (network: Network, mask: Mask) {
        let settings = experiment.settings
        try strategy.validate(totalEpochs: settings.epochs)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let network = try experiment.makeNetwork()

        // The network the previous level ended with (the dense final weights at level 1).
        let previous = try CheckpointFile.read(level == 1 ? try dense.file(.final, experiment: experiment).path : self.levelFile(level - 1).path)
        try previous.restore(into: network, optimizer: nil)
        let previousMask = try Mask.from(previous, network: network)

        // This level's mask.
        let mask: Mask
        if strategy.weights == .randomReinit {
            mask = try lotteryMask(level: level, network: network)
        } else {
            let weights = Dictionary(uniqueKeysWithValues: previousMask.names.map { ($0, network.parameter(named: $0)!.value) })
            mask = Pruner.prune(weights: weights, mask: previousMask, plan: plan, seed: seed, level: level)
        }

        // Where the surviving weights start.
        switch strategy.weights {
        case .previous: break
        case .rewindPoint:
            let rewind = try CheckpointFile.read(try dense.file(.rewind, experiment: experiment).path)
            guard rewind.epoch == strategy.rewindEpoch else {
                throw PruningError.incompatible("\(dense.rewind.path) holds the weights at epoch \(rewind.epoch); weight rewinding to epoch \(strategy.rewindEpoch) needs them at epoch \(strategy.rewindEpoch) (set train.rewind_epoch: \(strategy.rewindEpoch) and train again)")
            }
            try rewind.restore(into: network, optimizer: nil)
        case .initial: try CheckpointFile.read(try dense.file(.initial, experiment: experiment).path).restore(into: network, optimizer: nil)
        case .randomReinit: network.initialize(seed: seed &+ 0x5EED_0000 &+ UInt64(level))
        }
        mask.apply(to: network)

        return (network, mask)
    }

    /// The schedule retraining follows and the schedule epochs it runs, `first ..< first + count`.
    public var retraining: (schedule: LearningRateSchedule, first: Int, count: Int) {
        let settings = experiment.settings
        let schedule = strategy.retrainingSchedule(experiment.schedule, finalStep: settings.epochs * experiment.stepsPerEpoch)
        let (first, count) = strategy.scheduleEpochs(totalEpochs: settings.epochs)
        return (schedule, first, count)
    }

    /// The lottery chain's mask at `level` (running that chain if it is missing).
    func lotteryMask(level: Int, network: Network) throws -> Mask {
        let lottery = RetrainingStrategy.preset("lottery", rewindEpoch: 0)!
        let chain = IterativePruning(experiment: experiment, seed: seed, strategy: lottery, plan: plan, dense: dense,
                                     folder: folder.deletingLastPathComponent().appendingPathComponent(lottery.name))
        let file = chain.levelFile(level)
        if !FileManager.default.fileExists(atPath: file.path) { _ = try chain.runLevel(level) }
        return try Mask.from(try CheckpointFile.read(file.path), network: network)
    }
}

/// The dense run's checkpoints a pruning chain reads: initial weights, the rewind
/// point and the final weights.
public struct DenseSources: Sendable {
    public var initial: URL
    public var rewind: URL
    public var final: URL

    /// `init.h5`, `rewind.h5` and `final.h5` in `folder`.
    public init(folder: URL) {
        initial = folder.appendingPathComponent("\(DenseCheckpoint.initial.rawValue).h5")
        rewind = folder.appendingPathComponent("\(DenseCheckpoint.rewind.rawValue).h5")
        final = folder.appendingPathComponent("\(DenseCheckpoint.final.rawValue).h5")
    }

    public init(initial: URL, rewind: URL, final: URL) {
        self.initial = initial
        self.rewind = rewind
        self.final = final
    }

    /// The file for `role`, or an error saying what is missing and why it is needed.
    func file(_ role: DenseCheckpoint, experiment: Experiment) throws -> URL {
        let url: URL, why: String
        switch role {
        case .initial: (url, why) = (initial, "the lottery ticket rewinds to the initial weights")
        case .rewind: (url, why) = (rewind, "weight rewinding restores the weights at epoch \(experiment.settings.rewindEpoch)")
        case .final, .last: (url, why) = (final, "pruning starts from the trained dense network")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PruningError.missingCheckpoint(path: url.path, why: why + " (rewind train keeps it; or pass it with --init/--rewind)")
        }
        return url
    }
}
