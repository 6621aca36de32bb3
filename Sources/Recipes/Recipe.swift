import Engine
import Foundation
import Pruning

/// A validated experiment: what to train, how to prune it, and which retraining
/// strategies to compare, over which seeds. Parsed from YAML by `Recipe.load(path:)`.
public struct Recipe: Equatable, Sendable {
    public var name: String
    public var seeds: [UInt64]
    public var data: DataSettings
    public var architecture: Architecture
    public var train: TrainingSettings
    /// The pruning schedule (nil: a training-only recipe).
    public var prune: PruningPlan?
    /// Whether `prune.rates: paper` asked for the model's paper rates.
    public var usesPaperRates: Bool
    /// The strategies to compare, in recipe order.
    public var strategies: [RetrainingStrategy]
    /// The YAML text as written.
    public var text: String
    /// Where it was read from.
    public var path: String
    /// Whether the recipe says `rewind_epoch: auto` (see AutoRewindEpoch.swift).
    public var rewindEpochIsAuto = false
    /// The hash of the recipe as written, kept when `rewind_epoch: auto` is resolved so
    /// the resolved recipe keeps its run folder (nil: computed from the settings).
    var writtenHash: String?
    /// `model: {onnx: file}` without `init: fresh`: the ONNX file whose weights the dense
    /// runs start from, and the digest of its bytes (part of the hash: another file, or
    /// the same file changed, is another run).
    public var importedWeights: String?
    public var importedWeightsDigest: String?

    /// A short hash of everything that changes results (not comments or layout): run
    /// folders are named `<name>-<hash>` so a changed recipe never mixes with old results.
    public var hash: String {
        if let writtenHash { return writtenHash }
        struct Canonical: Encodable {
            let name: String, seeds: [UInt64], data: DataSettings, architecture: Architecture
            let train: TrainingSettings, prune: PruningPlan?, strategies: [RetrainingStrategy]
            let startingWeights: String?   // nil for every recipe before ONNX weights: their hashes are unchanged
        }
        return shortHash(Canonical(name: name, seeds: seeds, data: data, architecture: architecture,
                                   train: train, prune: prune, strategies: strategies, startingWeights: importedWeightsDigest))
    }

    /// `<name>-<hash>`: the run folder's name.
    public var runName: String { "\(name)-\(hash)" }
}
