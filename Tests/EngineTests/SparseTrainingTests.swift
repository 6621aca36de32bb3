import Engine
import TestSupport
import XCTest

/// Sparse-aware retraining (`Linear.setSparsity(pattern:)`, `SparseLinearTraining`)
/// against the masked dense path it replaces: one layer's forward and backward at
/// several densities and batch sizes on every kernel build, and whole training
/// steps of LeNet-300-100 with SGD, Nesterov momentum and Adam.
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

    /// Six SGD, Nesterov and Adam steps of LeNet-300-100 with every layer pruned (at
    /// 21% and 3.6% of the weights): the sparse network's weights follow the masked
    /// dense network's to float tolerance, and its pruned weights stay exactly 0.
    func testWholeTrainingStepsMatchTheMaskedDensePath() throws {
        let data = SyntheticDataset.make(count: 240, classes: 10, shape: [1, 28, 28], seed: 9)
        let optimizers: [(String, () -> Optimizer, Float)] = [
            ("sgd", { SGD() }, 0.05), ("nesterov", { SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-4) }, 0.02),
            ("adam", { Adam(weightDecay: 1e-4) }, 1e-3),
        ]
        for density in [0.21, 0.036] {
            for (name, makeOptimizer, rate) in optimizers {
                var networks: [Network] = []
                var masks: [String: Tensor] = [:]
                for sparse in [false, true] {
                    let network = try ModelZoo.build(Architecture(model: "lenet-300-100"))
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
                                          trainingSet: data, batchSize: 60, dataSeed: 0)
                    trainer.hooks = [MaskHook(masks)]
                    if sparse {
                        network.configuration = Self.alwaysSparse()
                        network.setSparsity(patterns: masks)
                        for case let linear as Linear in network.layers { XCTAssertTrue(linear.trainsSparsely) }
                    }
                    let initial = network.stateDictionary()
                    trainer.loader.startEpoch(seed: 0, epoch: 0)
                    for step in 0..<6 { trainer.trainStep(batch: step % trainer.loader.batchesPerEpoch, learningRate: rate) }
                    // The steps moved the weights far beyond the tolerance below.
                    XCTAssertGreaterThan(maxAbsoluteDifference(network.parameter(named: "fc1.weight")!.value.values,
                                                               initial["fc1.weight"]!.values), 1e-3, name)
                    networks.append(network)
                }
                for parameter in networks[0].parameters {
                    let twin = networks[1].parameter(named: parameter.name)!
                    assertClose(twin.value.values, parameter.value.values, relative: 1e-4,
                                "\(name) density \(density) \(parameter.name)")
                    if let mask = masks[parameter.name] {
                        for i in 0..<mask.count where mask[i] == 0 { XCTAssertEqual(twin.value[i], 0) }
                    }
                }
            }
        }
    }
}
