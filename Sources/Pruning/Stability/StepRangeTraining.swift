import Checkpoint
import Engine
import Foundation

/// Trains a network over global steps `from ..< to` of a schedule, with the data
/// order and dropout of `dataSeed`, exactly as `Trainer.trainEpoch` would: step `s`
/// is batch `s mod stepsPerEpoch` of epoch `s / stepsPerEpoch`'s order
/// (`BatchLoader.startEpoch(seed:epoch:)`), at learning rate η(s).
///
/// Unlike whole-epoch training it can start and stop inside an epoch, which rewind
/// points such as k = 0.25 epochs need. Started at an epoch boundary with the dense
/// run's seed, it retraces the dense run step for step (a tested property).
///
/// With a `resumeFile`, the network and optimizer state are saved there at every
/// epoch boundary inside the range, and a run that finds a resume point with its
/// own "key" attribute continues from it: the resumed run is bit-identical, because
/// each epoch's order and dropout depend only on `(dataSeed, epoch)`.
struct StepRangeTraining {
    let experiment: Experiment
    let network: Network
    let optimizer: Optimizer
    let schedule: LearningRateSchedule
    let dataSeed: UInt64
    /// Pruned weights stay at zero (nil: dense).
    let mask: Mask?
    /// Names the run in progress lines.
    let context: String
    /// Where the epoch-boundary resume point goes (nil: none), and the attributes it
    /// carries; its "key" must match for a saved point to be resumed.
    var resumeFile: URL? = nil
    var attributes: [String: String] = [:]

    /// Runs steps `from ..< to`; after each epoch boundary (and at the end), checks
    /// `experiment.shouldStop` and throws `PruningError.interrupted` if asked.
    func run(from: Int, to: Int) throws {
        let trainer = experiment.makeTrainer(network: network, optimizer: optimizer, schedule: schedule,
                                             dataSeed: dataSeed, mask: mask)
        let steps = trainer.stepsPerEpoch
        let epochs = (from / steps) ..< ((to + steps - 1) / steps)
        var step = from
        if let resumeFile, let saved = try experiment.resumePoint(resumeFile, key: attributes["key"], context: context) {
            if saved.step > from, saved.step < to {
                try saved.restore(into: network, optimizer: optimizer)
                step = saved.step
                experiment.observer.skipped("\(context): resuming at step \(step) of \(from) ..< \(to)")
            } else {
                try FileManager.default.removeItem(at: resumeFile)
            }
        }
        while step < to {
            // Batches `first ..< last` of this epoch's order (a start inside the epoch for k = 0.25).
            let epoch = step / steps, first = step - epoch * steps, last = min(steps, to - epoch * steps)
            let summary = trainer.trainEpoch(epoch, from: first, limitBatches: last) { progress in
                experiment.observer.batchProgress(progress, epochs: epochs, context: context)
            }
            // A diverged epoch is not saved: the resume point stays the last good boundary.
            if let divergence = summary.divergence { throw PruningError.incompatible("\(context): \(divergence)") }
            if first == 0 {
                experiment.observer.epochFinished(summary, evaluation: evaluate(network, on: experiment.data.test),
                                                  epochs: epochs, context: context)
            }
            step = epoch * steps + last
            guard step < to else { break }
            if let resumeFile {
                let state = experiment.checkpoint(network: network, optimizer: optimizer, mask: mask, schedule: schedule,
                                                  step: step, epoch: epoch + 1, seed: dataSeed, evaluation: nil,
                                                  attributes: attributes)
                try CheckpointFile.write(state, to: resumeFile.path, format: .dense)
            }
            if experiment.shouldStop() { throw PruningError.interrupted(context) }
        }
    }
}
