@testable import Checkpoint
import Engine
import TestSupport
import XCTest

/// The sparse export's size falls with density: LeNet-300-100 (784-300-100-10),
/// Glorot-initialised, random masks at 50-98% sparsity on its three weights.
final class SparseSizeTests: XCTestCase {
    /// Sparsities measured, as in the pruning papers' plots.
    static let sparsities = [0.5, 0.8, 0.9, 0.95, 0.98]

    func testSparseFileShrinksWithDensityAndIsAtMost8PercentOfDenseAt95() throws {
        let directory = TemporaryDirectory()
        let architecture = Architecture(model: "lenet-300-100")
        let network = try ModelZoo.build(architecture)
        var rows: [(sparsity: Double, dense: Int, sparse: Int)] = []
        for (level, sparsity) in Self.sparsities.enumerated() {
            network.initialize(seed: 11)
            var masks: [String: Tensor] = [:]
            for name in network.prunableParameterNames {
                let weight = network.parameter(named: name)!.value
                masks[name] = randomMask(weight.shape, density: 1 - sparsity, seed: UInt64(100 * level) + UInt64(name.count))
                applyMask(masks[name]!, to: weight)
            }
            let contents = CheckpointContents(network: network, masks: masks, step: 1000, epoch: 20, seed: 11)
            let densePath = directory.file("dense-\(level).h5"), sparsePath = directory.file("sparse-\(level).h5")
            try CheckpointFile.write(contents, to: densePath, format: .dense)
            try CheckpointFile.write(contents, to: sparsePath, format: .sparse)
            rows.append((sparsity, try fileSize(densePath), try fileSize(sparsePath)))
            if sparsity == 0.95 { assertEqualContents(contents, try CheckpointFile.read(sparsePath)) }
        }
        var table = "sparsity  dense bytes  sparse bytes  sparse/dense\n"
        for row in rows {
            table += String(format: "%7.0f%%  %11d  %12d  %11.2f%%\n", 100 * row.sparsity, row.dense, row.sparse,
                            100 * Double(row.sparse) / Double(row.dense))
        }
        print(table)
        for (smaller, larger) in zip(rows.dropFirst(), rows) {
            XCTAssertLessThan(smaller.sparse, larger.sparse, "sparse size falls with density\n\(table)")
        }
        let at95 = rows.first { $0.sparsity == 0.95 }!
        XCTAssertLessThanOrEqual(Double(at95.sparse), 0.08 * Double(at95.dense), "target at 95% sparsity\n\(table)")
    }

    /// The optimizer state of pruned weights is exactly zero (gradients, momentum and
    /// Adam moments are masked), so the sparse export stores only its values at the
    /// weights' CSR positions: with Adam's two slots the export at 90% sparsity is as
    /// small, relative to the dense file, as without optimizer state, and reads back equal.
    func testOptimizerStateShrinksWithTheWeights() throws {
        let directory = TemporaryDirectory()
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100"))
        network.initialize(seed: 5)
        var masks: [String: Tensor] = [:]
        for name in network.prunableParameterNames {
            let weight = network.parameter(named: name)!.value
            masks[name] = randomMask(weight.shape, density: 0.1, seed: UInt64(name.count))
            applyMask(masks[name]!, to: weight)
        }
        let adam = Adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0)
        for step in 0..<2 {
            for (index, parameter) in network.parameters.enumerated() {
                parameter.gradient.copy(from: randomTensor(parameter.value.shape, seed: UInt64(10 * step + index), scale: 0.01))
                if let mask = masks[parameter.name] { applyMask(mask, to: parameter.gradient) }
            }
            adam.step(network.parameters, learningRate: 0.001)
        }
        let withState = CheckpointContents(network: network, optimizer: adam, masks: masks, step: 2, epoch: 1, seed: 5)
        var without = withState
        without.optimizer = nil
        var sizes: [String: Int] = [:]
        for (label, contents) in [("with", withState), ("without", without)] {
            for format in [CheckpointFormat.dense, .sparse] {
                let path = directory.file("\(label)-\(format).h5")
                try CheckpointFile.write(contents, to: path, format: format)
                sizes["\(label)-\(format)"] = try fileSize(path)
            }
        }
        assertEqualContents(withState, try CheckpointFile.read(directory.file("with-sparse.h5")))
        let ratioWith = Double(sizes["with-sparse"]!) / Double(sizes["with-dense"]!)
        let ratioWithout = Double(sizes["without-sparse"]!) / Double(sizes["without-dense"]!)
        print(String(format: "90%% sparse, Adam: sparse/dense %.2f%% with optimizer state, %.2f%% without (%@)",
                     100 * ratioWith, 100 * ratioWithout, "\(sizes.sorted { $0.key < $1.key })"))
        XCTAssertLessThan(ratioWith, 1.1 * ratioWithout, "\(sizes)")
        XCTAssertLessThan(Double(sizes["with-sparse"]!), 3.3 * Double(sizes["without-sparse"]!), "\(sizes)")
    }
}
