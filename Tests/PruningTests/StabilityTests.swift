import Checkpoint
import Engine
import Foundation
@testable import Pruning
import XCTest

/// The stability analysis (linear mode connectivity, Frankle et al. 2020): the
/// barrier, the path, BatchNorm recomputation, the children and `rewind_epoch: auto`.
final class StabilityTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-stability-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    // MARK: Fixtures

    /// `Experiment.tiny()` (TinyExperiment.swift): 3 epochs, 6 steps an epoch, rewind point at epoch 1.
    private func experiment() throws -> Experiment { try .tiny() }

    /// A network of the given layers over inputs `[1, 1, features]` (any architecture name).
    private func network(_ layers: [Layer], classes: Int) throws -> Network {
        try Network(architecture: Architecture(model: "hand-made", inputShape: [1, 1, 2], classes: classes), layers: layers,
                outputWeightName: "out.weight", initializer: { _ in .zeros })
    }

    private func dataset(_ points: [[Float]], labels: [Int32], classes: Int) -> Dataset {
        Dataset(images: Tensor(shape: [points.count, 1, 1, points[0].count], values: points.flatMap { $0 }),
                labels: labels, classes: classes)
    }

    private func set(_ network: Network, _ name: String, _ values: [Float]) {
        let p = network.parameter(named: name)!.value
        for (i, v) in values.enumerated() { p[i] = v }
    }

    // MARK: The barrier

    /// instability = max error on the path − mean of the ends.
    func testBarrierOfHandMadeErrorCurves() {
        XCTAssertEqual(LinearPath.instability([0.1, 0.3, 0.2]), 0.15, accuracy: 1e-12)
        XCTAssertEqual(LinearPath.instability([0.1, 0.1, 0.1]), 0, accuracy: 1e-12)
        XCTAssertEqual(LinearPath.instability([0.1, 0.05, 0.3]), 0.1, accuracy: 1e-12)   // the higher end is the max
        XCTAssertEqual(LinearPath.alphas(5), [0, 0.25, 0.5, 0.75, 1])
    }

    /// Two hand-made networks that compute the same function with their two hidden
    /// units swapped: each classifies e1 → 0 and e2 → 1, but their midpoint averages
    /// the units away and calls e2 class 0 (logit tie broken by the output bias 0.1):
    /// errors 0, 0, ½, 0, 0 along the path, instability ½.
    func testBarrierBetweenHandMadeEndpoints() throws {
        func make(swapped: Bool) throws -> Network {
            let net = try network([Flatten(), Linear(name: "hidden", inputFeatures: 2, outputFeatures: 2), ReLU(),
                               Linear(name: "out", inputFeatures: 2, outputFeatures: 2)], classes: 2)
            let weights: [Float] = swapped ? [0, 1, 1, 0] : [1, 0, 0, 1]
            set(net, "hidden.weight", weights); set(net, "hidden.bias", [0, 0])
            set(net, "out.weight", weights); set(net, "out.bias", [0.1, 0])
            return net
        }
        let data = dataset([[1, 0], [0, 1]], labels: [0, 1], classes: 2)
        let path = LinearPath(start: try make(swapped: false), end: try make(swapped: true), point: try make(swapped: false))
        let (test, train) = path.errors(at: LinearPath.alphas(5), data: DatasetPair(train: data, test: data), batchSize: 2)
        XCTAssertEqual(test, [0, 0, 0.5, 0, 0])
        XCTAssertEqual(train, test)
        XCTAssertEqual(LinearPath.instability(test), 0.5, accuracy: 1e-12)
    }

    /// A network interpolated with itself: the same errors everywhere, instability 0.
    func testNetworkInterpolatedWithItselfHasZeroInstability() throws {
        let experiment = try experiment()
        let a = try experiment.makeNetwork(), b = try experiment.makeNetwork()
        a.initialize(seed: 7); b.initialize(seed: 7)
        let path = LinearPath(start: a, end: b, point: try experiment.makeNetwork())
        let (test, train) = path.errors(at: LinearPath.alphas(7), data: experiment.data, batchSize: 16)
        let alone = 1 - evaluate(a, on: experiment.data.test).accuracy
        XCTAssertEqual(test, [Double](repeating: alone, count: 7))
        XCTAssertEqual(LinearPath.instability(test), 0)
        XCTAssertEqual(LinearPath.instability(train), 0)
    }

    // MARK: A convex problem

    /// Logistic regression (one Linear layer) on separable points: the children of any
    /// rewind point both separate the data, and so does every point between them (the
    /// separating weights form a convex set), so the instability is 0 from every k.
    func testConvexProblemIsStableFromAnyRewindPoint() throws {
        var points: [[Float]] = [], labels: [Int32] = []
        for i in 0..<16 {
            let t = Float(i) / 15
            points.append([1 + t, 0.5 - t]); labels.append(0)      // x0 − x1 ≥ 0.5: class 0
            points.append([-1 - t, t - 0.5]); labels.append(1)     // x0 − x1 ≤ −0.5: class 1
        }
        let data = dataset(points, labels: labels, classes: 2)
        var train = TrainingSettings()
        train.optimizer = .sgd; train.learningRate = 0.5; train.batchSize = 4; train.epochs = 4
        let experiment = Experiment(architecture: Architecture(model: "hand-made", inputShape: [1, 1, 2], classes: 2),
                                    data: DatasetPair(train: data, test: data), normalization: .identity(channels: 1),
                                    settings: train, recipeText: nil, observer: SilentObserver())
        let steps = experiment.stepsPerEpoch, end = train.epochs * steps                 // 8 steps an epoch
        func model() throws -> Network { try network([Flatten(), Linear(name: "out", inputFeatures: 2, outputFeatures: 2)], classes: 2) }
        func fit(_ net: Network, seed: UInt64, from: Int, to: Int) throws {
            try StepRangeTraining(experiment: experiment, network: net, optimizer: train.makeOptimizer(),
                                  schedule: experiment.schedule, dataSeed: seed, mask: nil, context: "test").run(from: from, to: to)
        }
        for k in [0.0, 0.25, 1, 2.5] {
            let s = RewindPoint(epochs: k).step(stepsPerEpoch: steps)
            let dense = try model()
            set(dense, "out.weight", [0.3, -0.2, -0.1, 0.4])                          // a poor start (50% wrong)
            try fit(dense, seed: 0, from: 0, to: s)
            let children = try (0..<2).map { index -> Network in
                let child = try model()
                try child.load(stateDictionary: dense.stateDictionary())
                try fit(child, seed: StabilityAnalysis.childDataSeed(0, child: index), from: s, to: end)
                return child
            }
            XCTAssertNotEqual(children[0].parameter(named: "out.weight")!.value[0], children[1].parameter(named: "out.weight")!.value[0], "k = \(k)")
            let path = LinearPath(start: children[0], end: children[1], point: try model())
            let (test, trainErrors) = path.errors(at: LinearPath.alphas(11), data: experiment.data, batchSize: 8)
            XCTAssertEqual(test.first, 0, "k = \(k)")
            XCTAssertEqual(LinearPath.instability(test), 0, accuracy: 1e-12, "k = \(k)")
            XCTAssertEqual(LinearPath.instability(trainErrors), 0, accuracy: 1e-12, "k = \(k)")
        }
    }

    // MARK: BatchNorm

    /// conv(1x1) → BN → flatten → linear. Endpoint A scales the input by 3, B by −1,
    /// each with its own exact running statistics; the midpoint scales by 1. Its true
    /// activation variance is v = var(x), but interpolating the endpoints' statistics
    /// gives (9v + v)/2 = 5v: evaluated with those, its outputs differ from what its
    /// own batch statistics give. Recomputed, they agree.
    func testBatchNormStatisticsAreRecomputedAtEachPoint() throws {
        var generator = SeededGenerator(seed: 3, concern: .benchmark)
        let count = 64
        let points = (0..<count).map { _ in [Float(generator.nextNormal()) * 2 + 1, Float(generator.nextNormal()) * 2 + 1] }
        let labels = points.map { $0[0] > 1 ? Int32(1) : 0 }
        let data = dataset(points, labels: labels, classes: 2)
        let values = points.flatMap { $0 }.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        func make(scale: Float) throws -> Network {
            let net = try network([Conv2D(name: "conv", inChannels: 1, outChannels: 1, kernelSize: 1),
                               BatchNorm2D(name: "bn", channels: 1), Flatten(),
                               Linear(name: "out", inputFeatures: 2, outputFeatures: 2)], classes: 2)
            set(net, "conv.weight", [scale]); set(net, "conv.bias", [0])
            set(net, "out.weight", [1, -0.5, -1, 0.5]); set(net, "out.bias", [0, 0.2])
            net.buffer(named: "bn.running_mean")!.value[0] = Float(Double(scale) * mean)
            net.buffer(named: "bn.running_var")!.value[0] = Float(Double(scale * scale) * variance)
            return net
        }
        var path = LinearPath(start: try make(scale: 3), end: try make(scale: -1), point: try make(scale: 0))
        let batch = Tensor(shape: [count, 1, 1, 2], values: points.flatMap { $0 })
        func outputs(_ mode: ForwardMode) -> [Float] { let y = path.point.forward(batch, mode: mode); return (0..<y.count).map { y[$0] } }

        path.recomputeBatchNorm = false
        path.move(to: 0.5, training: data, batchSize: count)
        XCTAssertEqual(Double(path.point.buffer(named: "bn.running_var")!.value[0]), 5 * variance, accuracy: 1e-4 * variance)
        let wrong = outputs(.evaluation), truth = outputs(.training)
        let wrongGap = zip(wrong, truth).map { abs($0 - $1) }.max()!
        let wrongLoss = evaluate(path.point, on: data).loss

        path.recomputeBatchNorm = true
        path.move(to: 0.5, training: data, batchSize: count)
        XCTAssertEqual(Double(path.point.buffer(named: "bn.running_mean")!.value[0]), mean, accuracy: 1e-5)
        XCTAssertEqual(Double(path.point.buffer(named: "bn.running_var")!.value[0]), variance, accuracy: 1e-5 * variance)
        let right = outputs(.evaluation)
        // Training mode normalises by the biased variance, the running one is unbiased:
        // a factor √(128/127) − 1 ≈ 0.4% apart, against √5 without recomputation.
        let rightGap = zip(right, outputs(.training)).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(rightGap, 0.02)
        XCTAssertGreaterThan(wrongGap, 20 * rightGap)
        XCTAssertNotEqual(evaluate(path.point, on: data).loss, wrongLoss, accuracy: 1e-3)
    }

    /// Every model of the zoo: the layers recomputed are exactly those owning the
    /// network's BN buffers (ResNets: the stem and every block's, shortcuts included).
    func testEveryBatchNormOfTheZooIsFound() throws {
        for name in ModelZoo.names {
            let network = try ModelZoo.build(Architecture(model: name, inputShape: name.hasPrefix("resnet") ? [3, 32, 32] : [1, 28, 28]))
            let found = BatchNormRecomputation.layers(of: network).flatMap { $0.buffers.map(\.name) }
            XCTAssertEqual(Set(found), Set(network.buffers.map(\.name)), name)
            XCTAssertEqual(found.count, network.buffers.count, name)
        }
    }

    /// ResNet-20 between two initialisations: after recomputation on the training set
    /// as one batch, the midpoint's evaluation-mode outputs are its training-mode ones
    /// (every BN layer, in order, normalises with its own batch's statistics). Without
    /// recomputation they are about 3x the outputs apart.
    func testRecomputedResNetEvaluatesLikeItsOwnBatch() throws {
        var data = DataSettings(dataset: .synthetic)
        data.syntheticTrain = 32; data.syntheticTest = 8; data.syntheticClasses = 3; data.syntheticSide = 8
        let (pair, _) = try data.load()
        func make(_ seed: UInt64) throws -> Network {
            let net = try ModelZoo.build(Architecture(model: "resnet-20", inputShape: [1, 8, 8], classes: 3))
            net.initialize(seed: seed)
            return net
        }
        var path = LinearPath(start: try make(1), end: try make(2), point: try make(3))
        func gap() -> (Float, Float) {
            let evaluation = path.point.forward(pair.train.images, mode: .evaluation)
            let values = (0..<evaluation.count).map { evaluation[$0] }
            let training = path.point.forward(pair.train.images, mode: .training)
            return ((0..<training.count).map { abs(training[$0] - values[$0]) }.max()!, values.map(abs).max()!)
        }
        path.move(to: 0.5, training: pair.train, batchSize: 32)
        let (recomputed, scale) = gap()
        XCTAssertLessThan(recomputed, 0.02 * scale, "largest output \(scale)")
        path.recomputeBatchNorm = false
        path.move(to: 0.5, training: pair.train, batchSize: 32)
        XCTAssertGreaterThan(gap().0, 50 * recomputed)
    }

    // MARK: Children, dense weights at k, resume

    /// The dense run replayed to k = the recipe's rewind epoch is DenseTraining's
    /// rewind.h5, bit for bit.
    func testReplayedDenseRunMatchesTheRewindCheckpoint() throws {
        let experiment = try experiment(), run = RunFolder(root: folder, source: "stability-test")
        try DenseTraining(experiment: experiment, run: run, seed: 0).run()
        let replayed = try DenseRewindWeights(experiment: experiment, run: run, seed: 0).weights(at: RewindPoint(epochs: 1))
        let kept = try CheckpointFile.read(run.dense(0, .rewind).path)
        XCTAssertEqual(replayed.parameters.mapValues(\.values), kept.parameters.mapValues(\.values))
        XCTAssertEqual(replayed.step, 6)
        XCTAssertTrue(FileManager.default.fileExists(atPath: StabilityFolder(run: run).denseWeights(0, at: RewindPoint(epochs: 1)).path))
    }

    /// An analysis interrupted after every saved epoch, rerun each time, ends with
    /// the same children and path as an uninterrupted one; finished paths are reused.
    func testInterruptedAnalysisResumesToTheSameResult() throws {
        let point = RewindPoint(epochs: 0.5)
        let straight = try experiment(), straightRun = RunFolder(root: folder.appendingPathComponent("straight"), source: "s")
        try DenseTraining(experiment: straight, run: straightRun, seed: 0).run()
        var analysis = StabilityAnalysis(experiment: straight, run: straightRun, seed: 0)
        analysis.points = 5
        let reference = try analysis.run(point)

        let root = RunFolder(root: folder.appendingPathComponent("interrupted"), source: "s")
        var interruptions = 0, result: InterpolationRecord?
        while result == nil {
            let resumed = try experiment()
            var epochs = 0
            resumed.shouldStop = { epochs += 1; return epochs == 1 }
            do {
                try DenseTraining(experiment: resumed, run: root, seed: 0).run()
                var again = StabilityAnalysis(experiment: resumed, run: root, seed: 0)
                again.points = 5
                result = try again.run(point)
            } catch PruningError.interrupted {
                interruptions += 1
            }
        }
        XCTAssertGreaterThanOrEqual(interruptions, 4)             // 2 dense epochs, then 2 boundaries per child
        XCTAssertEqual(result!.testError, reference.testError)
        XCTAssertEqual(result!.trainError, reference.trainError)
        for index in 0..<2 {
            let a = try CheckpointFile.read(StabilityFolder(run: straightRun).child(0, .dense, point, index).path)
            let b = try CheckpointFile.read(StabilityFolder(run: root).child(0, .dense, point, index).path)
            XCTAssertEqual(a.parameters.mapValues(\.values), b.parameters.mapValues(\.values), "child \(index)")
        }
        // The children differ from each other (different data orders), and a rerun reuses the path.
        let children = try (0..<2).map { try CheckpointFile.read(StabilityFolder(run: root).child(0, .dense, point, $0).path) }
        XCTAssertNotEqual(children[0].parameters["fc1.weight"]!.values, children[1].parameters["fc1.weight"]!.values)
        let file = StabilityFolder(run: root).interpolation(0, .dense, point)
        let stamp = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as! Date
        var rerun = StabilityAnalysis(experiment: try experiment(), run: root, seed: 0)
        rerun.points = 5
        XCTAssertEqual(try rerun.run(point), result)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as! Date, stamp)
        // Other inputs (another number of points) are a new path, not the old one.
        rerun.points = 3
        XCTAssertNil(rerun.finished(point))
    }

    /// `rewind_epoch: auto`: chosen once from the analysis, recorded, installed as
    /// rewind.h5; a later choice (other threshold) does not replace it, and the
    /// weight-rewinding chain then starts from that epoch's weights.
    func testAutoRewindEpochResolvesOnceAndSurvivesResume() throws {
        let experiment = try experiment(), run = RunFolder(root: folder, source: "auto-test")
        try DenseTraining(experiment: experiment, run: run, seed: 0).run()
        let choice = RewindEpochChoice.choose([RewindPoint(epochs: 0): 0.1, RewindPoint(epochs: 0.5): 0.01,
                                               RewindPoint(epochs: 1): 0.005, RewindPoint(epochs: 2): 0.0],
                                              threshold: 0.02, subject: "dense")!
        XCTAssertEqual(choice.rewindEpoch, 1)             // 0.5 is the earliest stable, 1 the earliest whole epoch
        XCTAssertEqual(choice.earliestStable, 0.5)
        XCTAssertEqual(try choice.record(in: run), choice)
        try choice.installRewindCheckpoint(experiment: experiment, run: run, seed: 0)
        let rewind = try CheckpointFile.read(run.dense(0, .rewind).path)
        XCTAssertEqual(rewind.epoch, 1)
        XCTAssertEqual(rewind.attributes["rewind_epoch"], "1")
        XCTAssertTrue(rewind.attributes["rewind_epoch_source"]!.hasPrefix("auto"))

        // A rerun with another threshold would choose 2; the recorded choice stays.
        let other = RewindEpochChoice.choose([RewindPoint(epochs: 1): 0.005, RewindPoint(epochs: 2): 0.0], threshold: 0.001, subject: "dense")!
        XCTAssertEqual(other.rewindEpoch, 2)
        XCTAssertEqual(try other.record(in: run).rewindEpoch, 1)
        XCTAssertEqual(try RewindEpochChoice.recorded(in: run)?.rewindEpoch, 1)

        // The chain rewinds to the recorded epoch.
        let strategy = RetrainingStrategy.preset("weight-rewind", rewindEpoch: 1)!
        let chain = IterativePruning(experiment: experiment, run: run, seed: 0, strategy: strategy,
                                     plan: PruningPlan(fraction: 0.5, rates: [:], targetSparsity: 0.5))
        let (network, mask) = try chain.prepare(level: 1, schedule: try chain.levelSchedule())
        let w = network.parameter(named: "fc1.weight")!.value, m = mask.values["fc1.weight"]!
        let expected = rewind.parameters["fc1.weight"]!.values
        for i in 0..<w.count where m[i] == 1 { XCTAssertEqual(w[i], expected[i]) }

        // No whole-epoch candidate: no choice.
        XCTAssertNil(RewindEpochChoice.choose([RewindPoint(epochs: 0.5): 0], threshold: 0.02, subject: "dense"))
    }

    func testRewindPointsParseAndName() {
        XCTAssertEqual(RewindPoint.list("2, 0,0.25,1", totalEpochs: 3)?.map(\.description), ["0", "0.25", "1", "2"])
        XCTAssertNil(RewindPoint.list("0,3", totalEpochs: 3))
        XCTAssertNil(RewindPoint.list("0,x", totalEpochs: 3))
        XCTAssertEqual(RewindPoint.defaults(totalEpochs: 2).map(\.description), ["0", "0.25", "0.5", "1"])
        XCTAssertEqual(RewindPoint(epochs: 0.25).step(stepsPerEpoch: 469), 117)
        XCTAssertNotEqual(StabilityAnalysis.childDataSeed(0, child: 0), StabilityAnalysis.childDataSeed(0, child: 1))
        XCTAssertNotEqual(StabilityAnalysis.childDataSeed(0, child: 0), StabilityAnalysis.childDataSeed(1, child: 0))
    }
}
