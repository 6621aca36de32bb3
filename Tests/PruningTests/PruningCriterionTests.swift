import Engine
import Pruning
import TestSupport
import XCTest

/// Invariants of the pruning criteria (open_lth's tests, and Frankle & Carbin's rates).
final class PruningCriterionTests: XCTestCase {
    private func network(seed: UInt64 = 0) throws -> Network {
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100"))
        network.initialize(seed: seed)
        return network
    }

    private func weights(_ network: Network) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: network.prunableParameterNames.map { ($0, network.parameter(named: $0)!.value) })
    }

    func testLayerwiseRemovesExactCountsAndHonoursTheOutputRate() throws {
        let net = try network()
        let full = Mask(allOnesFor: net)
        let plan = PruningPlan(fraction: 0.2, rates: ["fc3.weight": 0.1], targetSparsity: 0.99)
        let first = Pruner.prune(weights: weights(net), mask: full, plan: plan)
        // round(0.2 · 235200) = 47040, round(0.2 · 30000) = 6000, round(0.1 · 1000) = 100
        XCTAssertEqual(first.remaining("fc1.weight"), 235_200 - 47_040)
        XCTAssertEqual(first.remaining("fc2.weight"), 30_000 - 6_000)
        XCTAssertEqual(first.remaining("fc3.weight"), 900)
        let second = Pruner.prune(weights: weights(net), mask: first, plan: plan, level: 2)
        XCTAssertEqual(second.remaining("fc1.weight"), 188_160 - 37_632)   // 20% of the remaining, not of the original
        XCTAssertEqual(second.remaining("fc3.weight"), 810)
        XCTAssertTrue(second.isSubset(of: first))
        XCTAssertTrue(first.isSubset(of: full))
    }

    func testMagnitudePrunesTheSmallestSurvivingWeights() throws {
        let net = try network()
        let plan = PruningPlan(fraction: 0.5, targetSparsity: 0.9)
        let mask = Pruner.prune(weights: weights(net), mask: Mask(allOnesFor: net), plan: plan)
        for name in mask.names {
            let w = net.parameter(named: name)!.value, m = mask.values[name]!
            let keptMin = (0..<w.count).filter { m[$0] == 1 }.map { abs(w[$0]) }.min()!
            let prunedMax = (0..<w.count).filter { m[$0] == 0 }.map { abs(w[$0]) }.max()!
            XCTAssertLessThanOrEqual(prunedMax, keptMin, name)
        }
    }

    func testTiesAreBrokenByPosition() throws {
        let net = try network()
        for p in net.parameters { p.value.fill(1) }                   // every magnitude equal
        let mask = Pruner.prune(weights: weights(net), mask: Mask(allOnesFor: net),
                                plan: PruningPlan(fraction: 0.25, targetSparsity: 0.9))
        let m = mask.values["fc3.weight"]!
        XCTAssertEqual(Array(m.prefix(250)), [Float](repeating: 0, count: 250))   // lowest indices go first
        XCTAssertEqual(Array(m.suffix(750)), [Float](repeating: 1, count: 750))
    }

    func testGlobalThresholdIsTakenOverRemainingWeightsOnly() throws {
        let net = try network()
        // Make fc2 hold the largest weights, then prune fc1 heavily by hand.
        let fc2 = net.parameter(named: "fc2.weight")!.value
        for i in 0..<fc2.count { fc2[i] = 10 + Float(i % 7) }
        var mask = Mask(allOnesFor: net)
        var fc1 = mask.values["fc1.weight"]!
        for i in 0..<200_000 { fc1[i] = 0 }
        mask = try Mask(names: mask.names, shapes: mask.shapes, values: mask.values.merging(["fc1.weight": fc1]) { $1 })
        let remaining = mask.totalRemaining                              // 35200 + 30000 + 1000
        let plan = PruningPlan(scope: .global, fraction: 0.5, targetSparsity: 0.99)
        let next = Pruner.prune(weights: weights(net), mask: mask, plan: plan)
        XCTAssertEqual(remaining - next.totalRemaining, Int((0.5 * Double(remaining)).rounded()))
        // The pool's removals come from the surviving small weights (fc1, fc3), never fc2's large ones,
        // and weights already pruned are not counted again.
        XCTAssertEqual(next.remaining("fc2.weight"), 30_000)
        XCTAssertTrue(next.isSubset(of: mask))
    }

    func testLastLevelHitsTheTargetExactly() throws {
        let net = try network()
        for scope in PruningScope.allCases {
            let plan = PruningPlan(scope: scope, fraction: 0.2, rates: ["fc3.weight": 0.1], targetSparsity: 0.95)
            var mask = Mask(allOnesFor: net)
            let schedule = plan.remainingSchedule(layerSizes: mask.names.map { ($0, mask.size($0)) })
            for level in 1...schedule.count {
                let next = Pruner.prune(weights: weights(net), mask: mask, plan: plan, level: level)
                XCTAssertTrue(next.isSubset(of: mask))
                XCTAssertEqual(next.weightsRemaining, schedule[level - 1], accuracy: 1e-12, "\(scope) level \(level)")
                mask = next
            }
            XCTAssertEqual(mask.totalRemaining, plan.targetRemaining(total: mask.totalSize), "\(scope)")
            XCTAssertEqual(Pruner.prune(weights: weights(net), mask: mask, plan: plan), mask)  // nothing more to do
        }
    }

    func testOneShotIsASingleLevelToTheTarget() throws {
        let net = try network()
        let plan = PruningPlan(fraction: 0.2, targetSparsity: 0.9, oneShot: true)
        let mask = Pruner.prune(weights: weights(net), mask: Mask(allOnesFor: net), plan: plan)
        XCTAssertEqual(mask.totalRemaining, plan.targetRemaining(total: mask.totalSize))
        XCTAssertEqual(mask.sparsity("fc1.weight"), 0.9, accuracy: 1e-4)      // uniform rates: uniform sparsity
        XCTAssertEqual(plan.remainingSchedule(layerSizes: mask.names.map { ($0, mask.size($0)) }).count, 1)
    }

    func testRandomPruningMatchesMagnitudeCountsAndIsSeeded() throws {
        let net = try network()
        let magnitude = PruningPlan(scope: .global, fraction: 0.3, targetSparsity: 0.9)
        var random = magnitude
        random.criterion = .random
        let m = Pruner.prune(weights: weights(net), mask: Mask(allOnesFor: net), plan: magnitude)
        let r = Pruner.prune(weights: weights(net), mask: Mask(allOnesFor: net), plan: random, seed: 4, level: 1)
        for name in m.names { XCTAssertEqual(m.remaining(name), r.remaining(name), name) }
        XCTAssertNotEqual(m, r)
        XCTAssertEqual(r, Pruner.prune(weights: weights(net), mask: Mask(allOnesFor: net), plan: random, seed: 4, level: 1))
        XCTAssertNotEqual(r, Pruner.prune(weights: weights(net), mask: Mask(allOnesFor: net), plan: random, seed: 5, level: 1))
    }

    func testMaskRejectsValuesOtherThanZeroAndOne() throws {
        let net = try network()
        let full = Mask(allOnesFor: net)
        var values = full.values
        values["fc3.weight"]![3] = 0.5
        XCTAssertThrowsError(try Mask(names: full.names, shapes: full.shapes, values: values)) { error in
            XCTAssertTrue("\(error)".contains("fc3.weight"), "\(error)")
        }
    }

    func testPlanValidationNamesTheProblem() {
        let names = ["fc1.weight", "fc2.weight", "fc3.weight"]
        XCTAssertThrowsError(try PruningPlan(fraction: 1.2, targetSparsity: 0.9).validate(maskedNames: names))
        XCTAssertThrowsError(try PruningPlan(targetSparsity: 1.0).validate(maskedNames: names))
        XCTAssertThrowsError(try PruningPlan(rates: ["fc9.weight": 0.1], targetSparsity: 0.9).validate(maskedNames: names)) { error in
            XCTAssertTrue("\(error)".contains("fc9.weight"))
        }
    }
}

/// Masked weights stay exactly zero through training with every optimizer.
final class MaskEnforcementTests: XCTestCase {
    /// At 70% sparsity the layers train dense and the enforcer masks them; at 95% they
    /// train through the sparse kernels (below the sparse-training density) and the
    /// enforcer leaves them alone: either way pruned weights and their optimizer state
    /// stay exactly 0 through SGD (momentum, Nesterov, weight decay), Adam and clipping.
    func testMaskedWeightsStayExactlyZeroUnderSGDAndAdam() throws {
        for sparsity in [0.7, 0.95] {
            let optimizers: [Optimizer] = [SGD(momentum: 0.9, nesterov: true, weightDecay: 1e-3), Adam(weightDecay: 1e-3), SGD()]
            for optimizer in optimizers {
                let arch = Architecture(model: "lenet-300-100", inputShape: [1, 6, 6], classes: 3)
                let network = try ModelZoo.build(arch)
                network.initialize(seed: 1)
                let plan = PruningPlan(fraction: 0.7, targetSparsity: sparsity, oneShot: true)
                let weights = Dictionary(uniqueKeysWithValues: network.prunableParameterNames.map { ($0, network.parameter(named: $0)!.value) })
                let mask = Pruner.prune(weights: weights, mask: Mask(allOnesFor: network), plan: plan)
                mask.apply(to: network)
                let data = SyntheticDataset.make(count: 120, classes: 3, shape: [1, 6, 6])
                let trainer = Trainer(network: network, optimizer: optimizer, schedule: .constant(base: 0.05),
                                      trainingSet: data, batchSize: 16, clipNorm: 1, dataSeed: 0)
                trainer.hooks.append(MaskEnforcer(mask: mask, network: network))
                let sparse = network.prunableParameterNames.filter { network.parameter(named: $0)!.survivingIndices != nil }
                XCTAssertEqual(sparse.count, sparsity > 0.9 ? 3 : 0, "sparse-trained layers at \(sparsity)")
                for epoch in 0..<6 { trainer.trainEpoch(epoch) }
                for name in mask.names {
                    let w = network.parameter(named: name)!.value, m = mask.values[name]!
                    var live = 0
                    for i in 0..<w.count {
                        if m[i] == 0 {
                            XCTAssertEqual(w[i], 0, "\(optimizer.kind) \(name)[\(i)]")
                            for (slot, state) in optimizer.state(for: name) { XCTAssertEqual(state[i], 0, "\(slot) \(name)[\(i)]") }
                        } else if w[i] != 0 { live += 1 }
                    }
                    XCTAssertGreaterThan(live, 0)
                }
            }
        }
    }
}
