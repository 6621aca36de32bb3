@testable import Checkpoint
import Engine
import TestSupport
import XCTest

/// Between live networks and optimizers and checkpoint contents: snapshots copy,
/// restores resume exactly, and bad combinations are refused without side effects.
final class CheckpointContentsNetworkTests: XCTestCase {
    /// One optimizer step with gradients drawn from `seed`.
    private func step(_ network: Network, _ optimizer: Optimizer, seed: UInt64) {
        for (index, parameter) in network.parameters.enumerated() {
            parameter.gradient.copy(from: randomTensor(parameter.value.shape, seed: seed &+ UInt64(index), scale: 0.1))
        }
        optimizer.step(network.parameters, learningRate: 0.05)
    }

    private func makeNetwork(seed: UInt64) throws -> Network {
        let network = try ModelZoo.build(tinyArchitecture)
        network.initialize(seed: seed)
        return network
    }

    func testSnapshotCopiesEveryTensor() throws {
        let network = try makeNetwork(seed: 1)
        let optimizer = SGD(momentum: 0.9)
        step(network, optimizer, seed: 5)
        let contents = CheckpointContents(network: network, optimizer: optimizer)
        let before = contents.parameters["fc1.weight"]!.values, momentum = contents.optimizer!.slots["momentum"]!["fc1.weight"]!.values
        step(network, optimizer, seed: 6)
        XCTAssertEqual(contents.parameters["fc1.weight"]!.values, before, "parameters copied")
        XCTAssertEqual(contents.optimizer!.slots["momentum"]!["fc1.weight"]!.values, momentum, "optimizer state copied")
        XCTAssertEqual(contents.optimizer?.hyperparameters, ["momentum": 0.9, "nesterov": 0, "weight_decay": 0],
                       "shortest decimals, not 0.8999999761581421")
    }

    /// Save after 2 steps, take a 3rd; restore the save into fresh objects and take
    /// the same 3rd step: identical bits, for SGD (momentum) and Adam (step count
    /// drives its bias correction).
    func testRestoreThroughAFileResumesBitForBit() throws {
        let directory = TemporaryDirectory()
        for makeOptimizer in [{ SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-3) as Optimizer },
                              { Adam(beta1: 0.8, weightDecay: 1e-4) as Optimizer }] {
            let network = try makeNetwork(seed: 2), optimizer = makeOptimizer()
            step(network, optimizer, seed: 10)
            step(network, optimizer, seed: 11)
            let path = directory.file("\(optimizer.kind).h5")
            try CheckpointFile.write(CheckpointContents(network: network, optimizer: optimizer, step: 2), to: path)
            step(network, optimizer, seed: 12)

            let saved = try CheckpointFile.read(path)
            let resumedNetwork = try makeNetwork(seed: 99), resumedOptimizer = makeOptimizer()
            try saved.restore(into: resumedNetwork, optimizer: resumedOptimizer)
            XCTAssertEqual(resumedOptimizer.stepCount, 2)
            step(resumedNetwork, resumedOptimizer, seed: 12)
            for (a, b) in zip(network.parameters, resumedNetwork.parameters) {
                assertBitIdentical(a.value.values, b.value.values, "\(optimizer.kind) \(a.name)")
            }
            // makeOptimizer rebuilds the same optimizer from the file alone.
            let rebuilt = try XCTUnwrap(try saved.makeOptimizer())
            let fromFile = try saved.makeNetwork()
            step(fromFile, rebuilt, seed: 12)
            for (a, b) in zip(network.parameters, fromFile.parameters) {
                assertBitIdentical(a.value.values, b.value.values, "rebuilt \(optimizer.kind) \(a.name)")
            }
        }
    }

    func testMakeNetworkCarriesTheNormalization() throws {
        let contents = try makeContents()
        let network = try contents.makeNetwork()
        XCTAssertEqual(network.normalization, contents.normalization)
        XCTAssertEqual(network.architecture, tinyArchitecture)
        assertEqualTensors(network.stateDictionary(), contents.parameters.merging(contents.buffers) { a, _ in a }, "state")
    }

    func testRestoreRefusesAnotherOptimizerKindAndChangesNothing() throws {
        let contents = try makeContents(optimizer: "sgd")
        let network = try makeNetwork(seed: 3), adam = Adam()
        let before = network.stateDictionary()
        XCTAssertThrowsError(try contents.restore(into: network, optimizer: adam)) { error in
            XCTAssertEqual("\(error)", "saved optimizer state is sgd, cannot restore it into adam")
        }
        assertEqualTensors(network.stateDictionary(), before, "network untouched")
    }

    func testRestoreRefusesAnotherShapeAndChangesNothing() throws {
        let contents = try makeContents()
        let wider = try ModelZoo.build(Architecture(model: "lenet-300-100", inputShape: [1, 5, 5], classes: 3))
        let before = wider.stateDictionary()
        XCTAssertThrowsError(try contents.restore(into: wider)) { error in
            XCTAssertEqual(error as? EngineError,
                           .shapeMismatch(name: "fc1.weight", expected: [300, 25], found: [300, 16]))
        }
        assertEqualTensors(wider.stateDictionary(), before, "network untouched")
    }

    func testRestoreWithoutSavedStateResetsTheOptimizer() throws {
        var contents = try makeContents()
        contents.optimizer = nil
        let network = try makeNetwork(seed: 4), optimizer = SGD(momentum: 0.9)
        step(network, optimizer, seed: 1)
        try contents.restore(into: network, optimizer: optimizer)
        XCTAssertEqual(optimizer.stepCount, 0)
        XCTAssertEqual(optimizer.namesWithState, [])
        XCTAssertNil(try contents.makeOptimizer())
    }

    func testMakeOptimizerRefusesIncompleteOrInconsistentSnapshots() {
        let cases: [(OptimizerSnapshot, String)] = [
            (OptimizerSnapshot(kind: "rmsprop", stepCount: 0, hyperparameters: [:], slots: [:]),
             "optimizer kind 'rmsprop' is not one Rewind can build (sgd, adam)"),
            (OptimizerSnapshot(kind: "sgd", stepCount: 0, hyperparameters: ["momentum": 0.9], slots: [:]),
             "sgd hyperparameters are [\"momentum\"], expected [\"momentum\", \"nesterov\", \"weight_decay\"]"),
            (OptimizerSnapshot(kind: "sgd", stepCount: 0, hyperparameters: ["momentum": 0, "nesterov": 1, "weight_decay": 0],
                               slots: [:]),
             "sgd nesterov must be 0, or 1 with momentum > 0 (got 1.0, momentum 0.0)"),
            (OptimizerSnapshot(kind: "adam", stepCount: 3,
                               hyperparameters: ["beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0],
                               slots: ["exp_avg": ["fc1.bias": Tensor(shape: [300])]]),
             "adam state of 'fc1.bias' has slots [\"exp_avg\"], expected [\"exp_avg\", \"exp_avg_sq\"]"),
        ]
        for (snapshot, message) in cases {
            XCTAssertThrowsError(try snapshot.makeOptimizer()) { error in XCTAssertEqual("\(error)", message) }
        }
    }
}
