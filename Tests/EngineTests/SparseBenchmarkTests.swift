import Engine
import Foundation
import XCTest

/// The measurements behind `SparseInferenceNetwork`'s and `SparseCrossover`'s doc
/// comments, never asserted. Skipped unless `REWIND_SPARSE_BENCH=1`; meaningful
/// only in a release build:
///
///     REWIND_SPARSE_BENCH=1 swift test -c release --scratch-path .build-sparse --filter SparseBenchmarkTests
final class SparseBenchmarkTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["REWIND_SPARSE_BENCH"] == "1",
                          "set REWIND_SPARSE_BENCH=1 (release build) to measure")
    }

    /// LeNet-300-100, dense path against sparse path, batch 1 and 256, at each sparsity.
    func testLeNetDenseAgainstSparse() throws {
        print("| sparsity | batch | dense ms | dense img/s | sparse ms | sparse img/s | speed-up | ideal 1/density |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for sparsity in [0.0, 0.5, 0.8, 0.9, 0.95, 0.98] {
            let network = try SparseInferenceNetworkTests.prunedLeNet(sparsity: sparsity)
            let sparse = SparseInferenceNetwork(network: network)
            for batch in [1, 256] {
                let r = InferenceComparison.measure(network: network, batch: batch, sparse: sparse)
                print(String(format: "| %.0f%% | %d | %.4f | %.0f | %.4f | %.0f | %.2fx | %.1fx |", sparsity * 100, batch,
                             r.denseSeconds * 1e3, r.denseImagesPerSecond, r.sparseSeconds * 1e3,
                             r.sparseImagesPerSecond, r.speedUp, r.idealSpeedUp))
            }
        }
    }

    /// The crossover density of each LeNet-300-100 layer shape at several batch sizes.
    func testCrossoverDensities() {
        for batch in [1, 4, 16, 64, 256] {
            var line = "batch \(batch):"
            for (rows, columns) in [(300, 784), (100, 300), (10, 100)] {
                line += String(format: " [%d, %d] %.3f", rows, columns,
                               SparseCrossover.measure(rows: rows, columns: columns, batch: batch))
            }
            print(line)
        }
    }
}
