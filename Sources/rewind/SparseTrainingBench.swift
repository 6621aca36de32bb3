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
enum SparseTrainingBench {
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
                    let network = try ModelZoo.build(Architecture(model: model))
                    network.configuration = settings
                    network.initialize(seed: 0)
                    let masks = try SparseBench.prune(network, to: 1 - density)
                    let trainer = Trainer(network: network, optimizer: SGD(), schedule: .constant(base: 0.02),
                                          trainingSet: data.pair.train, batchSize: 60, dataSeed: 0)
                    let mask = try Mask(tensors: masks, network: network)
                    trainer.hooks = [MaskEnforcer(mask: mask, network: network)]
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
    }
}
