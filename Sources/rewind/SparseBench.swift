import Checkpoint
import Engine
import Foundation
import Pruning

/// `rewind bench --sparse`: dense versus sparse inference of magnitude-pruned
/// networks at several sparsities — batch-1 latency, batch-256 throughput, and the
/// bytes of the dense checkpoint and of the sparse export.
enum SparseBench {
    static let sparsities: [Double] = [0, 0.5, 0.8, 0.9, 0.95, 0.98]
    static let batches = [1, 256]

    struct Line: Encodable {
        let model: String, sparsity: Double, path: String, batch: Int, latency_ms: Double, images_per_s: Double, bytes: Int
    }

    static func run(models: [String], json: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        if !json {
            print("model          sparsity  batch   dense ms   sparse ms   dense img/s  sparse img/s  speed-up  ideal  dense bytes  sparse bytes")
        }
        for model in models {
            let network = try ModelZoo.build(Architecture(model: model))
            network.initialize(seed: 0)
            let original = network.stateDictionary()
            for sparsity in sparsities {
                try network.load(stateDictionary: original)
                var mask = Mask(allOnesFor: network)
                if sparsity > 0 {
                    let weights = Dictionary(uniqueKeysWithValues: mask.names.map { ($0, network.parameter(named: $0)!.value) })
                    mask = Pruner.prune(weights: weights, mask: mask, plan: PruningPlan(targetSparsity: sparsity, oneShot: true))
                    mask.apply(to: network)
                }
                // Bytes: the dense checkpoint versus the sparse (CSR) export, without optimizer state.
                let contents = CheckpointContents(network: network, masks: sparsity > 0 ? mask.tensors : [:])
                let densePath = folder.appendingPathComponent("dense.h5").path, sparsePath = folder.appendingPathComponent("sparse.h5").path
                try CheckpointFile.write(contents, to: densePath, format: .dense)
                try CheckpointFile.write(contents, to: sparsePath, format: .sparse)
                let denseBytes = try fileSize(densePath), sparseBytes = try fileSize(sparsePath)
                let sparse = SparseInferenceNetwork(network: network, masks: sparsity > 0 ? mask.tensors : [:])
                for batch in batches {
                    let c = InferenceComparison.measure(network: network, batch: batch, sparse: sparse)
                    if json {
                        printJSONLine(Line(model: model, sparsity: sparsity, path: "dense", batch: batch, latency_ms: c.denseSeconds * 1000,
                                           images_per_s: c.denseImagesPerSecond.rounded(), bytes: denseBytes))
                        printJSONLine(Line(model: model, sparsity: sparsity, path: "sparse", batch: batch, latency_ms: c.sparseSeconds * 1000,
                                           images_per_s: c.sparseImagesPerSecond.rounded(), bytes: sparseBytes))
                    } else {
                        print(String(format: "%-14@ %7.0f%%  %5d  %9.4f  %10.4f  %12.0f  %12.0f  %7.2fx  %4.0fx  %11d  %12d", model, sparsity * 100,
                                     batch, c.denseSeconds * 1000, c.sparseSeconds * 1000, c.denseImagesPerSecond, c.sparseImagesPerSecond,
                                     c.speedUp, c.idealSpeedUp, denseBytes, sparseBytes))
                    }
                }
            }
        }
    }

    static func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
