import ArgumentParser
import Engine
import Foundation
import Pruning
import Recipes
import Reports

/// `rewind compare RECIPE`: dense training per seed, then every strategy's chain of
/// pruning levels per seed (sharing the dense runs), then the report.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare retraining strategies at every pruning level over the recipe's seeds, and write the report.",
        discussion: "Resumable: rerun the same command after an interruption and finished levels are skipped.")

    @Argument(help: "The recipe (YAML).") var recipe: String
    @Option(help: "Run only slice i of n of the (seed, strategy) chains, e.g. 2/4; then merge with `rewind report`.")
    var shard: String?
    @Option(help: "Folder of run folders.") var checkpoints = "checkpoints"
    @Option(help: "Folder of report folders.") var reports = "reports"
    @Flag(help: "Print one JSON line per finished level.") var json = false

    func validate() throws {
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard: expected i/n with 1 <= i <= n, got '\(shard)'")
        }
    }

    func run() throws {
        let recipe = try Recipe.load(path: self.recipe)
        guard let plan = recipe.prune, !recipe.strategies.isEmpty else {
            throw CommandFailure("\(self.recipe): compare needs prune and retrain sections (use `rewind train` for dense training only)")
        }
        let slice = shard.flatMap(Shard.init)
        let observer = ProgressPrinter()
        let experiment = try recipe.makeExperiment(checkpoints: URL(fileURLWithPath: checkpoints), observer: observer)
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested }
        let layout = experiment.layout
        try FileManager.default.createDirectory(at: layout.root, withIntermediateDirectories: true)
        try writeAtomically(Data(recipe.text.utf8), to: layout.root.appendingPathComponent("recipe.yaml"))

        let units = recipe.chainUnits.enumerated().filter { slice?.owns($0.offset) ?? true }.map(\.element)
        let levels = try IterativePruning(experiment: experiment, seed: recipe.seeds[0], strategy: recipe.strategies[0], plan: plan)
            .levelSchedule()
        let seeds = Array(Set(units.map(\.seed))).sorted()
        observer.totalUnits = seeds.count + units.reduce(0) { $0 + $1.strategies.count } * levels.count
        print("\(recipe.name): \(recipe.architecture.model), seeds \(seeds.map(String.init).joined(separator: ", ")), strategies \(recipe.strategies.map(\.name).joined(separator: ", ")), \(levels.count) levels to \(String(format: "%.2f", levels.last.map { $0 * 100 } ?? 100))% weights remaining\(slice.map { ", shard \($0)" } ?? "")", to: &standardError)
        print("run folder: \(layout.root.path)", to: &standardError)

        let clock = ContinuousClock(), start = clock.now
        for seed in seeds {
            let row = try DenseTraining(experiment: experiment, seed: seed).run()
            if json { printJSONLine(LevelLine(row)) }
        }
        for unit in units {
            for strategy in unit.strategies {
                let chain = IterativePruning(experiment: experiment, seed: unit.seed, strategy: strategy, plan: plan)
                for level in 1...levels.count {
                    let row = try chain.runLevel(level)
                    if json { printJSONLine(LevelLine(row)) }
                }
            }
        }
        let seconds = (clock.now - start).seconds
        if let slice {
            print("shard \(slice) finished in \(formatDuration(seconds)); when every shard is done: rewind report \(layout.root.path)", to: &standardError)
            return
        }
        let written = try ReportCommand.writeReport(runFolder: layout.root, reports: URL(fileURLWithPath: reports))
        print("report: \(written.path)/report.md (\(formatDuration(seconds)) this run)", to: &standardError)
        print(written.appendingPathComponent(ReportWriter.markdownFile).path)
    }
}

/// One JSON line per finished level (`--json`).
struct LevelLine: Encodable {
    let strategy: String, seed: Int, level: Int, weights_remaining: Double, test_accuracy: Double, test_loss: Double, seconds: Double
    init(_ row: ResultRow) {
        strategy = row.strategy; seed = row.seed; level = row.level; weights_remaining = row.weightsRemaining
        test_accuracy = row.testAccuracy; test_loss = row.testLoss; seconds = row.seconds
    }
}
