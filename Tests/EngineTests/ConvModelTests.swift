import Engine
import TestSupport
import XCTest

/// LeNet-5, Conv-2/4/6 and ResNet-20: registered by name, parameters and buffers
/// named and shaped as PyTorch names them, paper defaults, and a forward+backward
/// pass on a tiny batch.
final class ConvModelTests: XCTestCase {
    func testModelsAreRegistered() {
        for name in ["lenet-5", "conv-2", "conv-4", "conv-6", "resnet-20", "resnet-56", "resnet-110"] {
            XCTAssertTrue(ModelZoo.names.contains(name), name)
        }
    }

    func testParameterNamesAndShapesMatchPyTorch() throws {
        for reference in PyTorchReference.models {
            let label = "\(reference.model) \(reference.inputShape)"
            let network = try ModelZoo.build(Architecture(model: reference.model, inputShape: reference.inputShape))
            XCTAssertEqual(network.parameters.map(\.name), reference.parameters.map(\.0), label)
            XCTAssertEqual(network.parameters.map(\.value.shape), reference.parameters.map(\.1), label)
            XCTAssertEqual(network.buffers.map(\.name), reference.buffers.map(\.0), label)
            XCTAssertEqual(network.buffers.map(\.value.shape), reference.buffers.map(\.1), label)
            XCTAssertEqual(network.parameterCount, reference.parameterCount, label)
        }
    }

    func testPrunableAndOutputLayers() throws {
        let resnet = try ModelZoo.build(Architecture(model: "resnet-20", inputShape: [3, 32, 32]))
        XCTAssertEqual(resnet.outputWeightName, "fc.weight")
        // every conv (19 + 2 shortcut projections) and fc; no BN parameter
        XCTAssertEqual(resnet.prunableParameterNames.count, 22)
        XCTAssertFalse(resnet.prunableParameterNames.contains { $0.contains("bn") || $0.hasSuffix("shortcut.1.weight") })
        XCTAssertTrue(resnet.prunableParameterNames.contains("layer3.0.shortcut.0.weight"))
        let conv6 = try ModelZoo.build(Architecture(model: "conv-6", inputShape: [3, 32, 32]))
        XCTAssertEqual(conv6.prunableParameterNames, (1...6).map { "conv\($0).weight" } + ["fc1.weight", "fc2.weight", "fc3.weight"])
        XCTAssertEqual(conv6.outputWeightName, "fc3.weight")
    }

    /// Frankle & Carbin 2019: conv 10% (Conv-2, Conv-4) or 15% (Conv-6), fc 20%, output 10%,
    /// as absolute per-level fractions by parameter name.
    func testPaperPruningRates() throws {
        func rates(_ model: String) throws -> [String: Double] {
            try ModelZoo.build(Architecture(model: model, inputShape: [3, 32, 32])).paperPruningRates
        }
        XCTAssertEqual(try rates("conv-2"), ["conv1.weight": 0.1, "conv2.weight": 0.1,
                                             "fc1.weight": 0.2, "fc2.weight": 0.2, "fc3.weight": 0.1])
        let conv4 = try rates("conv-4")
        XCTAssertEqual(conv4.count, 7)
        XCTAssertEqual(conv4["conv4.weight"], 0.1)
        XCTAssertEqual(conv4["fc3.weight"], 0.1)
        let conv6 = try rates("conv-6")
        XCTAssertEqual(conv6.count, 9)
        XCTAssertEqual(conv6["conv1.weight"], 0.15)
        XCTAssertEqual(conv6["conv6.weight"], 0.15)
        XCTAssertEqual(conv6["fc1.weight"], 0.2)
        XCTAssertEqual(conv6["fc3.weight"], 0.1)
        XCTAssertEqual(try rates("lenet-5"), [:])
        XCTAssertEqual(try rates("resnet-20"), [:])
        let lenet300 = try ModelZoo.build(Architecture(model: "lenet-300-100")).paperPruningRates
        XCTAssertEqual(lenet300, ["fc1.weight": 0.2, "fc2.weight": 0.2, "fc3.weight": 0.1])
    }

    /// Initialisation: Glorot normal (LeNet-5, Conv-N) or Kaiming normal (ResNet) weights
    /// with the right spread, zero biases, BN scale 1 and shift 0, running var 1.
    func testInitialisation() throws {
        let conv2 = try ModelZoo.build(Architecture(model: "conv-2", inputShape: [1, 8, 8]))   // small fc1: quick
        conv2.initialize(seed: 3)
        let weight = conv2.parameter(named: "conv2.weight")!.value        // [64, 64, 3, 3]
        let glorot = (2.0 / Double(64 * 9 + 64 * 9)).squareRoot()
        XCTAssertEqual((weight.sumOfSquares() / Double(weight.count)).squareRoot(), glorot, accuracy: 0.03 * glorot)
        XCTAssertEqual(conv2.parameter(named: "conv1.bias")!.value.nonZeroCount, 0)

        let resnet = try ModelZoo.build(Architecture(model: "resnet-20", inputShape: [3, 32, 32]))
        resnet.initialize(seed: 3)
        let kernel = resnet.parameter(named: "layer3.1.conv1.weight")!.value   // [64, 64, 3, 3]
        let kaiming = (2.0 / Double(64 * 9)).squareRoot()
        XCTAssertEqual((kernel.sumOfSquares() / Double(kernel.count)).squareRoot(), kaiming, accuracy: 0.03 * kaiming)
        XCTAssertEqual(resnet.parameter(named: "layer2.0.bn1.weight")!.value.values, [Float](repeating: 1, count: 32))
        XCTAssertEqual(resnet.parameter(named: "layer2.0.bn1.bias")!.value.nonZeroCount, 0)
        XCTAssertEqual(resnet.buffer(named: "layer2.0.shortcut.1.running_var")!.value.values, [Float](repeating: 1, count: 32))
        XCTAssertEqual(resnet.buffer(named: "bn1.running_mean")!.value.nonZeroCount, 0)
    }

    /// Forward and backward on a tiny batch: logits of the right shape, finite, and a
    /// non-zero gradient for every parameter.
    func testForwardAndBackwardOnTinyBatches() throws {
        // Small images keep the debug build quick; the full-size shapes are checked above.
        let cases: [(String, [Int], Int)] = [
            ("lenet-5", [1, 12, 12], 3), ("lenet-5", [3, 16, 16], 2),
            ("conv-2", [1, 8, 8], 2), ("conv-4", [3, 8, 8], 2), ("conv-6", [1, 8, 8], 2),
            ("resnet-20", [3, 32, 32], 2),
        ]
        for (model, shape, batch) in cases {
            let network = try ModelZoo.build(Architecture(model: model, inputShape: shape, classes: 10))
            network.initialize(seed: 1)
            let logits = network.forward(randomTensor([batch] + shape, seed: 2), mode: .training)
            XCTAssertEqual(logits.shape, [batch, 10], model)
            XCTAssertTrue(logits.isFinite, model)
            let loss = SoftmaxCrossEntropy()
            let labels = (0..<batch).map { Int32($0 % 10) }
            let value = labels.withUnsafeBufferPointer { loss.lossAndGradient(logits: logits, labels: $0.baseAddress!) }
            XCTAssertTrue(value.isFinite, model)
            network.zeroGradients()
            network.backward(loss.logitsGradient)
            for p in network.parameters {
                XCTAssertTrue(p.gradient.isFinite, "\(model) \(p.name)")
                XCTAssertNotEqual(p.gradient.nonZeroCount, 0, "\(model) \(p.name) has no gradient")
            }
            let evaluation = network.forward(randomTensor([batch] + shape, seed: 2), mode: .evaluation)
            XCTAssertTrue(evaluation.isFinite, model)
        }
    }

    /// A few Adam steps on a fixed tiny batch lower the loss (the pieces fit together).
    func testLeNet5LearnsATinyBatch() throws {
        let network = try ModelZoo.build(Architecture(model: "lenet-5", inputShape: [1, 12, 12], classes: 3))
        network.initialize(seed: 5)
        let data = SyntheticDataset.make(count: 12, classes: 3, shape: [1, 12, 12], noise: 0.3, seed: 2)
        let trainer = Trainer(network: network, optimizer: Adam(), schedule: .constant(base: 3e-3),
                              trainingSet: data, batchSize: 12, dataSeed: 1)
        let first = trainer.trainEpoch(0).trainLoss
        for epoch in 1..<15 { trainer.trainEpoch(epoch) }
        let last = trainer.trainEpoch(15).trainLoss
        XCTAssertLessThan(last, first * 0.5)
    }
}
