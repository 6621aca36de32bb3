import Checkpoint
import Engine
import Foundation
import Reports

/// The dense run every pruning chain starts from: initialise, train `T` epochs, and
/// keep the initial weights (`init.h5`, for the lottery ticket), the weights at the
/// end of epoch `k` (`rewind.h5`, for weight rewinding; equal to init when k = 0)
/// and the final weights (`final.h5`, with `final.json`).
///
/// Resumable: finished runs are skipped, interrupted ones continue from `last.h5`.
public struct DenseTraining {
    public let experiment: Experiment
    public let seed: UInt64

    public init(experiment: Experiment, seed: UInt64) {
        self.experiment = experiment
        self.seed = seed
    }

    /// Trains (or finds on disk) the dense network and returns its level-0 row.
    @discardableResult
    public func run() throws -> ResultRow {
        let layout = experiment.layout, settings = experiment.settings
        let recordURL = layout.denseRecord(seed)
        if let row = try? readRecord(recordURL), FileManager.default.fileExists(atPath: layout.dense(seed, .final).path) {
            experiment.observer.skipped("seed \(seed), dense: finished")
            return row
        }
        let clock = ContinuousClock(), start = clock.now
        try FileManager.default.createDirectory(at: layout.denseFolder(seed), withIntermediateDirectories: true)
        let network = try experiment.makeNetwork()
        network.initialize(seed: seed)
        let optimizer = settings.makeOptimizer()
        let schedule = experiment.schedule
        let attributes = ["role": "dense", "strategy": "dense", "level": "0"]
        let initial = experiment.checkpoint(network: network, optimizer: nil, mask: nil, schedule: schedule, step: 0,
                                            epoch: 0, seed: seed, evaluation: nil, attributes: attributes)
        for role in settings.rewindEpoch == 0 ? [DenseCheckpoint.initial, .rewind] : [.initial]
        where !FileManager.default.fileExists(atPath: layout.dense(seed, role).path) {
            try CheckpointFile.write(initial, to: layout.dense(seed, role).path, format: .dense)
        }
        let training = ResumableTraining(experiment: experiment, network: network, optimizer: optimizer, schedule: schedule,
                                         seed: seed, mask: nil, first: 0, count: settings.epochs,
                                         resumeFile: layout.dense(seed, .last), context: "seed \(seed), dense",
                                         attributes: attributes)
        let (evaluation, last) = try training.run { epoch, state in
            if epoch + 1 == settings.rewindEpoch {
                try CheckpointFile.write(state, to: layout.dense(seed, .rewind).path, format: .dense)
            }
        }
        guard let last else { throw PruningError.incompatible("\(layout.dense(seed, .last).path): no epoch was trained") }
        try CheckpointFile.write(last, to: layout.dense(seed, .final).path, format: .dense)
        let mask = Mask(allOnesFor: network)
        let row = ResultRow(strategy: "dense", level: 0, seed: Int(seed), weightsRemaining: 1,
                            layerSparsity: mask.layerSparsity, testAccuracy: evaluation.accuracy,
                            testLoss: evaluation.loss, epochs: settings.epochs, seconds: (clock.now - start).seconds)
        try writeRecord(row, to: recordURL)
        experiment.observer.levelFinished(row, context: "seed \(seed), dense")
        return row
    }
}

/// Reads a level's JSON record.
func readRecord(_ url: URL) throws -> ResultRow {
    try JSONDecoder().decode(ResultRow.self, from: Data(contentsOf: url))
}

/// Writes a level's JSON record atomically.
func writeRecord(_ row: ResultRow, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    try writeAtomically(try encoder.encode(row), to: url)
}
