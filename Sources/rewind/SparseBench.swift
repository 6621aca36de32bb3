import Checkpoint
import Engine
import Foundation
import Pruning

/// `rewind bench --sparse`: dense versus sparse inference of magnitude-pruned
/// networks at several sparsities — batch-1 latency, batch-256 throughput, and the
/// bytes of the dense checkpoint and of the sparse export. By default LeNet-300-100
/// and Conv-2, both on 28x28x1 inputs (`Architecture`'s default input shape).
///
/// The sparse path chooses per layer and batch by measurement (`SparseKernelChoices`,
/// kept in `SparseChoiceCache`), so a second run reuses the first run's choices.
/// Each (model, sparsity, batch) times both paths alternately (`InferenceComparison`):
/// 7 rounds, or 3 when one dense pass takes over 50 ms (Conv-2 at batch 256), which
/// keeps the default run to a few minutes. Without `--json`, at 90% sparsity and above
/// the Linear layers' batch-1 products are broken down (`SparseLinearProfile`) and the
/// pruned convolutions on one thread (`SparseConvolutionProfile`).
enum SparseBench {
    static let defaultModels = ["lenet-300-100", "conv-2"]
    static let sparsities: [Double] = [0, 0.5, 0.8, 0.9, 0.95, 0.98]
    static let batches = [1, 256]

    struct Line: Encodable {
        let model: String, sparsity: Double, path: String, batch: Int, latency_ms: Double, images_per_s: Double, bytes: Int
    }

    static func run(models: [String], configuration: ComputeConfiguration, json: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        if !json {
            print("model          sparsity  batch   dense ms   sparse ms   dense img/s  sparse img/s  speed-up  ideal  dense bytes  sparse bytes")
        }
        let choices = SparseChoiceCache.load(configuration: configuration)
        defer { SparseChoiceCache.save(choices, configuration: configuration) }
        for model in models {
            let network = try ModelZoo.build(Architecture(model: model))
            network.configuration = configuration
            network.initialize(seed: 0)
            let original = network.stateDictionary()
            for sparsity in sparsities {
                try network.load(stateDictionary: original)
                let masks = try prune(network, to: sparsity)
                // Bytes: the dense checkpoint versus the sparse (CSR) export, without optimizer state.
                let contents = CheckpointContents(network: network, masks: masks)
                let densePath = folder.appendingPathComponent("dense.h5").path, sparsePath = folder.appendingPathComponent("sparse.h5").path
                try CheckpointFile.write(contents, to: densePath, format: .dense)
                try CheckpointFile.write(contents, to: sparsePath, format: .sparse)
                let denseBytes = try fileSize(densePath), sparseBytes = try fileSize(sparsePath)
                let sparse = SparseInferenceNetwork(network: network, masks: masks, choices: choices)
                for batch in batches {
                    let c = InferenceComparison.measure(network: network, batch: batch, sparse: sparse,
                                                        repeats: repeats(network, batch: batch))
                    if json {
                        printJSONLine(Line(model: model, sparsity: sparsity, path: "dense", batch: batch, latency_ms: c.denseSeconds * 1000,
                                           images_per_s: c.denseImagesPerSecond.rounded(), bytes: denseBytes))
                        printJSONLine(Line(model: model, sparsity: sparsity, path: "sparse", batch: batch, latency_ms: c.sparseSeconds * 1000,
                                           images_per_s: c.sparseImagesPerSecond.rounded(), bytes: sparseBytes))
                    } else {
                        print(column(model, 14) + String(format: " %7.0f%%  %5d  %9.4f  %10.4f  %12.0f  %12.0f  %7.2fx  %4.0fx  %11d  %12d", sparsity * 100,
                                     batch, c.denseSeconds * 1000, c.sparseSeconds * 1000, c.denseImagesPerSecond, c.sparseImagesPerSecond,
                                     c.speedUp, c.idealSpeedUp, denseBytes, sparseBytes))
                    }
                }
                if !json && sparsity >= 0.9 {
                    let profile = SparseLinearProfile.measure(network: network, masks: masks)
                    for line in profile.layers.map(\.description) + (profile.layers.isEmpty ? [] : [profile.summary]) {
                        print("  \(model) \(Int(sparsity * 100))% " + line)
                    }
                    for batch in batches {
                        for line in SparseConvolutionProfile.measure(network: network, masks: masks, batch: batch) {
                            print("  \(model) \(Int(sparsity * 100))% " + line.description)
                        }
                    }
                }
            }
        }
    }

    /// Prunes every prunable weight of `network` to `sparsity` by magnitude, layerwise
    /// and one-shot, and applies the mask; returns its tensors (none at sparsity 0).
    static func prune(_ network: Network, to sparsity: Double) throws -> [String: Tensor] {
        guard sparsity > 0 else { return [:] }
        var mask = Mask(allOnesFor: network)
        let weights = Dictionary(uniqueKeysWithValues: mask.names.map { ($0, network.parameter(named: $0)!.value) })
        mask = Pruner.prune(weights: weights, mask: mask, plan: PruningPlan(targetSparsity: sparsity, oneShot: true))
        mask.apply(to: network)
        return mask.tensors
    }

    /// Timed rounds per path: 3 when one dense pass takes over 50 ms, else 7.
    static func repeats(_ network: Network, batch: Int) -> Int {
        let input = Tensor(shape: [batch] + network.architecture.inputShape, repeating: 0.5)
        let once = bestSecondsPerCall(repeats: 1, minimumSeconds: 0) { _ = network.forward(input, mode: .evaluation) }
        return once > 0.05 ? 3 : 7
    }

    static func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
