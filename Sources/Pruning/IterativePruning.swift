import Checkpoint
import Engine
import Foundation

/// Iterative magnitude pruning (IMP; Han et al. 2015, Frankle & Carbin 2019) with a
/// retraining strategy (Renda et al. 2020): the level loop
///
///     for L = 1, 2, ...:  prune → reset per strategy → retrain → evaluate → save level-L
///
/// until the plan's target sparsity (the last level is cut to hit it exactly; a
/// one-shot plan has a single level). A level whose checkpoint and record exist, the
/// record carrying the key its inputs give now (`ChainInputs.levelKey`), is finished
/// and skipped, so an interrupted run resumes where it stopped and reaches the same
/// masks and weights, and a run with other inputs never reuses it.
///
/// The random-reinit control keeps the lottery ticket's mask at each level and
/// draws fresh weights (Frankle & Carbin 2019, §2): its masks come from the
/// `lottery` chain of the same seed, which this runs first if needed.
public struct IterativePruning {
    public let experiment: Experiment
    /// What this chain's levels are computed from (their cache key).
    public let inputs: ChainInputs
    /// The dense run's checkpoints this chain starts from.
    public let dense: DenseSources
    /// Where the chain of given inputs keeps its levels (this one's, and for
    /// random-reinit the lottery chain's whose masks it reuses).
    public let locate: @Sendable (ChainInputs) -> ChainFolder
    /// Attributes added to every level checkpoint (e.g. the options `rewind prune` used).
    public var attributes: [String: String] = [:]

    public var seed: UInt64 { inputs.seed }
    public var strategy: RetrainingStrategy { inputs.strategy }
    public var plan: PruningPlan { inputs.plan }
    /// This chain's folder.
    public var folder: ChainFolder { locate(inputs) }

    /// A chain of a comparison, in its run folder.
    public init(experiment: Experiment, run: RunFolder, seed: UInt64, strategy: RetrainingStrategy, plan: PruningPlan) {
        self.init(experiment: experiment, inputs: ChainInputs(source: run.source, seed: seed, strategy: strategy, plan: plan),
                  dense: run.denseSources(seed), locate: { run.chain($0.seed, $0.strategy.name) })
    }

    /// A chain with explicit dense checkpoints and level folders (`rewind prune`).
    public init(experiment: Experiment, inputs: ChainInputs, dense: DenseSources,
                locate: @escaping @Sendable (ChainInputs) -> ChainFolder) {
        self.experiment = experiment
        self.inputs = inputs
        self.dense = dense
        self.locate = locate
    }

    /// The surviving fraction after each level (the number of levels is its count).
    public func levelSchedule() throws -> [Double] {
        let network = try experiment.makeNetwork()
        return plan.remainingSchedule(layerSizes: network.prunableParameterNames.map { ($0, network.parameter(named: $0)!.value.count) })
    }

    /// Level `level`'s state on disk (finished only if made from these inputs).
    public func state(_ level: Int, schedule: [Double]) -> ChainFolder.LevelState {
        folder.state(level, key: inputs.levelKey(level, schedule: schedule), remaining: schedule[level - 1])
    }

    /// Whether level `level` is finished with these inputs.
    public func isFinished(_ level: Int, schedule: [Double]) -> Bool {
        if case .done = state(level, schedule: schedule) { return true }
        return false
    }

    /// Runs (or finds on disk) every level and returns their records, level 1 first.
    @discardableResult
    public func run() throws -> [LevelRecord] {
        let schedule = try levelSchedule()
        return try schedule.indices.map { try runLevel($0 + 1, schedule: schedule) }
    }

    /// Runs level `level` (after making sure the levels before it exist), or returns
    /// its record when it is finished with these inputs.
    public func runLevel(_ level: Int, schedule: [Double]) throws -> LevelRecord {
        guard level >= 1, level <= schedule.count else {
            throw PruningError.invalidPlan("level \(level) is outside the plan's \(schedule.count) levels")
        }
        let folder = self.folder, key = inputs.levelKey(level, schedule: schedule)
        let context = "seed \(seed), \(strategy.name), level \(level)"
        switch state(level, schedule: schedule) {
        case .done(let record):
            experiment.observer.skipped("\(context): finished")
            return record
        case .missing(stale: .some):
            experiment.observer.skipped("\(context): the files on disk were made from other inputs; retraining")
        case .missing(stale: nil), .inProgress: break
        }
        if level > 1, !isFinished(level - 1, schedule: schedule) { _ = try runLevel(level - 1, schedule: schedule) }
        let clock = ContinuousClock(), start = clock.now
        let settings = experiment.settings
        let (network, mask) = try prepare(level: level, schedule: schedule)

        // Retrain with fresh optimizer state under the strategy's schedule.
        let (lrSchedule, first, count) = retraining
        var attributes = self.attributes
        attributes.merge(["role": "level", "strategy": strategy.name, "level": String(level), "key": key]) { $1 }
        var training = ResumableTraining(experiment: experiment, network: network, optimizer: settings.makeOptimizer(),
                                         schedule: lrSchedule, seed: seed, mask: mask, first: first, count: count,
                                         resumeFile: folder.partial(level), context: context,
                                         attributes: attributes)
        training.resumePointAfterLastEpoch = false   // the level file below holds the last epoch's state
        let (evaluation, last, phases) = try training.run()
        guard var state = last else { throw PruningError.incompatible("\(context): no epoch was trained") }
        state.metrics["weights_remaining"] = mask.weightsRemaining
        try CheckpointFile.write(state, to: folder.level(level).path, format: .dense)
        var record = LevelRecord(strategy: strategy.name, level: level, seed: Int(seed), weightsRemaining: mask.weightsRemaining,
                                 layerSparsity: mask.layerSparsity, testAccuracy: evaluation.accuracy, testLoss: evaluation.loss,
                                 epochs: count, seconds: (clock.now - start).seconds, key: key)
        record.phases = phases
        try record.write(to: folder.record(level))
        try? FileManager.default.removeItem(at: folder.partial(level))
        experiment.observer.levelFinished(record, context: context)
        return record
    }

    /// Level `level`'s network before retraining: the mask pruned from the previous
    /// level's weights (the lottery chain's mask for random-reinit), and the surviving
    /// weights reset as the strategy says, masked.
    public func prepare(level: Int, schedule: [Double]) throws -> (network: Network, mask: Mask) {
        let settings = experiment.settings
        try strategy.validate(totalEpochs: settings.epochs)
        let network = try experiment.makeNetwork()

        // The network the previous level ended with (the dense final weights at level 1).
        let previous = try CheckpointFile.read(level == 1 ? try dense.file(.final, experiment: experiment).path : folder.level(level - 1).path)
        try previous.restore(into: network, optimizer: nil)
        let previousMask = try Mask.from(previous, network: network)

        // This level's mask.
        let mask: Mask
        if strategy.weights == .randomReinit {
            mask = try lotteryMask(level: level, schedule: schedule, network: network)
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
        // Only now, with every input read, does the level get a folder: a prune that
        // fails on its inputs leaves nothing behind.
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
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
    func lotteryMask(level: Int, schedule: [Double], network: Network) throws -> Mask {
        var lottery = IterativePruning(experiment: experiment, inputs: inputs.with(strategy: RetrainingStrategy.preset("lottery", rewindEpoch: 0)!),
                                       dense: dense, locate: locate)
        lottery.attributes = attributes
        if !lottery.isFinished(level, schedule: schedule) { _ = try lottery.runLevel(level, schedule: schedule) }
        return try Mask.from(try CheckpointFile.read(lottery.folder.level(level).path), network: network)
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
