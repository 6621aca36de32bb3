import ArgumentParser
import Checkpoint
import Engine
import Foundation
import Recipes

/// `rewind eval --from FILE`: test accuracy and loss of any checkpoint (dense or
/// sparse export), the network rebuilt from the file alone.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a checkpoint on its test set.")

    @Option(help: "The checkpoint.") var from: String
    @Option(help: "Folder of the dataset's files (default: the recipe's, else Fashion-MNIST's).") var dataPath: String?
    @Option(help: "Inference path: auto (sparse kernels for layers below the measured crossover density), dense or sparse.")
    var path: String = "auto"
    @Flag(help: "Print {\"test_accuracy\", \"test_loss\", \"sparsity\"} as the last line.") var json = false

    func validate() throws {
        if dataPath?.isEmpty == true { throw CommandFailure("--data-path: the path is empty; expected the folder of the dataset's files") }
        guard ["auto", "dense", "sparse"].contains(path) else { throw ValidationError("--path: expected auto, dense or sparse, got '\(path)'") }
    }

    func run() throws {
        let compute = try makeComputeConfiguration()
        let contents = try UntrustedCheckpoint.read(from)
        let network = try contents.makeNetwork()
        network.configuration = compute
        var data = DataSettings()
        if let text = contents.recipe, let recipe = try? Recipe.parse(text, file: from) { data = recipe.data }
        if let dataPath { data.path = dataPath }
        data.trainLimit = nil
        let raw = try data.loadRaw()
        try network.checkInput(exampleShape: raw.test.exampleShape, batchSize: min(1000, raw.test.count),
                               source: data.dataset == .synthetic ? "\(from): recipe data.synthetic" : data.directory)
        let test = raw.test.normalized(by: network.normalization)
        let clock = ContinuousClock(), start = clock.now
        let evaluation: Evaluation
        var kernels = "dense"
        if path == "dense" || (path == "auto" && contents.masks.isEmpty) {
            evaluation = evaluate(network, on: test)
        } else {
            // Sparse kernels for masked layers below the crossover (or every pruned Linear and Conv2D with --path sparse).
            let choices = SparseChoiceCache.load(configuration: compute)
            let sparse = SparseInferenceNetwork(network: network, crossoverDensity: path == "sparse" ? 1 : nil,
                                                masks: contents.masks, choices: choices)
            evaluation = evaluate(on: test) { sparse.forward($0) }
            SparseChoiceCache.save(choices, configuration: compute)
            kernels = (sparse.convolutionLayers + sparse.linearLayers).map { "\($0.name) \(sparse.kernel(for: $0.name, batch: 1000) == .sparse ? "sparse" : "dense")" }
                .joined(separator: ", ")
        }
        let seconds = (clock.now - start).seconds
        let sparsity = contents.masks.isEmpty ? 0 : 1 - Double(contents.masks.values.reduce(0) { $0 + $1.nonZeroCount })
            / Double(contents.masks.values.reduce(0) { $0 + $1.count })
        if json {
            struct Line: Encodable { let test_accuracy: Double, test_loss: Double, sparsity: Double }
            printJSONLine(Line(test_accuracy: evaluation.accuracy, test_loss: evaluation.loss, sparsity: sparsity))
        } else {
            print(String(format: "%@: test accuracy %.2f%%, test loss %.4f, sparsity %.2f%% (%d images in %@; %@)", from,
                         evaluation.accuracy * 100, evaluation.loss, sparsity * 100, test.count, formatDuration(seconds), kernels))
        }
    }
}
