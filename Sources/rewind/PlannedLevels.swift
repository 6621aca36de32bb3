import Foundation
import Pruning
import Recipes

/// The pruning levels a run will make, printed before any training: as text on
/// standard error, and as the first `--json` line (`{"kind": "plan", ...}`), so a
/// program knows how many level lines follow and where each level lands.
struct PlannedLevels: Encodable {
    let kind = "plan"
    /// The strategies whose chains run each level.
    let strategies: [String]
    /// The fraction of prunable weights left after each level, level 1 first.
    let weightsRemaining: [Double]
    /// `rewind prune` only: the pruning options in force, whatever their source.
    let options: PruneOptionsSummary?

    init(strategies: [String], remaining: [Double], options: PruneOptionsSummary? = nil) {
        self.strategies = strategies
        self.weightsRemaining = remaining
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case kind, strategies, weightsRemaining = "weights_remaining", options }

    /// "80.0, 64.0, 51.2, …, 2.00" (three significant digits).
    static func text(_ remaining: [Double]) -> String {
        remaining.map { String(format: $0 >= 0.1 ? "%.1f" : $0 >= 0.01 ? "%.2f" : "%.3g", $0 * 100) }.joined(separator: ", ")
    }
}

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

/// The line `compare` prints about its run folder: new or resumed, and where else
/// runs of the same recipe are (a run started from another directory, or with an
/// edited recipe, is a different folder).
enum RunFolderNotice {
    static func describe(_ run: RunFolder, recipe: Recipe, recipePath: String) -> String {
        let manager = FileManager.default
        var lines: [String] = []
        let total = recipe.seeds.count * (1 + recipe.strategies.count * ((try? recipe.levelSchedule().count) ?? 0))
        if manager.fileExists(atPath: run.recipeSnapshot.path) {
            let finished = (try? recipe.finishedRecords(in: run).count) ?? 0
            lines.append("run folder: \(run.root.path) (resuming: \(finished) of \(total) runs finished)")
        } else {
            lines.append("run folder: \(run.root.path) (new)")
            // The same recipe run from the recipe's project folder (e.g. the repository root).
            let recipeURL = URL(fileURLWithPath: recipePath).standardizedFileURL
            let project = recipeURL.deletingLastPathComponent().deletingLastPathComponent()
            let there = project.appendingPathComponent("checkpoints").appendingPathComponent(run.root.lastPathComponent)
            if there.standardizedFileURL.path != run.root.standardizedFileURL.path, manager.fileExists(atPath: there.path) {
                lines.append("note: this recipe already has a run folder at \(there.path); to resume it instead, pass --checkpoints \(there.deletingLastPathComponent().path)")
            }
            let siblings = ((try? manager.contentsOfDirectory(atPath: run.root.deletingLastPathComponent().path)) ?? [])
                .filter { $0.hasPrefix(recipe.name + "-") && $0 != run.root.lastPathComponent }.sorted()
            if !siblings.isEmpty {
                lines.append("note: other versions of recipe '\(recipe.name)' ran in \(siblings.joined(separator: ", ")) (a changed recipe gets a new run folder)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
