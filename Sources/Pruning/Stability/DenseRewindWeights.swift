import Checkpoint
import Engine
import Foundation

/// The dense run's weights at a rewind point k (step s = round(k · stepsPerEpoch)):
/// `dense/epoch-<k>.h5`, made once and reused while its key matches.
///
/// The dense run keeps only init, the recipe's rewind point and the final weights, so
/// a missing point is made by replaying the dense run from `init.h5`: the same seed,
/// fresh optimizer state and schedule as `DenseTraining`, steps 0 ..< s through
/// `StepRangeTraining` (which retraces `DenseTraining` exactly; the test
/// `testReplayedDenseRunMatchesTheRewindCheckpoint` checks it bit for bit). At most k
/// epochs of training per point, against the T − k each child trains.
public struct DenseRewindWeights {
    public let experiment: Experiment
    public let run: RunFolder
    public let seed: UInt64

    public init(experiment: Experiment, run: RunFolder, seed: UInt64) {
        self.experiment = experiment
        self.run = run
        self.seed = seed
    }

    /// The cache key of the weights at `point`: the dense run's key and the step.
    public func key(_ point: RewindPoint) -> String {
        struct Key: Encodable { let dense: String; let step: Int }
        return fullHash(Key(dense: run.denseKey(seed), step: point.step(stepsPerEpoch: experiment.stepsPerEpoch)))
    }

    /// The weights at `point` (optimizer state not included), from disk or replayed.
    public func weights(at point: RewindPoint) throws -> CheckpointContents {
        let file = StabilityFolder(run: run).denseWeights(seed, at: point), key = key(point)
        if FileManager.default.fileExists(atPath: file.path),
           case let saved = try CheckpointFile.read(file.path), saved.attributes["key"] == key {
            return saved
        }
        let initial = run.dense(seed, .initial)
        guard FileManager.default.fileExists(atPath: initial.path) else {
            throw PruningError.missingCheckpoint(path: initial.path, why: "the stability analysis replays the dense run from its initial weights (rewind train keeps it)")
        }
        let network = try experiment.makeNetwork(), optimizer = experiment.settings.makeOptimizer()
        try CheckpointFile.read(initial.path).restore(into: network, optimizer: nil)
        let step = point.step(stepsPerEpoch: experiment.stepsPerEpoch), schedule = experiment.schedule
        try StepRangeTraining(experiment: experiment, network: network, optimizer: optimizer, schedule: schedule,
                              dataSeed: seed, mask: nil, context: "seed \(seed), dense to k = \(point)")
            .run(from: 0, to: step)
        let attributes = ["role": "dense", "strategy": "dense", "level": "0", "key": key, "rewind_point": point.description]
        let state = experiment.checkpoint(network: network, optimizer: nil, mask: nil, schedule: schedule, step: step,
                                          epoch: step / experiment.stepsPerEpoch, seed: seed, evaluation: nil,
                                          attributes: attributes)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try CheckpointFile.write(state, to: file.path, format: .dense)
        return state
    }
}
