import Engine
import Foundation
import Pruning

/// `rewind bench --sparse-training`: seconds per retraining epoch of LeNet-300-100
/// (or the `--models` given) pruned to 51%, 21%, 5.6% and 3.6% of its weights
/// (every Linear and Conv2D weight), through the masked dense path
/// and through the sparse kernels (`setSparsity(pattern:)`), as a comparison
/// retrains: Fashion-MNIST (random data of its shape when not installed), batch
/// 60, SGD at lr 0.02, the mask enforced by `MaskEnforcer`, plus the test
/// evaluation that follows each epoch. Every layer is pruned layerwise by
/// magnitude to the density, one-shot. The two paths alternate epoch by epoch
/// (`repeats` rounds, each path's best kept) so that other load hits both alike.
///
/// Then the measured crossovers per layer kind: at each of `crossoverDensities`,
/// every pruned layer's own choice as retraining makes it (`SparseTraining.decide`:
/// one forward and backward through each path, alternately, on its weights, pattern
/// and first batch; a fresh in-memory store, so nothing is read from the cache),
/// with the dense / sparse time ratio, and per layer the crossover: the highest
/// density from which sparse won at every lower density measured.
enum SparseTrainingBench {
    static let crossoverDensities = [0.6, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.02]

    struct CrossoverLine: Encodable {
        let model: String, layer: String, kind: String, weights_remaining: Double, dense_seconds: Double,
            sparse_seconds: Double, sparse: Bool
    }
    static let densities = [0.51, 0.21, 0.056, 0.036]

    struct Line: Encodable {
        let model: String, weights_remaining: Double, path: String, epoch_seconds: Double, evaluation_seconds: Double
    }

    static func run(models: [String], configuration: ComputeConfiguration, repeats: Int, quick: Bool, json: Bool) throws {
        let data = BenchCommand.loadData()
        for model in models {
            try run(model: model, data: data, configuration: configuration, repeats: repeats, quick: quick, json: json)
        }
    }

    static func run(model: String, data: (pair: DatasetPair, description: String), configuration: ComputeConfiguration,
                    repeats: Int, quick: Bool, json: Bool) throws {
        if !json {
            print("\(model) retraining on \(data.description), batch 60, SGD lr 0.02\(quick ? ", 100 batches an epoch" : ""), "
                  + configuration.description)
            print("weights  dense s/epoch  sparse s/epoch  speed-up  dense eval s  sparse eval s")
        }
        for density in densities {
            var epoch: [Bool: Double] = [:], evaluation: [Bool: Double] = [:]
            for round in 0..<repeats {
                for sparse in [false, true] {
                    var settings = configuration
                    settings.sparseTrainingDensity = sparse ? 1.01 : 0
                    settings.measuredSparseTraining = nil
                    let (network, trainer, _) = try makeTrainer(model: model, density: density, data: data, configuration: settings)
                    let limit = quick ? 100 : nil
                    let summary = trainer.trainEpoch(round, limitBatches: limit)
                    let clock = ContinuousClock(), start = clock.now
                    _ = evaluate(network, on: data.pair.test)
                    let evaluationSeconds = (clock.now - start).seconds
                    epoch[sparse] = min(epoch[sparse] ?? .infinity, summary.seconds)
                    evaluation[sparse] = min(evaluation[sparse] ?? .infinity, evaluationSeconds)
                }
            }
            if json {
                for sparse in [false, true] {
                    printJSONLine(Line(model: model, weights_remaining: density, path: sparse ? "sparse" : "dense",
                                       epoch_seconds: epoch[sparse]!, evaluation_seconds: evaluation[sparse]!))
                }
            } else {
                print(String(format: "%6.1f%%  %13.3f  %14.3f  %7.2fx  %12.3f  %13.3f", density * 100, epoch[false]!, epoch[true]!,
                             epoch[false]! / epoch[true]!, evaluation[false]!, evaluation[true]!))
            }
        }
        try printCrossovers(model: model, data: data, configuration: configuration, json: json)
    }

    /// `model` (seed 0) pruned layerwise by magnitude to `density`, one-shot, and its
    /// trainer: batch 60, SGD at lr 0.02, the mask enforced by `MaskEnforcer`.
    static func makeTrainer(model: String, density: Double, data: (pair: DatasetPair, description: String),
                            configuration: ComputeConfiguration) throws -> (Network, Trainer, [String: Tensor]) {
        let network = try ModelZoo.build(Architecture(model: model))
        network.configuration = configuration
        network.initialize(seed: 0)
        let masks = try SparseBench.prune(network, to: 1 - density)
        let trainer = Trainer(network: network, optimizer: SGD(), schedule: .constant(base: 0.02),
                              trainingSet: data.pair.train, batchSize: 60, dataSeed: 0)
        trainer.hooks = [MaskEnforcer(mask: try Mask(tensors: masks, network: network), network: network)]
        return (network, trainer, masks)
    }

    /// The per-layer measured choices at `crossoverDensities` and each layer's crossover.
    static func printCrossovers(model: String, data: (pair: DatasetPair, description: String),
                                configuration: ComputeConfiguration, json: Bool) throws {
        var speedUps: [String: [(density: Double, timing: SparseTrainingTiming)]] = [:], kinds: [String: String] = [:]
        var order: [String] = []
        for density in crossoverDensities {
            let choices = SparseTrainingChoices()
            var settings = configuration
            settings.measuredSparseTraining = MeasuredSparseTraining(choices)
            let (network, trainer, masks) = try makeTrainer(model: model, density: density, data: data, configuration: settings)
            trainer.trainEpoch(0, limitBatches: 1)   // each pruned layer decides in its first training pass
            for name in masks.keys.sorted() {
                let shape = network.parameter(named: name)!.value.shape
                guard let choice = choices.all.first(where: { $0.key.weightShape == shape }) else { continue }
                if speedUps[name] == nil { order.append(name) }
                speedUps[name, default: []].append((density, choice.timing))
                kinds[name] = choice.key.kind
                if json {
                    printJSONLine(CrossoverLine(model: model, layer: name, kind: choice.key.kind, weights_remaining: density,
                                                dense_seconds: choice.timing.dense, sparse_seconds: choice.timing.sparse,
                                                sparse: choice.sparse))
                }
            }
        }
        guard !json else { return }
        print("measured crossovers (one forward and backward per path at batch 60; dense time / sparse time):")
        print("layer         kind         " + crossoverDensities.map { String(format: "%6.1f%%", $0 * 100) }.joined(separator: " ")
              + "  sparse from")
        for name in order {
            let row = speedUps[name]!
            // The highest density from which every lower density measured chose sparse.
            var crossover: Double? = nil
            for entry in row.reversed() {
                guard entry.timing.sparseIsFaster else { break }
                crossover = entry.density
            }
            let ratios = row.map { String(format: "%6.2fx", $0.timing.dense / $0.timing.sparse) }.joined(separator: " ")
            print(name.padding(toLength: 13, withPad: " ", startingAt: 0) + kinds[name]!.padding(toLength: 13, withPad: " ", startingAt: 0)
                  + ratios + "  " + (crossover.map { String(format: "%.1f%%", $0 * 100) } ?? "never"))
        }
    }
}
