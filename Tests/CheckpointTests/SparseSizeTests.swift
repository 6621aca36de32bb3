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
}
