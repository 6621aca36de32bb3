import Checkpoint
import Engine
import Foundation

/// Trains for a range of schedule epochs, evaluating after each and saving a resume
/// checkpoint (weights, optimizer state, mask) after each, so an interruption at any
/// moment loses at most one epoch and the resumed run is bit-identical to an
/// uninterrupted one: epoch `e`'s data order and dropout masks depend only on
/// `(seed, e)`, and the optimizer state is restored exactly.
///
/// Dense training and every pruning level's retraining both run through here.
///
/// What a resume point costs (the `saving` phase) is kept small without weakening
/// that guarantee:
/// - A masked run's resume point holds the mask's `digest` (attribute "mask_digest")
///   instead of the mask: the level's mask is made again, deterministically, before
///   training resumes, and a resume point whose digest differs is refused as before.
///   (Writing the mask meant deflating it every epoch, the larger part of a level's
///   saving time: about 50 ms per epoch for LeNet-300-100 at 51% of the weights.)
/// - With `resumePointAfterLastEpoch` false (a level: its caller writes the level file
///   from the returned state at once and deletes the resume point), the last epoch
///   writes none. A kill before the level file is written finds the resume point of
///   the epoch before and redoes the last epoch only, to the same bits.
/// Every resume point is still written whole, fsynced and renamed (`CheckpointFile`),
/// so a kill at any moment leaves the previous one or the new one.
struct ResumableTraining {
    let experiment: Experiment
    let network: Network
    let optimizer: Optimizer
    let schedule: LearningRateSchedule
    let seed: UInt64
    let mask: Mask?
    /// Schedule epochs to run: `first ..< first + count`.
    let first: Int
    let count: Int
    /// Where the per-epoch resume checkpoint goes.
    let resumeFile: URL
    let context: String
    /// Attributes stored with the resume checkpoint. Its "key" (the cache key of what
    /// is being trained) must match a resume point's for that point to be resumed.
    let attributes: [String: String]
    /// Whether the last epoch writes a resume point too (see the type's comment).
    var resumePointAfterLastEpoch = true

    /// Runs the remaining epochs; `afterEpoch(e, state)` runs after epoch `e`, with its
    /// checkpoint, just before that checkpoint becomes the resume point. Returns the last evaluation and checkpoint
    /// (nil when every epoch was already done and `resumeFile` is absent).
    func run(afterEpoch: (Int, CheckpointContents) throws -> Void = { _, _ in }) throws
        -> (evaluation: Evaluation, last: CheckpointContents?, phases: PhaseSeconds) {
        let trainer = experiment.makeTrainer(network: network, optimizer: optimizer, schedule: schedule,
                                             dataSeed: seed, mask: mask)
        var start = first
        var evaluation = Evaluation(loss: .nan, accuracy: .nan)
        var last: CheckpointContents? = nil
        if var saved = try experiment.resumePoint(resumeFile, key: attributes["key"], context: context) {
            try saved.restore(into: network, optimizer: optimizer)
            if let mask {
                // Resume points written before the digest hold the mask itself.
                let same = saved.masks.isEmpty ? saved.attributes[Self.maskDigest] == mask.digest
                                               : try Mask.from(saved, network: network) == mask
                guard same else {
                    throw PruningError.incompatible("\(resumeFile.path): its mask differs from this level's; delete it to restart the level")
                }
                saved.masks = mask.tensors
                saved.attributes[Self.maskDigest] = nil
            }
            start = saved.epoch
            last = saved
            evaluation = Evaluation(loss: saved.metrics["test_loss"] ?? .nan, accuracy: saved.metrics["test_accuracy"] ?? .nan)
            experiment.observer.skipped("\(context): resuming after epoch \(start - first) of \(count)")
        }
        let end = first + count
        var phases = PhaseSeconds()
        guard start < end else { return (evaluation, last, phases) }
        let clock = ContinuousClock()
        for epoch in start..<end {
            var mark = clock.now
            func lap() -> Double { let now = clock.now; defer { mark = now }; return (now - mark).seconds }
            let summary = trainer.trainEpoch(epoch) { progress in
                experiment.observer.batchProgress(progress, epochs: first..<end, context: context)
            }
            phases.training += lap()
            // A diverged epoch is not saved: the resume point stays the last good epoch.
            if let divergence = summary.divergence { throw PruningError.incompatible("\(context): \(divergence)") }
            evaluation = Engine.evaluate(network, on: experiment.data.test)
            phases.evaluation += lap()
            experiment.observer.epochFinished(summary, evaluation: evaluation, epochs: first..<end, context: context)
            let state = experiment.checkpoint(network: network, optimizer: optimizer, mask: mask, schedule: schedule,
                                              step: (epoch + 1) * trainer.stepsPerEpoch, epoch: epoch + 1, seed: seed,
                                              evaluation: evaluation, attributes: attributes)
            // The caller's files first, then the resume point: a kill between the two
            // redoes this epoch and rewrites the same files, never skips them.
            try afterEpoch(epoch, state)
            if epoch + 1 < end || resumePointAfterLastEpoch {
                try CheckpointFile.write(resumePoint(of: state), to: resumeFile.path, format: .dense)
            }
            phases.saving += lap()
            last = state
            if epoch + 1 < end, experiment.shouldStop() { throw PruningError.interrupted(context) }
        }
        return (evaluation, last, phases)
    }

    /// The resume point's attribute holding the mask's digest.
    static let maskDigest = "mask_digest"

    /// `state` as a resume point: a masked run's mask replaced by its digest.
    private func resumePoint(of state: CheckpointContents) -> CheckpointContents {
        guard let mask else { return state }
        var point = state
        point.masks = [:]
        point.attributes[Self.maskDigest] = mask.digest
        return point
    }
}

extension Experiment {
    /// The trainer every training run of this experiment uses: its data, batch size,
    /// clipping and augmentation, with the data order and dropout of `dataSeed`, and
    /// `mask` enforced after every step (nil: dense).
    func makeTrainer(network: Network, optimizer: Optimizer, schedule: LearningRateSchedule,
                     dataSeed: UInt64, mask: Mask?) -> Trainer {
        let trainer = Trainer(network: network, optimizer: optimizer, schedule: schedule,
                              trainingSet: data.train, batchSize: settings.batchSize,
                              clipNorm: settings.clipNorm, dataSeed: dataSeed)
        trainer.loader.augmentation = augmentation
        if let mask { trainer.hooks.append(MaskEnforcer(mask: mask, network: network)) }
        return trainer
    }

    /// The resume point at `file` if it was made from the inputs whose key is `key`;
    /// one made from other inputs (another checkpoint, recipe or plan) is removed, so
    /// the run starts over instead of continuing someone else's.
    func resumePoint(_ file: URL, key: String?, context: String) throws -> CheckpointContents? {
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let saved = try CheckpointFile.read(file.path)
        guard saved.attributes["key"] == key else {
            observer.skipped("\(context): the resume point on disk was made from other inputs; starting over")
            try FileManager.default.removeItem(at: file)
            return nil
        }
        return saved
    }

    /// A checkpoint of `network` (and optionally its optimizer and mask) with this
    /// experiment's metadata.
    func checkpoint(network: Network, optimizer: Optimizer?, mask: Mask?, schedule: LearningRateSchedule,
                    step: Int, epoch: Int, seed: UInt64, evaluation: Evaluation?,
                    attributes: [String: String]) -> CheckpointContents {
        var contents = CheckpointContents(network: network, optimizer: optimizer, schedule: schedule,
                                          step: step, epoch: epoch, seed: seed)
        contents.recipe = recipeText
        contents.masks = mask?.tensors ?? [:]
        if let evaluation {
            contents.metrics["test_accuracy"] = evaluation.accuracy
            contents.metrics["test_loss"] = evaluation.loss
        }
        contents.metrics["sparsity"] = mask?.sparsity ?? 0
        contents.attributes = attributes
        return contents
    }
}

extension Mask {
    /// The mask stored in a checkpoint, or the all-ones mask when it holds none.
    public static func from(_ contents: CheckpointContents, network: Network) throws -> Mask {
        if contents.masks.isEmpty { return Mask(allOnesFor: network) }
        return try Mask(tensors: contents.masks, network: network)
    }
}
