import ArgumentParser
import Engine
import Foundation
import Pruning
import Recipes

/// `rewind train RECIPE`: dense training for each seed of a recipe, keeping the
/// initial weights, the rewind point and the final weights.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the recipe's dense network (per seed), keeping init, rewind-point and final checkpoints.")

    @Argument(help: "The recipe (YAML).") var recipe: String
    @Flag(help: "Continue an interrupted run from its newest checkpoint.") var resume = false
    @Flag(help: "Discard this recipe's earlier dense runs and start over.") var fresh = false
    @Option(help: "Folder of run folders.") var checkpoints = "checkpoints"
    @Flag(help: "Print a one-line JSON summary last.") var json = false

    func validate() throws {
        try OutputLocation.checkFolder(checkpoints, option: "--checkpoints")
    }

    func run() throws {
        let compute = try makeComputeConfiguration()
        let written = try Recipe.load(path: self.recipe)
        let layout = written.runFolder(checkpoints: URL(fileURLWithPath: checkpoints))
        let recipe = try written.resolvingAutoRewindEpoch(in: layout, required: false)
        let observer = ProgressPrinter()
        let experiment = try recipe.makeExperiment(observer: observer)
        experiment.computeConfiguration = compute
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested }
        if fresh { for seed in recipe.seeds { try? FileManager.default.removeItem(at: layout.denseFolder(seed)) } }
        for seed in recipe.seeds {
            let finished = layout.finishedDense(seed) != nil
            let started = FileManager.default.fileExists(atPath: layout.dense(seed, .last).path)
            if started && !finished && !resume {
                throw CommandFailure("\(layout.denseFolder(seed).path): an interrupted run is there; pass --resume to continue it or --fresh to start over")
            }
        }
        print("\(recipe.name): \(recipe.architecture.model) on \(recipe.data.dataset.rawValue) (\(experiment.data.train.count) training, \(experiment.data.test.count) test images), \(recipe.train.epochs) epochs, seeds \(recipe.seeds.map(String.init).joined(separator: ", "))", to: &standardError)
        print("run folder: \(layout.root.path)", to: &standardError)
        observer.totalUnits = recipe.seeds.count
        let clock = ContinuousClock(), start = clock.now
        var rows: [(UInt64, Double, Double)] = []
        for seed in recipe.seeds {
            let row = try DenseTraining(experiment: experiment, run: layout, seed: seed).run()
            rows.append((seed, row.testAccuracy, row.testLoss))
            print(String(format: "seed %llu: test accuracy %.2f%%, test loss %.4f -> %@", seed, row.testAccuracy * 100,
                         row.testLoss, layout.dense(seed, .final).path))
        }
        let accuracy = rows.map(\.1).reduce(0, +) / Double(rows.count)
        let loss = rows.map(\.2).reduce(0, +) / Double(rows.count)
        if rows.count > 1 { print(String(format: "mean over %d seeds: test accuracy %.2f%%", rows.count, accuracy * 100)) }
        if json {
            struct Summary: Encodable {
                let test_accuracy: Double, test_loss: Double, epochs: Int, seconds: Double, seeds: Int, checkpoint: String
            }
            printJSONLine(Summary(test_accuracy: accuracy, test_loss: loss, epochs: recipe.train.epochs,
                                  seconds: (clock.now - start).seconds, seeds: rows.count,
                                  checkpoint: layout.dense(recipe.seeds[0], .final).path))
        }
    }
}
