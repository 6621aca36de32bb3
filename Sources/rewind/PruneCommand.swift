import ArgumentParser
import Checkpoint
import Engine
import Foundation
import Pruning
import Recipes
import Reports

/// `rewind prune --from FINAL.h5 --to 0.95 --strategy lr-rewind --out OUT.h5`:
/// iterative (or one-shot) pruning of a trained network to a target sparsity.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Prune a trained dense network to a target sparsity, retraining after each level.",
        discussion: """
        The dense run's init.h5 and rewind.h5 are looked up next to --from (rewind train keeps them), or given
        with --init and --rewind. Training hyperparameters come from the recipe stored in the checkpoint, or --recipe.
        Levels are kept in a folder next to the dense run and skipped when rerun, so an interrupted prune resumes.
        """)

    @Option(help: "The trained dense checkpoint (final.h5).") var from: String
    @Option(help: "Target sparsity over all prunable weights, in (0, 1), e.g. 0.95.") var to: Double
    @Option(help: "Retraining strategy: \(RetrainingStrategy.presetNames.joined(separator: ", ")).") var strategy: String
    @Option(help: "Where to write the final pruned checkpoint.") var out: String
    @Option(help: "Magnitude threshold per layer or over all layers: layerwise or global.") var scope: String = "layerwise"
    @Option(help: "Pruning criterion: magnitude or random (the control).") var criterion: String = "magnitude"
    @Option(help: "Fraction of remaining weights pruned per level, in (0, 1).") var fraction: Double = 0.2
    @Flag(name: .customLong("one-shot"), help: "Prune straight to the target in one level.") var oneShot = false
    @Option(help: "Per-layer rates: 'paper' for the model's paper rates, or name=rate,... (e.g. fc3.weight=0.1).")
    var rates: String?
    @Option(help: "Rewind epoch k (weight-rewind restores epoch k's weights; lr-rewind replays the schedule from k).")
    var rewindEpoch: Int?
    @Option(help: "Epochs to retrain per level (default: T - k).") var epochs: Int?
    @Option(help: "The recipe, when the checkpoint holds none.") var recipe: String?
    @Option(help: "The dense initial weights (default: init.h5 next to --from).") var `init`: String?
    @Option(help: "The dense rewind-point weights (default: rewind.h5 next to --from).") var rewind: String?
    @Flag(help: "Print one JSON line per level.") var json = false

    func validate() throws {
        guard to > 0, to < 1 else { throw ValidationError("--to: expected a sparsity in (0, 1), got \(to)") }
        guard fraction > 0, fraction < 1 else { throw ValidationError("--fraction: expected a fraction in (0, 1), got \(fraction)") }
        guard RetrainingStrategy.presetNames.contains(strategy) else {
            throw ValidationError("--strategy: expected one of \(RetrainingStrategy.presetNames.joined(separator: ", ")), got '\(strategy)'")
        }
        guard PruningScope(rawValue: scope) != nil else { throw ValidationError("--scope: expected layerwise or global, got '\(scope)'") }
        guard PruningCriterion(rawValue: criterion) != nil else { throw ValidationError("--criterion: expected magnitude or random, got '\(criterion)'") }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs: expected a positive number, got \(epochs)") }
        if let rewindEpoch, rewindEpoch < 0 { throw ValidationError("--rewind-epoch: expected a non-negative epoch, got \(rewindEpoch)") }
    }

    func run() throws {
        let finalURL = URL(fileURLWithPath: from)
        let dense = try CheckpointFile.read(from)
        let recipe = try loadRecipe(dense)
        let network = try dense.makeNetwork()
        guard dense.architecture == recipe.architecture else {
            throw CommandFailure("\(from): architecture \(dense.architecture.model) does not match the recipe's \(recipe.architecture.model)")
        }
        let plan = PruningPlan(criterion: PruningCriterion(rawValue: criterion)!, scope: PruningScope(rawValue: scope)!,
                               fraction: fraction, rates: try parseRates(network), targetSparsity: to, oneShot: oneShot)
        do { try plan.validate(maskedNames: network.prunableParameterNames) } catch { throw CommandFailure("\(error)") }
        let k = rewindEpoch ?? recipe.train.rewindEpoch
        guard let chosen = RetrainingStrategy.preset(strategy, rewindEpoch: k, epochs: epochs) else { throw CommandFailure("unknown strategy") }
        do { try chosen.validate(totalEpochs: recipe.train.epochs) } catch { throw CommandFailure("--rewind-epoch: \(error)") }

        let observer = ProgressPrinter(quiet: false)
        let (data, _) = try recipe.data.load()
        let denseFolder = finalURL.deletingLastPathComponent()
        let sources = DenseSources(initial: self.`init`.map { URL(fileURLWithPath: $0) } ?? denseFolder.appendingPathComponent("init.h5"),
                                   rewind: rewind.map { URL(fileURLWithPath: $0) } ?? denseFolder.appendingPathComponent("rewind.h5"),
                                   final: finalURL)
        var settings = recipe.train
        settings.rewindEpoch = k
        let experiment = Experiment(architecture: dense.architecture, data: data, normalization: dense.normalization,
                                    settings: settings, augmentation: recipe.data.augmentation(normalization: dense.normalization),
                                    recipeText: recipe.text,
                                    layout: RunLayout(root: denseFolder.deletingLastPathComponent()), observer: observer)
        experiment.computeConfiguration = try makeComputeConfiguration()
        struct ChainKey: Encodable { let plan: PruningPlan; let strategy: RetrainingStrategy }
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested }
        let chainName = "prune-\(chosen.name)-\(shortHash(ChainKey(plan: plan, strategy: chosen)))"
        let chain = IterativePruning(experiment: experiment, seed: dense.seed, strategy: chosen, plan: plan, dense: sources,
                                     folder: denseFolder.deletingLastPathComponent().appendingPathComponent(chainName))
        let levels = try chain.levelSchedule()
        observer.totalUnits = levels.count
        print("pruning \(from) to \(String(format: "%.2f", to * 100))% sparsity: \(levels.count) level(s), \(chosen.name), \(plan.scope.rawValue) \(plan.criterion.rawValue); levels in \(chain.folder.path)", to: &standardError)
        var last: ResultRow?
        for level in 1...levels.count {
            let row = try chain.runLevel(level)
            last = row
            if json {
                struct Line: Encodable { let level: Int, weights_remaining: Double, test_accuracy: Double, test_loss: Double, seconds: Double }
                printJSONLine(Line(level: level, weights_remaining: row.weightsRemaining, test_accuracy: row.testAccuracy,
                                   test_loss: row.testLoss, seconds: row.seconds))
            } else {
                print(String(format: "level %2d: %6.2f%% weights remaining, test accuracy %.2f%%, %@", level,
                             row.weightsRemaining * 100, row.testAccuracy * 100, formatDuration(row.seconds)))
            }
        }
        let final = try CheckpointFile.read(chain.folder.appendingPathComponent("level-\(levels.count).h5").path)
        try CheckpointFile.write(final, to: out, format: .dense)
        if let last, !json {
            print(String(format: "wrote %@: %.2f%% weights remaining, test accuracy %.2f%%", out, last.weightsRemaining * 100, last.testAccuracy * 100))
        }
    }

    /// The recipe from --recipe, or the one stored in the checkpoint.
    func loadRecipe(_ dense: CheckpointContents) throws -> Recipe {
        if let path = recipe { return try Recipe.load(path: path) }
        guard let text = dense.recipe else {
            throw CommandFailure("\(from): holds no recipe; pass --recipe with the training hyperparameters used to retrain")
        }
        return try Recipe.parse(text, file: "\(from) (stored recipe)")
    }

    func parseRates(_ network: Network) throws -> [String: Double] {
        guard let rates else { return [:] }
        if rates == "paper" { return network.paperPruningRates }
        var result: [String: Double] = [:]
        for item in rates.split(separator: ",") {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let value = Double(parts[1]) else {
                throw CommandFailure("--rates: expected name=rate pairs such as fc3.weight=0.1, got '\(item)'")
            }
            result[String(parts[0])] = value
        }
        return result
    }
}
