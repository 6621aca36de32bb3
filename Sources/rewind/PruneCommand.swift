import ArgumentParser
import Checkpoint
import Engine
import Foundation
import Pruning
import Recipes

/// `rewind prune --from FINAL.h5 --to 0.95 --strategy lr-rewind --out OUT.h5`:
/// iterative (or one-shot) pruning of a trained network to a target sparsity.
///
/// Every pruning option not given on the command line comes from the recipe (the one
/// stored in the checkpoint, or `--recipe`), then from the defaults; what was used,
/// and from where, is printed before training and stored in every level checkpoint
/// (attribute `pruning`). Levels live beside `--out` (`PruneLevels`), keyed by every
/// input, so a rerun resumes and a changed input never reuses another's levels.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Prune a trained dense network to a target sparsity, retraining after each level.",
        discussion: """
        The dense run's init.h5 and rewind.h5 are looked up next to --from (rewind train keeps them), or given
        with --init and --rewind. Training hyperparameters come from the recipe stored in the checkpoint, or --recipe;
        so do pruning options not given here (prune: target, fraction, rates, scope, criterion, one_shot).
        Levels are kept in OUT.levels/<strategy>-<hash>/ beside --out, named by a hash of every input (checkpoint
        contents, recipe, options), and skipped when the same command is rerun, so an interrupted prune resumes.
        """)

    @Option(help: "The trained dense checkpoint (final.h5).") var from: String
    @Option(help: "Where to write the final pruned checkpoint; its levels go to OUT.levels/ beside it.") var out: String
    @Option(help: "Retraining strategy: \(RetrainingStrategy.presetNames.joined(separator: ", ")).") var strategy: String
    @Option(help: "Target sparsity over all prunable weights, in (0, 1), e.g. 0.95 (default: the recipe's prune.target).")
    var to: Double?
    @Option(help: "Magnitude threshold per layer or over all layers: layerwise or global (default: the recipe's, else layerwise).")
    var scope: String?
    @Option(help: "Pruning criterion: magnitude or random, the control (default: the recipe's, else magnitude).")
    var criterion: String?
    @Option(help: "Fraction of remaining weights pruned per level, in (0, 1) (default: the recipe's, else 0.2).")
    var fraction: Double?
    @Flag(name: .customLong("one-shot"), help: "Prune straight to the target in one level (default: the recipe's one_shot).")
    var oneShot = false
    @Option(help: "Per-layer rates: 'paper' for the model's paper rates, 'none', or name=rate,... (e.g. fc3.weight=0.1) (default: the recipe's).")
    var rates: String?
    @Option(help: "Rewind epoch k (weight-rewind restores epoch k's weights; lr-rewind replays the schedule from k) (default: the recipe's train.rewind_epoch).")
    var rewindEpoch: Int?
    @Option(help: "Epochs to retrain per level (default: T - k, the rest of the schedule; fewer stop a replayed schedule before its end, so its last decays never happen).")
    var epochs: Int?
    @Option(help: "The recipe, when the checkpoint holds none (or to override the one it holds).") var recipe: String?
    @Option(help: "The dense initial weights (default: init.h5 next to --from).") var `init`: String?
    @Option(help: "The dense rewind-point weights (default: rewind.h5 next to --from).") var rewind: String?
    @Flag(help: "Print JSON lines: the plan first ({\"kind\": \"plan\", ...}), then each level's record as written beside it.")
    var json = false

    func validate() throws {
        if let to { try PruningPlan.Limits.targetSparsity.check(to, option: "--to") }
        if let fraction { try PruningPlan.Limits.fraction.check(fraction, option: "--fraction") }
        guard RetrainingStrategy.presetNames.contains(strategy) else {
            throw ValidationError("--strategy: expected one of \(RetrainingStrategy.presetNames.joined(separator: ", ")), got '\(strategy)'")
        }
        if let scope, PruningScope(rawValue: scope) == nil { throw ValidationError("--scope: expected layerwise or global, got '\(scope)'") }
        if let criterion, PruningCriterion(rawValue: criterion) == nil {
            throw ValidationError("--criterion: expected magnitude or random, got '\(criterion)'")
        }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs: expected a positive number, got \(epochs)") }
        if let rewindEpoch, rewindEpoch < 0 { throw ValidationError("--rewind-epoch: expected a non-negative epoch, got \(rewindEpoch)") }
        guard !out.isEmpty else { throw ValidationError("--out: expected a file path, got an empty string") }
    }

    func run() throws {
        let finalURL = URL(fileURLWithPath: from)
        let outURL = URL(fileURLWithPath: out)
        try OutputLocation.checkFile(out, option: "--out")
        let dense = try UntrustedCheckpoint.read(from)
        let recipe = try loadRecipe(dense)
        let network = try dense.makeNetwork()
        guard dense.architecture == recipe.architecture else {
            throw CommandFailure("\(from): architecture \(dense.architecture.model) does not match the recipe's \(recipe.architecture.model)")
        }
        let (plan, sources) = try effectivePlan(recipe: recipe, network: network)
        let k = rewindEpoch ?? recipe.train.rewindEpoch
        guard let chosen = RetrainingStrategy.preset(strategy, rewindEpoch: k, epochs: epochs) else { throw CommandFailure("unknown strategy") }
        do { try chosen.validate(totalEpochs: recipe.train.epochs) } catch { throw CommandFailure("--rewind-epoch: \(error)") }
        var settings = recipe.train
        settings.rewindEpoch = k

        // The checkpoints this strategy reads, named before any training.
        let denseFolder = finalURL.deletingLastPathComponent()
        let beside = DenseSources(folder: denseFolder)   // init.h5 and rewind.h5 next to --from, as rewind train keeps them
        let denseSources = DenseSources(initial: self.`init`.map { URL(fileURLWithPath: $0) } ?? beside.initial,
                                        rewind: rewind.map { URL(fileURLWithPath: $0) } ?? beside.rewind,
                                        final: finalURL)
        var read: [String: URL] = ["final": finalURL]
        if chosen.weights == .rewindPoint { read["rewind"] = denseSources.rewind }
        if chosen.weights == .initial || chosen.weights == .randomReinit { read["init"] = denseSources.initial }
        for (role, url) in read.sorted(by: { $0.key < $1.key }) where !FileManager.default.fileExists(atPath: url.path) {
            throw CommandFailure("\(url.path): not found; \(chosen.name) reads the dense run's \(role) weights (rewind train keeps them next to final.h5; or pass --\(role == "init" ? "init" : "rewind"))")
        }
        struct Settings: Encodable { let architecture: Architecture; let data: DataSettings; let train: TrainingSettings }
        let source = try PruneLevels.source(checkpoints: read, settings: Settings(architecture: recipe.architecture, data: recipe.data, train: settings))
        let inputs = ChainInputs(source: source, seed: dense.seed, strategy: chosen, plan: plan)
        let levelsFolder = PruneLevels(out: outURL)
        let retrainEpochs = chosen.retrainEpochs(totalEpochs: settings.epochs)
        let summary = PruneOptionsSummary(
            criterion: plan.criterion.rawValue, scope: plan.scope.rawValue, fraction: plan.fraction, rates: plan.rates,
            targetSparsity: plan.targetSparsity, oneShot: plan.oneShot, strategy: chosen.name, rewindEpoch: k,
            epochsPerLevel: retrainEpochs,
            sources: sources.merging(["rewind_epoch": rewindEpoch == nil ? "recipe" : "command line",
                                      "epochs_per_level": epochs == nil ? "default (T - k)" : "command line"]) { $1 },
            inputs: try read.mapValues { try fileDigest($0) })

        let observer = ProgressPrinter(quiet: false)
        let (data, _) = try recipe.data.load()
        let experiment = Experiment(architecture: dense.architecture, data: data, normalization: dense.normalization,
                                    settings: settings, augmentation: recipe.data.augmentation(normalization: dense.normalization),
                                    recipeText: recipe.text, observer: observer)
        experiment.computeConfiguration = try makeComputeConfiguration()
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested }
        var chain = IterativePruning(experiment: experiment, inputs: inputs, dense: denseSources, locate: { levelsFolder.chain($0) })
        chain.attributes["pruning"] = String(decoding: try RecordJSON.encoder(pretty: false).encode(summary), as: UTF8.self)
        let levels = try chain.levelSchedule()
        observer.totalUnits = levels.count

        print("pruning \(from) to \(String(format: "%.2f", plan.targetSparsity * 100))% sparsity: \(levels.count) level(s), \(chosen.name) (k = \(k), \(retrainEpochs) epochs per level), \(plan.scope.rawValue) \(plan.criterion.rawValue), \(plan.oneShot ? "one-shot" : "\(plan.fraction) per level")\(plan.rates.isEmpty ? "" : ", rates " + plan.rates.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))", to: &standardError)
        print("options from: " + sources.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "), to: &standardError)
        print("planned levels (% weights remaining): \(PlannedLevels.text(levels))", to: &standardError)
        print("levels in \(chain.folder.url.path)", to: &standardError)
        if case .replay(let first) = chosen.learningRate, first + retrainEpochs < settings.epochs {
            print("warning: --epochs \(retrainEpochs) replays schedule epochs \(first) ..< \(first + retrainEpochs) of \(settings.epochs): the schedule is cut before its end, so its later learning-rate decays never happen (omit --epochs to replay the rest of the schedule)", to: &standardError)
        }
        if json { printJSONLine(PlannedLevels(strategies: [chosen.name], remaining: levels, options: summary)) }

        var last: LevelRecord?
        for level in 1...levels.count {
            let record = try chain.runLevel(level, schedule: levels)
            last = record
            if json {
                printJSONLine(record)
            } else {
                print(String(format: "level %2d: %6.2f%% weights remaining, test accuracy %.2f%%, %@", level,
                             record.weightsRemaining * 100, record.testAccuracy * 100, formatDuration(record.seconds)))
            }
        }
        let final = try CheckpointFile.read(chain.folder.level(levels.count).path)
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

    /// The pruning plan in force: each option from the command line, else the recipe's
    /// `prune` section, else the default; with where each came from.
    func effectivePlan(recipe: Recipe, network: Network) throws -> (PruningPlan, [String: String]) {
        let base = recipe.prune
        var sources: [String: String] = [:]
        func pick<T>(_ name: String, _ option: T?, _ fromRecipe: T?, _ fallback: T) -> T {
            if let option { sources[name] = "command line"; return option }
            if let fromRecipe { sources[name] = "recipe"; return fromRecipe }
            sources[name] = "default"
            return fallback
        }
        let recipeName = recipe.path.isEmpty ? "the recipe" : recipe.path
        let target = pick("target", to, base?.targetSparsity, -1)
        guard target > 0 else {
            throw CommandFailure("--to: missing; the recipe (\(recipeName)) has no prune.target, so give the sparsity to reach, e.g. --to 0.95")
        }
        let plan = PruningPlan(
            criterion: pick("criterion", criterion.flatMap(PruningCriterion.init), base?.criterion, .magnitude),
            scope: pick("scope", scope.flatMap(PruningScope.init), base?.scope, .layerwise),
            fraction: pick("fraction", fraction, base?.fraction, 0.2),
            rates: pick("rates", try rates.map { try parseRates($0, network) }, base?.rates, [:]),
            targetSparsity: target,
            oneShot: pick("one_shot", oneShot ? true : nil, base?.oneShot, false))
        do { try plan.validate(maskedNames: network.prunableParameterNames) } catch { throw CommandFailure("\(error)") }
        return (plan, sources)
    }

    func parseRates(_ rates: String, _ network: Network) throws -> [String: Double] {
        if rates == "paper" { return network.paperPruningRates }
        if rates == "none" { return [:] }
        var result: [String: Double] = [:]
        for item in rates.split(separator: ",") {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let value = Double(parts[1]) else {
                throw CommandFailure("--rates: expected name=rate pairs such as fc3.weight=0.1, 'paper' or 'none', got '\(item)'")
            }
            result[String(parts[0])] = value
        }
        return result
    }
}
