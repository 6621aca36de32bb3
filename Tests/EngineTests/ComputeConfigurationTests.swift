import Engine
import TestSupport
import XCTest

/// `ComputeConfiguration`: built from the environment with one-line errors, carried
/// by a network to every layer (residual blocks' parts too), and deciding threads.
final class ComputeConfigurationTests: XCTestCase {
    func testEnvironmentOverridesTheDefaults() throws {
        let configuration = try ComputeConfiguration(environment: [
            "REWIND_THREADS": "3", "REWIND_GEMM_THRESHOLD": "0", "REWIND_SPARSE_THRESHOLD": "17",
            "REWIND_CONV_COLUMNS": "4096", "REWIND_CONV_PARALLEL": "5", "REWIND_KERNELS": "portable", "HOME": "/x",
        ])
        XCTAssertEqual(configuration, ComputeConfiguration(threads: 3, gemmThreshold: 0, sparseThreshold: 17,
                                                           convolutionColumnBudget: 4096, convolutionParallelThreshold: 5,
                                                           kernelPath: .portable))
        XCTAssertEqual(try ComputeConfiguration(environment: [:]), .default)
        XCTAssertEqual(ComputeConfiguration.default.gemmThreshold, 400_000)
        XCTAssertEqual(ComputeConfiguration.default.sparseThreshold, 4_000_000)
    }

    func testBadValuesNameTheVariable() {
        for (name, value, expected) in [("REWIND_THREADS", "0", "an integer >= 1"), ("REWIND_THREADS", "two", "an integer >= 1"),
                                        ("REWIND_GEMM_THRESHOLD", "-1", "an integer >= 0"),
                                        ("REWIND_KERNELS", "sse9", "automatic, portable, avx2+fma, avx512")] {
            XCTAssertThrowsError(try ComputeConfiguration(environment: [name: value])) { error in
                XCTAssertEqual((error as? ComputeConfigurationError)?.description,
                               "environment variable \(name): expected \(expected), got '\(value)'")
            }
        }
    }

    func testThreadChoices() {
        let configuration = ComputeConfiguration(threads: 2, gemmThreshold: 100, sparseThreshold: 1000)
        XCTAssertEqual(configuration.gemmThreads(forMultiplyAdds: 99), 1)
        XCTAssertEqual(configuration.gemmThreads(forMultiplyAdds: 100), 2)
        XCTAssertEqual(configuration.sparseThreads(multiplyAdds: 1000, columns: 128), 2)
        XCTAssertEqual(configuration.sparseThreads(multiplyAdds: 1000, columns: 127), 1)   // under a 64-column panel each
        XCTAssertEqual(configuration.sparseThreads(multiplyAdds: 999, columns: 1024), 1)
        XCTAssertEqual(configuration.singleThreaded.threads, 1)
        XCTAssertEqual(ComputeConfiguration(threads: 0).threads, 1)
    }

    /// Setting a network's configuration reaches every layer, inside residual blocks too,
    /// and changes how the work is divided but not the result.
    func testNetworkPassesItsConfigurationToEveryLayer() throws {
        let network = try ModelZoo.build(Architecture(model: "resnet-20", inputShape: [3, 8, 8], classes: 10))
        network.initialize(seed: 1)
        let x = randomTensor([4, 3, 8, 8], seed: 2)
        let serial = network.forward(x, mode: .evaluation).values
        let split = ComputeConfiguration(threads: 2, gemmThreshold: 0, convolutionColumnBudget: 1, convolutionParallelThreshold: 0,
                                         poolingParallelThreshold: 0, batchNormParallelThreshold: 0)
        network.configuration = split
        var seen = 0
        func check(_ layer: Layer) {
            if let conv = layer as? Conv2D { XCTAssertEqual(conv.configuration, split); seen += 1 }
            if let norm = layer as? BatchNorm2D { XCTAssertEqual(norm.configuration, split); seen += 1 }
            if let linear = layer as? Linear { XCTAssertEqual(linear.configuration, split); seen += 1 }
            if let block = layer as? ResidualBlock {
                for part in [block.conv1, block.bn1, block.conv2, block.bn2] as [Layer] { check(part) }
                if let shortcut = block.shortcut { check(shortcut.conv); check(shortcut.norm) }
            }
        }
        for layer in network.layers { check(layer) }
        // One per Conv2D, Linear (a weight each) and BatchNorm2D (a scale each): 21 + 1 + 21 in ResNet-20.
        XCTAssertEqual(seen, network.parameters.filter { $0.role == .weight || $0.role == .normScale }.count)
        XCTAssertEqual(seen, 43)
        let parallel = network.forward(x, mode: .evaluation).values
        XCTAssertLessThan(maxAbsoluteDifference(parallel, serial), 1e-4)
    }
}
