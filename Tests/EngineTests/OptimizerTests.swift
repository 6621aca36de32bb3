import Engine
import TestSupport
import XCTest

/// One step of each optimizer against values computed by hand from its formula.
final class OptimizerTests: XCTestCase {
    private func parameter(_ values: [Float], gradient: [Float]) -> Parameter {
        let p = Parameter(name: "w", shape: [values.count], role: .weight)
        for i in values.indices { p.value[i] = values[i]; p.gradient[i] = gradient[i] }
        return p
    }

    func testPlainSGDWithWeightDecay() {
        let p = parameter([1.0, -2.0], gradient: [0.5, 0.25])
        SGD(weightDecay: 0.1).step([p], learningRate: 0.1)
        // p - lr (g + wd p): 1 - 0.1 (0.5 + 0.1) = 0.94; -2 - 0.1 (0.25 - 0.2) = -2.005
        XCTAssertEqual(p.value[0], 0.94, accuracy: 1e-6)
        XCTAssertEqual(p.value[1], -2.005, accuracy: 1e-6)
    }

    func testMomentumSGDTwoSteps() {
        let p = parameter([1.0], gradient: [0.5])
        let sgd = SGD(momentum: 0.9)
        sgd.step([p], learningRate: 0.1)       // v = 0.5; p = 1 - 0.05 = 0.95
        XCTAssertEqual(p.value[0], 0.95, accuracy: 1e-6)
        p.gradient[0] = 0.2
        sgd.step([p], learningRate: 0.1)       // v = 0.45 + 0.2 = 0.65; p = 0.95 - 0.065 = 0.885
        XCTAssertEqual(p.value[0], 0.885, accuracy: 1e-6)
        XCTAssertEqual(sgd.state(for: "w")["momentum"]![0], 0.65, accuracy: 1e-6)
    }

    func testNesterovSGDTwoSteps() {
        let p = parameter([1.0], gradient: [0.5])
        let sgd = SGD(momentum: 0.9, nesterov: true)
        sgd.step([p], learningRate: 0.1)       // v = 0.5; d = 0.5 + 0.45 = 0.95; p = 0.905
        XCTAssertEqual(p.value[0], 0.905, accuracy: 1e-6)
        p.gradient[0] = 0.2
        sgd.step([p], learningRate: 0.1)       // v = 0.65; d = 0.2 + 0.585 = 0.785; p = 0.8265
        XCTAssertEqual(p.value[0], 0.8265, accuracy: 1e-6)
    }

    func testAdamTwoSteps() {
        let p = parameter([1.0, 0.0], gradient: [0.5, -0.1])
        let adam = Adam()
        adam.step([p], learningRate: 0.01)
        // Step 1: m̂ = g, v̂ = g², so the update is lr · g / (|g| + ε) ≈ lr · sign(g).
        XCTAssertEqual(p.value[0], 1 - 0.01 * 0.5 / (0.5 + 1e-8), accuracy: 1e-6)
        XCTAssertEqual(p.value[1], 0.01 * 0.1 / (0.1 + 1e-8), accuracy: 1e-6)
        p.gradient[0] = 0.1
        adam.step([p], learningRate: 0.01)
        // Step 2 by hand for element 0:
        let m = 0.9 * (0.1 * 0.5) + 0.1 * 0.1               // 0.055
        let v = 0.999 * (0.001 * 0.25) + 0.001 * 0.01       // 0.00025975
        let mHat = m / (1 - 0.81), vHat = v / (1 - 0.998001)
        let expected = (1 - 0.01 * 0.5 / (0.5 + 1e-8)) - 0.01 * mHat / (vHat.squareRoot() + 1e-8)
        XCTAssertEqual(Double(p.value[0]), expected, accuracy: 1e-6)
        XCTAssertEqual(adam.stepCount, 2)
    }

    func testAdamLeavesAllZeroEntriesAtZero() {
        let p = parameter([0, 1], gradient: [0, 1])
        let adam = Adam(weightDecay: 0.01)
        for _ in 0..<10 { adam.step([p], learningRate: 0.1) }
        XCTAssertEqual(p.value[0], 0)
    }

    func testGradientClippingScalesToTheBound() {
        let a = parameter([0, 0], gradient: [3, 0]), b = parameter([0], gradient: [4])
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(a.gradient[0], 0.6, accuracy: 1e-5)
        XCTAssertEqual(b.gradient[0], 0.8, accuracy: 1e-5)
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 10), 1, accuracy: 1e-4)   // below the bound: unchanged
        XCTAssertEqual(a.gradient[0], 0.6, accuracy: 1e-5)
    }
}

/// Learning-rate schedules at chosen steps.
final class ScheduleTests: XCTestCase {
    func testConstant() {
        XCTAssertEqual(LearningRateSchedule.constant(base: 0.3).learningRate(atStep: 12345), 0.3)
    }

    func testMultistep() {
        let s = LearningRateSchedule.multistep(base: 0.1, milestones: [10, 20], gamma: 0.1)
        XCTAssertEqual(s.learningRate(atStep: 0), 0.1, accuracy: 1e-9)
        XCTAssertEqual(s.learningRate(atStep: 9), 0.1, accuracy: 1e-9)
        XCTAssertEqual(s.learningRate(atStep: 10), 0.01, accuracy: 1e-9)
        XCTAssertEqual(s.learningRate(atStep: 25), 0.001, accuracy: 1e-9)
    }

    func testCosine() {
        let s = LearningRateSchedule.cosine(base: 1, totalSteps: 100, minimum: 0.1)
        XCTAssertEqual(s.learningRate(atStep: 0), 1, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 50), 0.55, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 100), 0.1, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 500), 0.1, accuracy: 1e-6)
    }

    func testWarmupComposesWithMultistep() {
        let s = LearningRateSchedule.warmup(steps: 4, then: .multistep(base: 0.8, milestones: [6], gamma: 0.5))
        XCTAssertEqual(s.learningRate(atStep: 0), 0.2, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 3), 0.8, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 5), 0.8, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(atStep: 6), 0.4, accuracy: 1e-6)
    }

    func testSettingsConvertEpochsToSteps() {
        var t = TrainingSettings()
        t.learningRate = 0.1; t.schedule = .multistep; t.milestones = [2]; t.epochs = 4
        XCTAssertEqual(t.makeSchedule(stepsPerEpoch: 10), .multistep(base: 0.1, milestones: [20], gamma: 0.1))
    }

    /// An update split over two threads (a parameter above the split threshold, with a
    /// length that is not a multiple of any vector) gives the same bits as one thread,
    /// for every optimizer form; and `Trainer` hands the network's configuration on.
    func testUpdatesSplitOverThreadsEqualOneThreadBitForBit() throws {
        let count = 70_001
        let optimizers: [() -> Optimizer] = [
            { SGD(momentum: 0.9, nesterov: true, weightDecay: 5e-4) }, { SGD() }, { Adam(weightDecay: 0.01) },
        ]
        for make in optimizers {
            var results: [[Float]] = []
            for threads in [1, 2] {
                let optimizer = make()
                optimizer.configuration = ComputeConfiguration(threads: threads)
                let p = Parameter(name: "w", shape: [count], role: .weight)
                p.value.copy(from: randomTensor([count], seed: 21))
                for step in 0..<3 {
                    p.gradient.copy(from: randomTensor([count], seed: 22 + UInt64(step)))
                    optimizer.step([p], learningRate: 0.01)
                }
                results.append(p.value.values + (optimizer.state(for: "w").sorted { $0.key < $1.key }.flatMap { $0.value.values }))
            }
            XCTAssertEqual(results[0].count, results[1].count)
            XCTAssertTrue(zip(results[0], results[1]).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(make().kind)")
        }
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100", inputShape: [1, 4, 4], classes: 3))
        network.configuration = ComputeConfiguration(threads: 3, kernelPath: .portable)
        let optimizer = Adam()
        _ = Trainer(network: network, optimizer: optimizer, schedule: .constant(base: 0.1),
                    trainingSet: SyntheticDataset.make(count: 8, classes: 3, shape: [1, 4, 4]), batchSize: 4, dataSeed: 0)
        XCTAssertEqual(optimizer.configuration, network.configuration)
    }
}
