import Foundation
import Pruning
import Recipes

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
