import Engine
import TestSupport
import XCTest

/// End-to-end behaviour of the trainer on tiny synthetic data.
final class TrainingTests: XCTestCase {
    private func makeTrainer(seed: UInt64, optimizer: Optimizer = SGD(momentum: 0.9), dropout: Float = 0.2) throws
        -> (Trainer, Dataset) {
        let data = SyntheticDataset.make(count: 300, classes: 4, shape: [1, 6, 6], noise: 1.0, seed: 5)
        let network = try LeNet300100.make(Architecture(model: LeNet300100.name, inputShape: [1, 6, 6], classes: 4, dropout: dropout))
        network.initialize(seed: seed)
        let trainer = Trainer(network: network, optimizer: optimizer, schedule: .constant(base: 0.02),
                              trainingSet: data.prefix(200), batchSize: 32, clipNorm: 5, dataSeed: seed)
        return (trainer, data.suffix(from: 200))
    }

    func testSameSeedGivesBitIdenticalLossTrajectory() throws {
        func trajectory() throws -> [Float] {
            let (trainer, _) = try makeTrainer(seed: 7)
            var losses: [Float] = []
            for epoch in 0..<2 {
                trainer.loader.startEpoch(seed: 7, epoch: epoch)
                trainer.network.reseedDropout(seed: 7, stream: UInt64(epoch))
                for batch in 0..<trainer.stepsPerEpoch { losses.append(trainer.trainStep(batch: batch, learningRate: 0.02)) }
            }
            return losses
        }
        let first = try trajectory(), second = try trajectory()
        XCTAssertEqual(first.count, 14)
        XCTAssertEqual(first, second)                      // bit-identical, not approximately
        let (other, _) = try makeTrainer(seed: 8)
        other.loader.startEpoch(seed: 8, epoch: 0)
        XCTAssertNotEqual(other.trainStep(batch: 0, learningRate: 0.02), first[0])
    }

    func testTinyNetworkLearnsTinyTask() throws {
        let (trainer, test) = try makeTrainer(seed: 1, optimizer: Adam(), dropout: 0)
        trainer.schedule = .constant(base: 1e-3)
        let before = evaluate(trainer.network, on: test)
        var losses: [Double] = []
        for epoch in 0..<8 { losses.append(trainer.trainEpoch(epoch).trainLoss) }
        let after = evaluate(trainer.network, on: test)
        XCTAssertLessThan(before.accuracy, 0.5)
        XCTAssertGreaterThan(after.accuracy, 0.95, "accuracy \(after.accuracy), losses \(losses)")
        XCTAssertLessThan(losses.last!, losses.first! / 4)
    }

    /// A learning rate that makes the loss non-finite stops the epoch at that batch and
    /// says where and what to try (issue 14, item 10); a sane rate reports no divergence.
    func testDivergenceStopsTheEpochAndSaysWhere() throws {
        let (sane, _) = try makeTrainer(seed: 2, dropout: 0)
        XCTAssertNil(sane.trainEpoch(0).divergence)
        let (trainer, _) = try makeTrainer(seed: 2, dropout: 0)
        trainer.schedule = .constant(base: 1e30)
        var summary = trainer.trainEpoch(0)
        var epoch = 0
        while summary.divergence == nil && epoch < 5 { epoch += 1; summary = trainer.trainEpoch(epoch) }
        let divergence = try XCTUnwrap(summary.divergence)
        XCTAssertEqual(divergence.epoch, epoch + 1)
        XCTAssertEqual(divergence.step, epoch * trainer.stepsPerEpoch + divergence.batch - 1)
        XCTAssertLessThanOrEqual(divergence.batch, trainer.stepsPerEpoch)
        XCTAssertEqual(divergence.learningRate, 1e30)
        XCTAssertTrue(summary.trainLoss.isNaN)
        XCTAssertTrue(divergence.description.hasPrefix("training diverged at epoch \(epoch + 1) step \(divergence.step) "), divergence.description)
        XCTAssertTrue(divergence.description.contains("try a lower train.lr or set train.clip_norm"), divergence.description)
    }

    func testResumingAtAnEpochMatchesAnUninterruptedRun() throws {
        let (straight, _) = try makeTrainer(seed: 3)
        for epoch in 0..<3 { straight.trainEpoch(epoch) }
        // Train one epoch, copy weights and optimizer state into a fresh trainer, continue.
        let (first, _) = try makeTrainer(seed: 3)
        first.trainEpoch(0)
        let (resumed, _) = try makeTrainer(seed: 3)
        try! resumed.network.load(stateDictionary: first.network.stateDictionary())
        for name in first.optimizer.namesWithState {
            resumed.optimizer.setState(first.optimizer.state(for: name).mapValues { Tensor(copying: $0) }, for: name)
        }
        resumed.optimizer.stepCount = first.optimizer.stepCount
        for epoch in 1..<3 { resumed.trainEpoch(epoch) }
        for p in straight.network.parameters {
            XCTAssertEqual(p.value.values, resumed.network.parameter(named: p.name)!.value.values, p.name)
        }
    }

    func testLeNet300100HasPyTorchNamesAndShapes() throws {
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100"))
        XCTAssertEqual(network.parameters.map(\.name), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        XCTAssertEqual(network.parameters.map(\.value.shape), [[300, 784], [300], [100, 300], [100], [10, 100], [10]])
        XCTAssertEqual(network.prunableParameterNames, ["fc1.weight", "fc2.weight", "fc3.weight"])
        XCTAssertEqual(network.outputWeightName, "fc3.weight")
        network.initialize(seed: 0)
        // Glorot normal: std sqrt(2 / (784 + 300)) ≈ 0.04296.
        let w = network.parameter(named: "fc1.weight")!.value
        let std = (w.sumOfSquares() / Double(w.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 1084).squareRoot(), accuracy: 0.001)
        XCTAssertEqual(network.parameter(named: "fc1.bias")!.value.nonZeroCount, 0)
    }

    func testGeneratorIsDocumentedXoshiro() {
        // Fixed values pin the algorithm: a change to the generator changes every run.
        var g = SeededGenerator(seed: 0, concern: .initialization)
        let first = (0..<3).map { _ in g.next() }
        var h = SeededGenerator(seed: 0, concern: .initialization)
        XCTAssertEqual(first, (0..<3).map { _ in h.next() })
        var other = SeededGenerator(seed: 0, concern: .dataOrder)
        XCTAssertNotEqual(first[0], other.next())
        var uniform = SeededGenerator(seed: 9, concern: .benchmark)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<50_000 { counts[uniform.nextInt(below: 5)] += 1 }
        for c in counts { XCTAssertEqual(Double(c) / 50_000, 0.2, accuracy: 0.01) }
        var normal = SeededGenerator(seed: 2, concern: .benchmark)
        let samples = (0..<50_000).map { _ in Double(normal.nextNormal()) }
        let mean = samples.reduce(0, +) / 50_000
        let variance = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 50_000
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
    }
}

/// Reading IDX files, gzip-compressed and plain, and their errors.
final class IDXReaderTests: XCTestCase {
    func testReadsPlainIDXAndRejectsBadMagic() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good")
        try Data([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]).write(to: good)
        let (dims, bytes) = try IDXReader.read(good.path)
        XCTAssertEqual(dims, [2, 3])
        XCTAssertEqual(bytes, [1, 2, 3, 4, 5, 6])
        let bad = folder.appendingPathComponent("bad")
        try Data([1, 2, 3, 4, 5]).write(to: bad)
        XCTAssertThrowsError(try IDXReader.read(bad.path)) { error in
            XCTAssertTrue("\(error)".contains("bad magic"), "\(error)")
        }
        let short = folder.appendingPathComponent("short")
        try Data([0, 0, 8, 1, 0, 0, 0, 9, 1, 2]).write(to: short)
        XCTAssertThrowsError(try IDXReader.read(short.path)) { error in
            XCTAssertTrue("\(error)".contains("need 9 data bytes, more than the 2 the file holds"), "\(error)")
        }
        XCTAssertThrowsError(try IDXReader.read(folder.appendingPathComponent("missing").path)) { error in
            XCTAssertTrue("\(error)".contains("file not found"), "\(error)")
        }
    }

    func testReadsFashionMNISTSliceWhenInstalled() throws {
        let directory = IDXDatasets.defaultFashionMNISTDirectory
        try XCTSkipUnless(FileManager.default.fileExists(atPath: directory + "/t10k-labels-idx1-ubyte.gz"),
                          "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
        let (dims, labels) = try IDXReader.read(directory + "/t10k-labels-idx1-ubyte.gz")
        XCTAssertEqual(dims, [10000])
        XCTAssertEqual(Array(labels.prefix(5)), [9, 2, 1, 1, 6])   // the published first test labels
    }
}
