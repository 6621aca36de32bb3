import Engine
import TestSupport
import XCTest

/// The sparse convolution gives the dense Conv2D's output, alone and inside pruned
/// LeNet-5 and Conv-2 networks run through `SparseInferenceNetwork`.
final class SparseConvolutionTests: XCTestCase {
    /// A Conv2D with N(0, 0.5²) weights and biases, each weight kept with probability
    /// `density` (the rest set to zero); returns the layer and its 0/1 mask.
    static func prunedConvolution(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int, padding: Int,
                                  density: Double, seed: UInt64) -> (Conv2D, Tensor) {
        let layer = Conv2D(name: "c", inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize,
                           stride: stride, padding: padding)
        var generator = SeededGenerator(seed: seed, concern: .initialization)
        for p in layer.parameters { Initializer.normal(sigma: 0.5).fill(p.value, using: &generator) }
        let weight = layer.weight.value, mask = Tensor(shape: weight.shape)
        for i in 0..<weight.count {
            mask[i] = generator.nextDouble() < density ? 1 : 0
            weight[i] *= mask[i]
        }
        return (layer, mask)
    }

    /// `got` equals `expected` to 1e-5 of the largest |expected| (float rounding of
    /// sums taken in another order).
    func assertClose(_ got: Tensor, _ expected: Tensor, _ message: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.shape, expected.shape, message, file: file, line: line)
        let scale = max(expected.buffer.reduce(Float(0)) { max($0, abs($1)) }, 1)
        let difference = maxAbsoluteDifference(got.buffer, expected.buffer)
        XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "\(message): differs by \(difference) (scale \(scale))",
                                 file: file, line: line)
    }

    /// The dense layer's output, with ReLU applied when `relu`, copied.
    func denseOutput(_ layer: Conv2D, _ x: Tensor, relu: Bool) -> Tensor {
        let y = Tensor(copying: layer.forward(x, mode: .evaluation))
        if relu { for i in 0..<y.count { y[i] = max(y[i], 0) } }
        return y
    }

    func testMatchesDenseConvolutionOverShapesStridesPaddingsAndDensities() {
        var seed: UInt64 = 100
        for kernelSize in [1, 3, 5] {
            for stride in [1, 2] {
                for padding in [0, 1] {
                    for (inChannels, outChannels) in [(1, 4), (3, 8), (6, 5)] {
                        for density in [0, 0.1, 0.5, 1] {
                            seed += 1
                            let (layer, mask) = Self.prunedConvolution(
                                inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize,
                                stride: stride, padding: padding, density: density, seed: seed)
                            let relu = seed % 2 == 0
                            let lowerings: [SparseConvolution.Lowering] = stride == 1 ? [.columns, .shiftedWindows] : [.columns]
                            for lowering in lowerings {
                                let sparse = SparseConvolution(layer: layer, mask: mask, fusesReLU: relu, lowering: lowering)
                                XCTAssertEqual(sparse.density, Double(mask.nonZeroCount) / Double(mask.count))
                                for batch in [1, 3] {
                                    let x = randomTensor([batch, inChannels, 7, 9], seed: seed + 1000)
                                    let expected = denseOutput(layer, x, relu: relu)
                                    assertClose(sparse.forward(x), expected, "\(lowering) k \(kernelSize) s \(stride) p \(padding) "
                                                + "\(inChannels)->\(outChannels) density \(density) batch \(batch) relu \(relu)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func testBothKernelBuildsAndGroupedImagesAndEmptyRows() {
        // 16 images of a small convolution (P = 100) are lowered by im2col in groups
        // of 3 and a last group of 1 (the [O, G, P] -> [G, O, P] copy); output channel 2 has no stored weight (an empty CSR row:
        // the output is the bias, through ReLU); a stored 0 from the mask stays stored.
        let (layer, mask) = Self.prunedConvolution(inChannels: 3, outChannels: 6, kernelSize: 3, stride: 1,
                                                   padding: 1, density: 0.3, seed: 7)
        let weight = layer.weight.value, perChannel = weight.count / 6
        for i in (2 * perChannel)..<(3 * perChannel) { weight[i] = 0; mask[i] = 0 }
        if let kept = (0..<mask.count).first(where: { mask[$0] == 1 }) { weight[kept] = 0 }
        let x = randomTensor([16, 3, 10, 10], seed: 8)
        for variant in SparseGemmTests.variants {
            for (relu, lowering) in [(false, .columns), (true, .columns), (false, .shiftedWindows), (true, .shiftedWindows)]
                as [(Bool, SparseConvolution.Lowering)] {
                let sparse = SparseConvolution(layer: layer, mask: mask, fusesReLU: relu, lowering: lowering,
                                               configuration: SparseGemmTests.configuration(variant))
                XCTAssertEqual(sparse.matrix.rowOffsets[2], sparse.matrix.rowOffsets[3])
                let expected = denseOutput(layer, x, relu: relu)
                assertClose(sparse.forward(x), expected, "\(variant) \(lowering) relu \(relu)")
                // A second call (buffers reused) and other shapes give the same.
                assertClose(sparse.forward(x), expected, "\(variant) \(lowering) relu \(relu), second call")
                for shape in [[1, 3, 10, 10], [2, 3, 5, 12]] {
                    let other = randomTensor(shape, seed: 9)
                    assertClose(sparse.forward(other), denseOutput(layer, other, relu: relu), "\(variant) \(lowering) \(shape)")
                }
            }
        }
    }

    func testBatchSplitAmongWorkersMatchesDense() {
        // Threshold 0: every batch of two or more images is split among the workers
        // (each lowering its own share into its own scratch).
        let (layer, mask) = Self.prunedConvolution(inChannels: 4, outChannels: 8, kernelSize: 3, stride: 1,
                                                   padding: 1, density: 0.2, seed: 13)
        for lowering in [.columns, .shiftedWindows] as [SparseConvolution.Lowering] {
            let sparse = SparseConvolution(layer: layer, mask: mask, fusesReLU: true, lowering: lowering,
                                           configuration: ComputeConfiguration(threads: 2, sparseThreshold: 0))
            for batch in [1, 2, 7] {
                let x = randomTensor([batch, 4, 9, 9], seed: 14 + UInt64(batch))
                assertClose(sparse.forward(x), denseOutput(layer, x, relu: true), "\(lowering) batch \(batch), split")
            }
        }
    }

    func testLoweringMovingFewerFloatsIsChosen() {
        typealias Lowering = SparseConvolution.Lowering
        let conv2Conv1 = Conv2D(name: "a", inChannels: 1, outChannels: 64, kernelSize: 3, padding: 1)
        let conv2Conv2 = Conv2D(name: "b", inChannels: 64, outChannels: 64, kernelSize: 3, padding: 1)
        let lenetConv1 = Conv2D(name: "c", inChannels: 1, outChannels: 6, kernelSize: 5, padding: 2)
        let strided = Conv2D(name: "d", inChannels: 64, outChannels: 64, kernelSize: 3, stride: 2, padding: 1)
        XCTAssertEqual(Lowering.cheaper(for: conv2Conv1, height: 28, width: 28), .columns)
        XCTAssertEqual(Lowering.cheaper(for: conv2Conv2, height: 28, width: 28), .shiftedWindows)
        XCTAssertEqual(Lowering.cheaper(for: lenetConv1, height: 28, width: 28), .shiftedWindows)
        XCTAssertEqual(Lowering.cheaper(for: strided, height: 28, width: 28), .columns)
        let sparse = SparseConvolution(layer: conv2Conv2)
        XCTAssertNil(sparse.lowering)
        _ = sparse.forward(Tensor(shape: [1, 64, 6, 6]))
        XCTAssertEqual(sparse.lowering, .shiftedWindows)
        XCTAssertEqual(SparseConvolution(layer: conv2Conv2, lowering: .columns).lowering, .columns)
    }

    func testAllZeroLayerGivesTheBias() {
        let (layer, _) = Self.prunedConvolution(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1,
                                                density: 0, seed: 11)
        let sparse = SparseConvolution(layer: layer)
        XCTAssertEqual(sparse.matrix.nonZeroCount, 0)
        let x = randomTensor([2, 2, 5, 5], seed: 12)
        let y = sparse.forward(x)
        XCTAssertEqual(y.shape, [2, 3, 3, 3])
        for i in 0..<y.count { XCTAssertEqual(y[i], layer.bias!.value[(i / 9) % 3]) }
        assertClose(y, denseOutput(layer, x, relu: false), "all zero")
    }

    // MARK: Whole networks

    /// `model` on `inputShape` with random weights and biases, every prunable weight
    /// pruned by magnitude to `sparsity`; returns the network and its masks.
    static func prunedNetwork(_ model: String, inputShape: [Int], sparsity: Double,
                              seed: UInt64) throws -> (Network, [String: Tensor]) {
        let network = try ModelZoo.build(Architecture(model: model, inputShape: inputShape))
        network.initialize(seed: seed)
        for p in network.parameters where p.role == .bias {
            p.value.copy(from: randomTensor(p.value.shape, seed: seed + 7, scale: 0.1))
        }
        var masks: [String: Tensor] = [:]
        for name in network.prunableParameterNames {
            let weight = network.parameter(named: name)!.value
            SparseInferenceNetworkTests.magnitudePrune(weight, sparsity: sparsity)
            let mask = Tensor(shape: weight.shape)
            for i in 0..<weight.count { mask[i] = weight[i] != 0 ? 1 : 0 }
            masks[name] = mask
        }
        return (network, masks)
    }

    /// Same logits to 1e-4 of the largest |logit|, same predicted classes.
    func assertNetworkMatchesDense(_ sparse: SparseInferenceNetwork, _ network: Network, batch: Int, seed: UInt64,
                                   _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        let input = randomTensor([batch] + network.architecture.inputShape, seed: seed)
        let expected = Tensor(copying: network.forward(input, mode: .evaluation))
        let got = sparse.forward(input)
        XCTAssertEqual(got.shape, expected.shape, message, file: file, line: line)
        let scale = expected.buffer.reduce(Float(0)) { max($0, abs($1)) }
        let difference = maxAbsoluteDifference(got.buffer, expected.buffer)
        XCTAssertLessThanOrEqual(difference, 1e-4 * scale, "\(message) batch \(batch): logits differ by \(difference)",
                                 file: file, line: line)
        for row in 0..<batch {
            XCTAssertEqual(SparseInferenceNetworkTests.argmax(got, row: row),
                           SparseInferenceNetworkTests.argmax(expected, row: row), "\(message) batch \(batch) row \(row)",
                           file: file, line: line)
        }
    }

    func testPrunedLeNet5GivesTheDenseLogitsOnEveryPath() throws {
        for sparsity in [0.0, 0.5, 0.9, 0.98] {
            let (network, masks) = try Self.prunedNetwork("lenet-5", inputShape: [1, 28, 28], sparsity: sparsity, seed: 21)
            // nil: the measured defaults; 1.01: every layer sparse; 0: every layer dense.
            for crossover in [nil, 1.01, 0] as [Double?] {
                let sparse = SparseInferenceNetwork(network: network, crossoverDensity: crossover, masks: masks)
                for (batch, seed) in [(1, 30), (3, 31), (20, 32)] as [(Int, UInt64)] {
                    assertNetworkMatchesDense(sparse, network, batch: batch, seed: seed,
                                              "lenet-5 \(sparsity) crossover \(crossover.map { "\($0)" } ?? "default")")
                }
            }
        }
    }

    func testTinyConv2GivesTheDenseLogitsAndPlansEachLayer() throws {
        let (network, masks) = try Self.prunedNetwork("conv-2", inputShape: [1, 12, 12], sparsity: 0.9, seed: 41)
        let sparse = SparseInferenceNetwork(network: network, crossoverDensity: 1.01, masks: masks)
        XCTAssertEqual(sparse.convolutionLayers.map(\.name), ["conv1", "conv2"])
        XCTAssertEqual(sparse.convolutionLayers.map(\.shape), [[64, 1, 3, 3], [64, 64, 3, 3]])
        XCTAssertEqual(sparse.convolutionLayers.map(\.fusesReLU), [true, true])
        XCTAssertEqual(sparse.convolutionLayers.map(\.multiplyAddsPerExample), [64 * 9 * 144, 64 * 576 * 144])
        XCTAssertEqual(sparse.linearLayers.map(\.name), ["fc1", "fc2", "fc3"])
        for layer in sparse.convolutionLayers + sparse.linearLayers {
            XCTAssertEqual(layer.density, 0.1, accuracy: 0.02, layer.name)
        }
        XCTAssertEqual(sparse.multiplyAddDensity, 0.1, accuracy: 0.02)
        for name in ["conv1", "conv2", "fc1", "fc3"] { XCTAssertEqual(sparse.kernel(for: name, batch: 4), .sparse, name) }
        XCTAssertEqual(SparseInferenceNetwork(network: network, crossoverDensity: 0).kernel(for: "conv2", batch: 4), .dense)
        for (batch, seed) in [(1, 50), (5, 51)] as [(Int, UInt64)] {
            assertNetworkMatchesDense(sparse, network, batch: batch, seed: seed, "conv-2")
        }
        // conv1 and fc2 dense (unpruned), the rest sparse: the layout changes at
        // other places (a dense conv before a sparse one, a dense Linear between
        // sparse ones).
        network.parameter(named: "conv1.weight")!.value.copy(from: randomTensor([64, 1, 3, 3], seed: 52, scale: 0.3))
        network.parameter(named: "fc2.weight")!.value.copy(from: randomTensor([256, 256], seed: 53, scale: 0.05))
        var partial = masks
        partial["conv1.weight"] = nil
        partial["fc2.weight"] = nil
        let mixed = SparseInferenceNetwork(network: network, crossoverDensity: 0.5, masks: partial)
        XCTAssertEqual(["conv1", "conv2", "fc1", "fc2", "fc3"].map { mixed.kernel(for: $0, batch: 2) },
                       [.dense, .sparse, .sparse, .dense, .sparse])
        for (batch, seed) in [(1, 54), (3, 55)] as [(Int, UInt64)] {
            assertNetworkMatchesDense(mixed, network, batch: batch, seed: seed, "conv-2, conv1 and fc2 dense")
        }
    }

    func testSparseEvaluationAccuracyEqualsDense() throws {
        let (network, masks) = try Self.prunedNetwork("lenet-5", inputShape: [1, 28, 28], sparsity: 0.95, seed: 61)
        let data = SyntheticDataset.make(count: 150, classes: 10, shape: [1, 28, 28], seed: 62)
        let sparse = SparseInferenceNetwork(network: network, crossoverDensity: 1.01, masks: masks)
        let dense = evaluate(network, on: data, batchSize: 64)
        let viaSparse = evaluate(on: data, batchSize: 64) { sparse.forward($0) }
        XCTAssertEqual(viaSparse.accuracy, dense.accuracy)
        XCTAssertEqual(viaSparse.loss, dense.loss, accuracy: 1e-4 * max(1, abs(dense.loss)))
    }

    func testConvolutionCrossoverMeasurement() {
        let density = SparseCrossover.measureConvolution(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1,
                                                         height: 6, width: 6, batch: 2, repeats: 1)
        XCTAssertGreaterThanOrEqual(density, 0)
        XCTAssertLessThanOrEqual(density, 1)
    }
}
