import Checkpoint
import Engine
import Foundation

/// The dense run every pruning chain starts from: initialise, train `T` epochs, and
/// keep the initial weights (`init.h5`, for the lottery ticket), the weights at the
/// end of epoch `k` (`rewind.h5`, for weight rewinding; equal to init when k = 0)
/// and the final weights (`final.h5`, with `final.json`).
///
/// Resumable: finished runs are skipped, interrupted ones continue from `last.h5`.
public struct DenseTraining {
    public let experiment: Experiment
    /// The run folder it trains in.
    public let folder: RunFolder
    public let seed: UInt64

    public init(experiment: Experiment, run: RunFolder, seed: UInt64) {
        self.experiment = experiment
        self.folder = run
        self.seed = seed
    }

    /// Trains (or finds on disk) the dense network and returns its level-0 row.
    @discardableResult
    public func run() throws -> LevelRecord {
        let settings = experiment.settings, key = folder.denseKey(seed)
        if let record = folder.finishedDense(seed) {
            experiment.observer.skipped("seed \(seed), dense: finished")
            return record
        }
        let clock = ContinuousClock(), start = clock.now
        try FileManager.default.createDirectory(at: folder.denseFolder(seed), withIntermediateDirectories: true)
        let network = try experiment.makeNetwork()
        if let start = experiment.startingWeights { try start.load(into: network) } else { network.initialize(seed: seed) }
        let optimizer = settings.makeOptimizer()
        let schedule = experiment.schedule
        let attributes = ["role": "dense", "strategy": "dense", "level": "0", "key": key]
        let initial = experiment.checkpoint(network: network, optimizer: nil, mask: nil, schedule: schedule, step: 0,
                                            epoch: 0, seed: seed, evaluation: nil, attributes: attributes)
        for role in settings.rewindEpoch == 0 ? [DenseCheckpoint.initial, .rewind] : [.initial]
        where !FileManager.default.fileExists(atPath: folder.dense(seed, role).path) {
            try CheckpointFile.write(initial, to: folder.dense(seed, role).path, format: .dense)
        }
        let training = ResumableTraining(experiment: experiment, network: network, optimizer: optimizer, schedule: schedule,
                                         seed: seed, mask: nil, first: 0, count: settings.epochs,
                                         resumeFile: folder.dense(seed, .last), context: "seed \(seed), dense",
                                         attributes: attributes)
        let (evaluation, last, phases) = try training.run { epoch, state in
            if epoch + 1 == settings.rewindEpoch {
                try CheckpointFile.write(state, to: folder.dense(seed, .rewind).path, format: .dense)
            }
        }
        guard let last else { throw PruningError.incompatible("\(folder.dense(seed, .last).path): no epoch was trained") }
        try CheckpointFile.write(last, to: folder.dense(seed, .final).path, format: .dense)
        let mask = Mask(allOnesFor: network)
        var record = LevelRecord(strategy: "dense", level: 0, seed: Int(seed), weightsRemaining: 1,
                                 layerSparsity: mask.layerSparsity, testAccuracy: evaluation.accuracy,
                                 testLoss: evaluation.loss, epochs: settings.epochs, seconds: (clock.now - start).seconds,
                                 key: key)
        record.phases = phases
        try record.write(to: folder.denseRecord(seed))
        experiment.observer.levelFinished(record, context: "seed \(seed), dense")
        return record
    }
}
