import Engine
import Pruning
import TestSupport
import XCTest

/// `MaskEnforcer` on layers that train through the masked dense products: zeroing
/// the pruned weights and optimizer state only after the first step gives, bit for
/// bit, what zeroing them after every step gives.
final class MaskEnforcerTests: XCTestCase {
    /// The enforcement as it was: gradients after backward, weights and every
    /// optimizer slot after every step.
    private final class EveryStepEnforcer: TrainingHook {
        let mask: Mask
        init(_ mask: Mask) { self.mask = mask }
        func afterBackward(_ network: Network) {
            for name in mask.names { mask.multiply(network.parameter(named: name)!.gradient, name) }
        }
        func afterStep(_ network: Network, optimizer: Optimizer) {
            for name in mask.names {
                mask.multiply(network.parameter(named: name)!.value, name)
                for (_, slot) in optimizer.state(for: name) { mask.multiply(slot, name) }
            }
        }
    }

    func testZeroingAfterTheFirstStepEqualsZeroingAfterEveryStep() throws {
        let experiment = try Experiment.tiny()
        let optimizers: [(String, () -> Optimizer)] = [
            ("sgd", { SGD() }), ("momentum + decay", { SGD(momentum: 0.9, weightDecay: 1e-3) }),
            ("nesterov", { SGD(momentum: 0.9, nesterov: true) }), ("adam + decay", { Adam(weightDecay: 1e-3) }),
        ]
        for (what, makeOptimizer) in optimizers {
            var runs: [[String: [UInt32]]] = []
            var pruned: Mask?
            for everyStep in [true, false] {
                let network = try experiment.makeNetwork()
                network.configuration = ComputeConfiguration(sparseTrainingDensity: 0)   // masked dense products
                network.initialize(seed: 3)
                var mask = Mask(allOnesFor: network)
                let weights = Dictionary(uniqueKeysWithValues: mask.names.map { ($0, network.parameter(named: $0)!.value) })
                mask = Pruner.prune(weights: weights, mask: mask, plan: PruningPlan(targetSparsity: 0.6, oneShot: true))
                pruned = mask
                // Weights left unmasked on purpose: the first step's zeroing must cover them.
                let optimizer = makeOptimizer()
                let trainer = Trainer(network: network, optimizer: optimizer, schedule: .constant(base: 0.05),
                                      trainingSet: experiment.data.train, batchSize: 16, dataSeed: 1)
                let enforcer = MaskEnforcer(mask: mask, network: network)
                trainer.hooks = [everyStep ? EveryStepEnforcer(mask) : enforcer]
                XCTAssertTrue(network.parameters.allSatisfy { $0.survivingIndices == nil }, "dense products")
                for epoch in 0..<2 { trainer.trainEpoch(epoch) }
                var bits: [String: [UInt32]] = [:]
                for p in network.parameters { bits[p.name] = p.value.values.map(\.bitPattern) }
                for name in optimizer.namesWithState {
                    for (slot, tensor) in optimizer.state(for: name) { bits["\(name)/\(slot)"] = tensor.values.map(\.bitPattern) }
                }
                runs.append(bits)
            }
            XCTAssertEqual(runs[0].keys.sorted(), runs[1].keys.sorted(), what)
            for (name, bits) in runs[0] { XCTAssertEqual(bits, runs[1][name], "\(what): \(name)") }
            // And the pruned weights are zero.
            let mask = try XCTUnwrap(pruned)
            for name in mask.names {
                let values = mask.values[name]!
                for (i, bit) in runs[1][name]!.enumerated() where values[i] == 0 {
                    XCTAssertEqual(Float(bitPattern: bit), 0, "\(what): \(name)[\(i)]")
                }
            }
        }
    }
}
