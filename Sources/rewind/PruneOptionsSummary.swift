import Foundation

/// What `rewind prune` used, with where each value came from, as stored in its
/// checkpoints (attribute `pruning`) and printed with `--json`.
struct PruneOptionsSummary: Codable, Equatable {
    var criterion: String
    var scope: String
    var fraction: Double
    var rates: [String: Double]
    var targetSparsity: Double
    var oneShot: Bool
    var strategy: String
    var rewindEpoch: Int
    var epochsPerLevel: Int
    /// Per option: "command line", "recipe" (the one stored in the checkpoint, or
    /// --recipe) or "default".
    var sources: [String: String]
    /// The digest of each checkpoint read (final, and init / rewind where used).
    var inputs: [String: String]

    enum CodingKeys: String, CodingKey {
        case criterion, scope, fraction, rates, targetSparsity = "target_sparsity", oneShot = "one_shot"
        case strategy, rewindEpoch = "rewind_epoch", epochsPerLevel = "epochs_per_level", sources, inputs
    }
}
