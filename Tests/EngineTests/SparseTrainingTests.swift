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

    /// A store that records what layers ask it and how often they measure.
    final class RecordingChoices: SparseTrainingDecisions, @unchecked Sendable {
        let inner: SparseTrainingChoices
        var asked: [SparseTrainingKey] = []
        var measured: [SparseTrainingTiming] = []
        init(_ choices: [SparseTrainingChoice] = []) { inner = SparseTrainingChoices(choices) }
        func trainsSparsely(_ key: SparseTrainingKey, measure: () -> SparseTrainingTiming) -> Bool {
            asked.append(key)
            return inner.trainsSparsely(key) {
                let timing = measure()
                measured.append(timing)
                return timing
            }
        }
    }

    static func measured(_ store: SparseTrainingDecisions) -> ComputeConfiguration {
        ComputeConfiguration(measuredSparseTraining: MeasuredSparseTraining(store))
    }

    /// With a measuring configuration the path is undecided until the first training
    /// pass, which measures both paths once and stores the choice under the layer's
    /// key; later passes, and other layers in the same situation, read it.
    func testMeasuredChoiceIsMadeAtTheFirstTrainingPassAndReused() {
        let store = RecordingChoices()
        let mask = Self.mask([23, 50], density: 0.1, seed: 3)
        let layer = Linear(name: "fc", inputFeatures: 50, outputFeatures: 23)
        layer.configure(Self.measured(store))
        layer.setSparsity(pattern: mask)
        XCTAssertFalse(layer.trainsSparsely)
        XCTAssertNil(layer.weight.survivingIndices)
        let x = randomTensor([7, 50], seed: 6)
        _ = layer.forward(x, mode: .evaluation)
        XCTAssertTrue(store.asked.isEmpty, "evaluation does not decide")
        _ = layer.forward(x, mode: .training)
        let expected = SparseTrainingKey(kind: "linear", weightShape: [23, 50], inputShape: [50], batch: 7, inputGradient: true,
                                         densityPercent: SparseTrainingKey.densityPercent(stored: mask.nonZeroCount, count: mask.count))
        XCTAssertEqual(store.asked, [expected])
        XCTAssertEqual(store.measured.count, 1)
        let timing = store.measured[0]
        XCTAssertTrue(timing.dense > 0 && timing.sparse > 0 && timing.dense.isFinite && timing.sparse.isFinite)
        XCTAssertEqual(layer.trainsSparsely, timing.sparseIsFaster)
        XCTAssertEqual(layer.weight.survivingIndices != nil, timing.sparseIsFaster)
        _ = layer.forward(x, mode: .training)
        XCTAssertEqual(store.asked.count, 1, "decided once")
        let twin = Linear(name: "fc", inputFeatures: 50, outputFeatures: 23)
        twin.configure(Self.measured(store))
        twin.setSparsity(pattern: mask)
        _ = twin.forward(x, mode: .training)
        XCTAssertEqual(store.measured.count, 1, "the same situation is read, not measured again")
        XCTAssertEqual(twin.trainsSparsely, layer.trainsSparsely)
        XCTAssertEqual(SparseTrainingKey.densityPercent(stored: 36, count: 1000), 4)
        XCTAssertEqual(SparseTrainingKey.densityPercent(stored: 510, count: 1000), 51)
    }

    /// A stored choice decides the path without a measurement, whichever it says; the
    /// two paths then agree to float rounding, and the decision leaves the layer's
    /// gradients as they were on the pattern (a kept choice gives the same numbers as
    /// the fixed rule forcing that path).
    func testStoredChoiceDecidesThePathAndBothPathsAgree() {
        for convolution in [false, true] {
            let shape = convolution ? [6, 3, 3, 3] : [23, 50]
            let mask = Self.mask(shape, density: 0.3, seed: 11)
            let w = randomTensor(shape, seed: 12)
            for i in 0..<w.count { w[i] *= mask[i] }
            let x = randomTensor(convolution ? [4, 3, 7, 7] : [5, 50], seed: 13)
            let key = SparseTrainingKey(kind: convolution ? "convolution" : "linear", weightShape: shape,
                                        inputShape: Array(x.shape.dropFirst()), batch: x.shape[0], inputGradient: true,
                                        densityPercent: SparseTrainingKey.densityPercent(stored: mask.nonZeroCount, count: mask.count))
            func make(_ configuration: ComputeConfiguration) -> any Layer {
                let layer: any Layer = convolution ? Conv2D(name: "c", inChannels: 3, outChannels: 6, kernelSize: 3, padding: 1)
                                                   : Linear(name: "c", inputFeatures: 50, outputFeatures: 23)
                layer.configure(configuration)
                layer.parameters[0].value.copy(from: w)
                layer.parameters[0].gradient.fill(0.25)   // kept on the pattern through the decision
                if let conv = layer as? Conv2D { conv.setSparsity(pattern: mask) }
                if let linear = layer as? Linear { linear.setSparsity(pattern: mask) }
                return layer
            }
            var results: [[[Float]]] = []
            for sparse in [false, true] {
                let store = RecordingChoices([SparseTrainingChoice(key: key, timing: SparseTrainingTiming(dense: 1, sparse: sparse ? 0.5 : 2))])
                let layer = make(Self.measured(store))
                let forced = make(ComputeConfiguration(sparseTrainingDensity: sparse ? 1.01 : 0))
                let y = layer.forward(x, mode: .training).values
                XCTAssertEqual(store.asked, [key])
                XCTAssertTrue(store.measured.isEmpty, "a stored choice is not measured again")
                XCTAssertEqual((layer.parameters[0].survivingIndices != nil), sparse, "\(key)")
                for i in 0..<mask.count where mask[i] == 1 { XCTAssertEqual(layer.parameters[0].gradient[i], 0.25) }
                let dy = randomTensor(layer.forward(x, mode: .training).shape, seed: 14)
                let dx = layer.backward(dy).values
                XCTAssertEqual(y, forced.forward(x, mode: .training).values, "same path as the rule forcing it")
                XCTAssertEqual(dx, forced.backward(dy).values)
                XCTAssertEqual(layer.parameters[0].gradient.values.enumerated().filter { mask[$0.offset] == 1 }.map(\.element),
                               forced.parameters[0].gradient.values.enumerated().filter { mask[$0.offset] == 1 }.map(\.element))
                results.append([y, dx, zip(layer.parameters[0].gradient.values, mask.values).map { $0 * $1 }])
            }
            for (part, name) in ["y", "dx", "dW"].enumerated() {
                assertClose(results[1][part], results[0][part], "\(key) \(name): sparse against dense")
            }
        }
    }

    /// The timing passes of a measurement leave no trace: a layer that measured gives
    /// the same forward, backward and gradients, bit for bit, as one that read the
    /// same choice from the store.
    func testMeasuringLeavesTheLayerAsReadingTheChoice() {
        let mask = Self.mask([23, 50], density: 0.08, seed: 21)
        let w = randomTensor([23, 50], seed: 22), x = randomTensor([9, 50], seed: 23), dy = randomTensor([9, 23], seed: 24)
        for i in 0..<w.count { w[i] *= mask[i] }
        let store = RecordingChoices()
        var outputs: [[Float]] = []
        for _ in 0..<2 {
            let layer = Linear(name: "fc", inputFeatures: 50, outputFeatures: 23)
            layer.configure(Self.measured(store))
            layer.weight.value.copy(from: w)
            layer.setSparsity(pattern: mask)
            outputs.append(layer.forward(x, mode: .training).values + layer.backward(dy).values + layer.weight.gradient.values
                           + layer.bias!.gradient.values)
        }
        XCTAssertEqual(store.measured.count, 1)
        XCTAssertEqual(outputs[0], outputs[1])
    }

    /// `REWIND_SPARSE_TRAINING_DENSITY` replaces the measurement with its fixed rule.
    func testEnvironmentDensityTurnsMeasurementOff() throws {
        let base = Self.measured(SparseTrainingChoices())
        XCTAssertNotNil(try ComputeConfiguration(environment: [:], base: base).measuredSparseTraining)
        let fixed = try ComputeConfiguration(environment: ["REWIND_SPARSE_TRAINING_DENSITY": "0.5"], base: base)
        XCTAssertNil(fixed.measuredSparseTraining)
        XCTAssertEqual(fixed.sparseTrainingDensity, 0.5)
        let layer = Linear(name: "fc", inputFeatures: 10, outputFeatures: 4)
        layer.configure(fixed)
        layer.setSparsity(pattern: Self.mask([4, 10], density: 0.3, seed: 1))
        XCTAssertTrue(layer.trainsSparsely, "decided at once by the rule")
    }

    /// A sparsely trained weight's gradient is zero off its pattern from adoption on,
    /// so clearing only the surviving entries (`zeroGradients`) clears it all.
    func testZeroGradientsClearsASparseLayerEverywhere() throws {
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100"))
        network.configuration = Self.alwaysSparse()
        network.initialize(seed: 1)
        let weight = network.parameter(named: "fc2.weight")!
        weight.gradient.fill(1)
        let mask = Self.mask(weight.value.shape, density: 0.2, seed: 5)
        for i in 0..<mask.count { weight.value[i] *= mask[i] }
        network.setSparsity(patterns: ["fc2.weight": mask])
        XCTAssertNotNil(weight.survivingIndices)
        for i in 0..<mask.count { XCTAssertEqual(weight.gradient[i], mask[i], "zeroed off the pattern, kept on it") }
        for seed: UInt64 in [6, 7] {
            let logits = network.forward(randomTensor([4, 1, 28, 28], seed: seed), mode: .training)
            network.zeroGradients()
            network.backward(randomTensor(logits.shape, seed: seed + 10))
            for i in 0..<mask.count where mask[i] == 0 { XCTAssertEqual(weight.gradient[i], 0) }
            XCTAssertTrue(weight.gradient.values.contains { $0 != 0 })
        }
        network.zeroGradients()
        for p in network.parameters { XCTAssertTrue(p.gradient.values.allSatisfy { $0 == 0 }, p.name) }
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
