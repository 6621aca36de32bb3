import Engine
import TestSupport
import XCTest

/// Sparse-aware retraining (`setSparsity(pattern:)` of Linear and Conv2D,
/// `SparseWeightPattern`) against the masked dense path it replaces: one layer's
/// forward and backward at several densities, batch sizes and work divisions on
/// every kernel build, and whole training steps of LeNet-300-100 and LeNet-5 with
/// SGD, Nesterov momentum and Adam.
final class SparseTrainingTests: XCTestCase {
    /// Sparse below any density, so the tests choose the path, not the crossover.
    static func alwaysSparse(_ variant: KernelVariant = .automatic) -> ComputeConfiguration {
        ComputeConfiguration(kernelPath: variant, sparseTrainingDensity: 1.01)
    }

    /// A 0/1 mask of `shape` keeping each entry with probability `density`.
    static func mask(_ shape: [Int], density: Double, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed, concern: .pruning)
        let mask = Tensor(shape: shape)
        for i in 0..<mask.count { mask[i] = generator.nextDouble() < density ? 1 : 0 }
        return mask
    }

    func assertClose(_ got: [Float], _ expected: [Float], relative: Float = 1e-5, _ message: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, message, file: file, line: line)
        let scale = max(expected.map(abs).max() ?? 0, 1)
        let worst = maxAbsoluteDifference(got, expected)
        XCTAssertLessThanOrEqual(worst, relative * scale, "\(message): worst difference \(worst)", file: file, line: line)
    }

    func testLinearForwardAndBackwardMatchTheMaskedDenseLayer() {
        for variant in KernelVariant.available {
            for density in [0.02, 0.056, 0.21, 0.51] {
                for batch in [1, 7, 60] {
                    let (inputs, outputs) = (50, 23)
                    let mask = Self.mask([outputs, inputs], density: density, seed: 3)
                    let dense = Linear(name: "d", inputFeatures: inputs, outputFeatures: outputs)
                    let sparse = Linear(name: "s", inputFeatures: inputs, outputFeatures: outputs)
                    sparse.configure(Self.alwaysSparse(variant))
                    let w = randomTensor([outputs, inputs], seed: 4), b = randomTensor([outputs], seed: 5)
                    for i in 0..<w.count { w[i] *= mask[i] }
                    for layer in [dense, sparse] {
                        layer.weight.value.copy(from: w)
                        layer.bias!.value.copy(from: b)
                    }
                    sparse.setSparsity(pattern: mask)
                    XCTAssertTrue(sparse.trainsSparsely)
                    XCTAssertEqual(sparse.weight.survivingIndices?.count, mask.nonZeroCount)
                    let x = randomTensor([batch, inputs], seed: 6), dy = randomTensor([batch, outputs], seed: 7)
                    let what = "\(variant) density \(density) batch \(batch)"
                    assertClose(sparse.forward(x, mode: .training).values, dense.forward(x, mode: .training).values, what + " y")
                    let dxSparse = sparse.backward(dy).values, dxDense = dense.backward(dy).values
                    assertClose(dxSparse, dxDense, what + " dx")
                    let dWDense = zip(dense.weight.gradient.values, mask.values).map { $0 * $1 }
                    assertClose(sparse.weight.gradient.values, dWDense, what + " dW")
                    for i in 0..<mask.count where mask[i] == 0 { XCTAssertEqual(sparse.weight.gradient[i], 0, what) }
                    XCTAssertEqual(sparse.bias!.gradient.values, dense.bias!.gradient.values, what + " db")
                }
            }
        }
    }

    /// Conv2D through the sparse kernels against the masked dense layer, strided and
    /// "same", one image per group, grouped images, and the batch split among workers.
    func testConv2DForwardAndBackwardMatchTheMaskedDenseLayer() {
        for variant in KernelVariant.available {
            for density in [0.05, 0.21, 0.51] {
                for (stride, padding, budget, threshold, threads) in [(1, 1, 1, Int.max, 1), (2, 1, 1 << 20, Int.max, 1),
                                                                      (1, 0, 200, 0, 2)] {
                    let mask = Self.mask([6, 3, 3, 3], density: density, seed: 31)
                    let w = randomTensor([6, 3, 3, 3], seed: 32), b = randomTensor([6], seed: 33)
                    for i in 0..<w.count { w[i] *= mask[i] }
                    var layers: [Conv2D] = []
                    for sparse in [false, true] {
                        let conv = Conv2D(name: "c", inChannels: 3, outChannels: 6, kernelSize: 3, stride: stride, padding: padding)
                        conv.configure(ComputeConfiguration(threads: threads, convolutionColumnBudget: budget,
                                                            convolutionParallelThreshold: threshold, kernelPath: variant,
                                                            sparseTrainingDensity: 1.01))
                        conv.weight.value.copy(from: w)
                        conv.bias!.value.copy(from: b)
                        if sparse { conv.setSparsity(pattern: mask) }
                        layers.append(conv)
                    }
                    XCTAssertTrue(layers[1].trainsSparsely)
                    let x = randomTensor([5, 3, 7, 7], seed: 34)
                    let what = "\(variant) density \(density) stride \(stride) threads \(threads)"
                    let y = layers.map { $0.forward(x, mode: .training).values }
                    assertClose(y[1], y[0], what + " y")
                    let dy = randomTensor(layers[0].forward(x, mode: .training).shape, seed: 35)
                    _ = layers[1].forward(x, mode: .training)
                    let dx = layers.map { $0.backward(dy).values }
                    assertClose(dx[1], dx[0], what + " dx")
                    let dWDense = zip(layers[0].weight.gradient.values, mask.values).map { $0 * $1 }
                    assertClose(layers[1].weight.gradient.values, dWDense, what + " dW")
                    assertClose(layers[1].bias!.gradient.values, layers[0].bias!.gradient.values, what + " db")
                }
            }
        }
    }

    func testAboveTheCrossoverTheLayerStaysDense() {
        let layer = Linear(name: "fc", inputFeatures: 10, outputFeatures: 4)
        layer.configure(ComputeConfiguration(sparseTrainingDensity: 0.3))
        layer.setSparsity(pattern: Self.mask([4, 10], density: 0.6, seed: 1))
        XCTAssertFalse(layer.trainsSparsely)
        XCTAssertNil(layer.weight.survivingIndices)
        layer.setSparsity(pattern: Self.mask([4, 10], density: 0.1, seed: 1))
        XCTAssertTrue(layer.trainsSparsely)
        layer.configure(ComputeConfiguration(sparseTrainingDensity: 0))   // re-decided with the new configuration
        XCTAssertFalse(layer.trainsSparsely)
        layer.configure(ComputeConfiguration(sparseTrainingDensity: 0.3))
        layer.setSparsity(pattern: nil)
        XCTAssertFalse(layer.trainsSparsely)
    }

    /// The masked dense path as the Pruning module runs it (MaskEnforcer): gradients
    /// masked after backward, weights and optimizer state after each step.
    private final class MaskHook: TrainingHook {
        let masks: [String: Tensor]
        init(_ masks: [String: Tensor]) { self.masks = masks }
        func multiply(_ tensor: Tensor, _ mask: Tensor) { for i in 0..<tensor.count { tensor[i] *= mask[i] } }
        func afterBackward(_ network: Network) {
            for (name, mask) in masks { multiply(network.parameter(named: name)!.gradient, mask) }
        }
        func afterStep(_ network: Network, optimizer: Optimizer) {
            for (name, mask) in masks {
                multiply(network.parameter(named: name)!.value, mask)
                for (_, slot) in optimizer.state(for: name) { multiply(slot, mask) }
            }
        }
    }

    /// Four SGD, Nesterov and Adam steps of LeNet-300-100 (every layer pruned to 21%
    /// and to 3.6% of the weights) and of LeNet-5 (to 10%, its convolutions too): the
    /// sparse network's weights follow the masked dense network's to float
    /// tolerance, and its pruned weights stay exactly 0.
    func testWholeTrainingStepsMatchTheMaskedDensePath() throws {
        let data = SyntheticDataset.make(count: 240, classes: 10, shape: [1, 28, 28], seed: 9)
        let optimizers: [(String, () -> Optimizer, Float)] = [
            ("sgd", { SGD() }, 0.05), ("nesterov", { SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-4) }, 0.02),
            ("adam", { Adam(weightDecay: 1e-4) }, 1e-3),
        ]
        // LeNet-5 learns slowly on this data: ten times the rate, so its steps move the weights as far.
        for (model, density, rateScale) in [("lenet-300-100", 0.21, Float(1)), ("lenet-300-100", 0.036, 1), ("lenet-5", 0.1, 10)] {
            for (name, makeOptimizer, baseRate) in optimizers {
                let rate = baseRate * rateScale
                var networks: [Network] = []
                var masks: [String: Tensor] = [:]
                for sparse in [false, true] {
                    let network = try ModelZoo.build(Architecture(model: model))
                    network.initialize(seed: 1)
                    if masks.isEmpty {
                        for (index, weight) in network.prunableParameterNames.enumerated() {
                            masks[weight] = Self.mask(network.parameter(named: weight)!.value.shape, density: density,
                                                      seed: 20 + UInt64(index))
                        }
                    }
                    for (weight, mask) in masks {
                        let value = network.parameter(named: weight)!.value
                        for i in 0..<value.count { value[i] *= mask[i] }
                    }
                    let trainer = Trainer(network: network, optimizer: makeOptimizer(), schedule: .constant(base: rate),
                                          trainingSet: data, batchSize: 30, dataSeed: 0)
                    trainer.hooks = [MaskHook(masks)]
                    if sparse {
                        network.configuration = Self.alwaysSparse()
                        network.setSparsity(patterns: masks)
                        for case let linear as Linear in network.layers { XCTAssertTrue(linear.trainsSparsely) }
                        for case let conv as Conv2D in network.layers { XCTAssertTrue(conv.trainsSparsely) }
                    }
                    let initial = network.stateDictionary()
                    trainer.loader.startEpoch(seed: 0, epoch: 0)
                    for step in 0..<4 { trainer.trainStep(batch: step % trainer.loader.batchesPerEpoch, learningRate: rate) }
                    // The steps moved the weights far beyond the tolerance below.
                    let moved = network.prunableParameterNames.map {
                        maxAbsoluteDifference(network.parameter(named: $0)!.value.values, initial[$0]!.values)
                    }.max()!
                    XCTAssertGreaterThan(moved, 1e-3, "\(model) \(name)")
                    networks.append(network)
                }
                for parameter in networks[0].parameters {
                    let twin = networks[1].parameter(named: parameter.name)!
                    assertClose(twin.value.values, parameter.value.values, relative: 1e-4,
                                "\(model) \(name) density \(density) \(parameter.name)")
                    if let mask = masks[parameter.name] {
                        for i in 0..<mask.count where mask[i] == 0 { XCTAssertEqual(twin.value[i], 0) }
                    }
                }
            }
        }
    }
}
