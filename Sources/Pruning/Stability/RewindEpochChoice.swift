import Checkpoint
import Foundation

/// `rewind_epoch: auto`, resolved: the rewind epoch a run uses, chosen once from its
/// stability analysis and kept in `<run>/stability/rewind-epoch.json`, so reruns and
/// resumes of the run use the same k (and a later analysis never changes it; delete
/// the file to choose again).
///
/// The rule (Frankle et al. 2020): the earliest candidate k whose instability (mean
/// test instability over the analysed seeds) is at most `threshold`. `rewind_epoch`
/// names epochs, so the resolved value is the earliest stable whole-epoch candidate at
/// or after the earliest stable k; when no candidate is stable, the whole-epoch
/// candidate with the lowest instability, and `reason` says so.
public struct RewindEpochChoice: Codable, Equatable, Sendable {
    public var version = 1
    /// The resolved `rewind_epoch`.
    public var rewindEpoch: Int
    /// The earliest stable candidate (maybe a fraction of an epoch), nil if none was.
    public var earliestStable: Double?
    public var threshold: Double
    /// What the choice was made from: "dense" or "level-<L>".
    public var subject: String
    /// The candidates in epochs and their mean test instability.
    public var candidates: [Double]
    public var instability: [Double]
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case version, rewindEpoch = "rewind_epoch", earliestStable = "earliest_stable", threshold, subject
        case candidates, instability, reason
    }

    /// The choice from `instability` by candidate (mean over seeds) for `subject`; nil
    /// when no candidate is a whole epoch.
    public static func choose(_ instability: [RewindPoint: Double], threshold: Double, subject: String) -> RewindEpochChoice? {
        let points = instability.keys.sorted()
        let stable = points.filter { instability[$0]! <= threshold }
        let wholeStable = stable.filter { $0.isWholeEpoch }
        let epoch: Int, reason: String
        if let first = wholeStable.first {
            epoch = Int(first.epochs)
            reason = first == stable.first
                ? "the earliest candidate with instability <= \(threshold)"
                : "the earliest whole-epoch candidate with instability <= \(threshold) (k = \(stable[0]) is stable too, but rewind_epoch counts epochs)"
        } else if let best = points.filter(\.isWholeEpoch).min(by: { instability[$0]! < instability[$1]! }) {
            epoch = Int(best.epochs)
            reason = "no whole-epoch candidate has instability <= \(threshold); the most stable one"
        } else {
            return nil
        }
        return RewindEpochChoice(rewindEpoch: epoch, earliestStable: stable.first?.epochs, threshold: threshold,
                                 subject: subject, candidates: points.map(\.epochs),
                                 instability: points.map { instability[$0]! }, reason: reason)
    }

    /// The choice recorded in `run`, if any.
    public static func recorded(in run: RunFolder) throws -> RewindEpochChoice? {
        let file = StabilityFolder(run: run).rewindEpochChoice
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        do { return try readRecord(file) } catch {
            throw PruningError.incompatible("\(file.path): not a rewind-epoch record (\(error)); delete it to choose again")
        }
    }

    /// Records this choice in `run` unless one is there already; returns the one in force.
    public func record(in run: RunFolder) throws -> RewindEpochChoice {
        if let existing = try Self.recorded(in: run) { return existing }
        try writeRecord(to: StabilityFolder(run: run).rewindEpochChoice)
        return self
    }

    /// Writes seed `seed`'s dense weights at the chosen epoch as its `rewind.h5`, with
    /// attributes saying where the epoch came from, so the rewinding chains start there
    /// (nothing to do when it is there already).
    public func installRewindCheckpoint(experiment: Experiment, run: RunFolder, seed: UInt64) throws {
        let file = run.dense(seed, .rewind)
        if FileManager.default.fileExists(atPath: file.path), case let saved = try CheckpointFile.read(file.path),
           saved.attributes["rewind_epoch"] == String(rewindEpoch), saved.epoch == rewindEpoch { return }
        var weights = try DenseRewindWeights(experiment: experiment, run: run, seed: seed)
            .weights(at: RewindPoint(epochs: Double(rewindEpoch)))
        weights.attributes["rewind_epoch"] = String(rewindEpoch)
        weights.attributes["rewind_epoch_source"] = "auto: \(subject) stability analysis, threshold \(threshold) (\(StabilityFolder(run: run).rewindEpochChoice.lastPathComponent))"
        try CheckpointFile.write(weights, to: file.path, format: .dense)
    }
}
