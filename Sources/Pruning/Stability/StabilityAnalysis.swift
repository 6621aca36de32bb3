import Checkpoint
import Engine
import Foundation

/// Linear mode connectivity analysis of one seed's network at rewind points k
/// (Frankle, Dziugaite, Roy & Carbin, ICML 2020): for each k,
///
/// 1. take the dense run's weights at k (`DenseRewindWeights`), masked by the
///    subject's mask for an IMP subnetwork (`StabilitySubject.level`);
/// 2. train two children from there to the end of the dense schedule (steps
///    s ..< T · stepsPerEpoch, the learning rate replayed from s, fresh optimizer
///    state as every rewinding level has), identical except for their data-order
///    (and dropout) seed, `childDataSeed(seed, i)`;
/// 3. evaluate test and training error at `points` evenly spaced α on the line
///    between them (`LinearPath`, BN statistics recomputed) and record the
///    instability max_α e(α) − (e(0) + e(1)) / 2.
///
/// Every child and every interpolation is saved as it finishes, under a cache key
/// of its inputs, and reused only when the key matches, so an interrupted analysis
/// resumes (a child in training resumes from its last epoch boundary).
public struct StabilityAnalysis {
    public let experiment: Experiment
    public let run: RunFolder
    public let seed: UInt64
    public let subject: StabilitySubject
    /// The subject's mask (nil: dense) and the key of where it came from.
    public let mask: Mask?
    public let maskKey: String?
    /// Points on each path, endpoints included.
    public var points = 31

    public var folder: StabilityFolder { StabilityFolder(run: run) }

    /// The analysis of the dense network.
    public init(experiment: Experiment, run: RunFolder, seed: UInt64) {
        self.experiment = experiment
        self.run = run
        self.seed = seed
        subject = .dense
        mask = nil
        maskKey = nil
    }

    /// The analysis of the IMP subnetwork of pruning level `level`: the mask of the
    /// lottery chain (IMP, rewinding to initialisation, `plan`) at that level, which
    /// is trained first if it is missing.
    public init(experiment: Experiment, run: RunFolder, seed: UInt64, level: Int, plan: PruningPlan) throws {
        let lottery = IterativePruning(experiment: experiment, run: run, seed: seed,
                                       strategy: RetrainingStrategy.preset("lottery", rewindEpoch: 0)!, plan: plan)
        let record = try lottery.runLevel(level, schedule: try lottery.levelSchedule())
        self.experiment = experiment
        self.run = run
        self.seed = seed
        subject = .level(level)
        mask = try Mask.from(try CheckpointFile.read(lottery.folder.level(level).path), network: try experiment.makeNetwork())
        maskKey = record.key
    }

    /// The data-order seed of child `index` of the run seed `seed`: a value of the
    /// seed's data-order generator on a stream no epoch uses, so the children's
    /// orders differ from each other's and from the dense run's, reproducibly.
    public static func childDataSeed(_ seed: UInt64, child index: Int) -> UInt64 {
        var generator = SeededGenerator(seed: seed, concern: .dataOrder, stream: 0x5AB1_0000_0000_0000 | UInt64(index))
        return generator.next()
    }

    /// The cache key of child `index` at `point`.
    public func childKey(_ point: RewindPoint, _ index: Int) -> String {
        struct Key: Encodable {
            let weights: String, subject: String, mask: String?, child: Int, dataSeed: UInt64, settings: TrainingSettings
        }
        return fullHash(Key(weights: DenseRewindWeights(experiment: experiment, run: run, seed: seed).key(point),
                            subject: subject.description, mask: maskKey, child: index,
                            dataSeed: Self.childDataSeed(seed, child: index), settings: settingsKey))
    }

    /// The training settings a child depends on: all but the recipe's rewind epoch
    /// (children start from k, whatever `rewind_epoch` says, so resolving
    /// `rewind_epoch: auto` does not invalidate them).
    private var settingsKey: TrainingSettings {
        var settings = experiment.settings
        settings.rewindEpoch = 0
        return settings
    }

    /// The cache key of the interpolation at `point`.
    public func interpolationKey(_ point: RewindPoint) -> String {
        struct Key: Encodable { let children: [String]; let points: Int; let recomputeBatchNorm: Bool }
        return fullHash(Key(children: [childKey(point, 0), childKey(point, 1)], points: points, recomputeBatchNorm: true))
    }

    /// The finished interpolation at `point`, if it is on disk with the current key.
    public func finished(_ point: RewindPoint) -> InterpolationRecord? {
        guard let record = try? InterpolationRecord.readRecord(folder.interpolation(seed, subject, point)),
              record.key == interpolationKey(point) else { return nil }
        return record
    }

    /// Measures (or finds on disk) the instability at `point`.
    @discardableResult
    public func run(_ point: RewindPoint) throws -> InterpolationRecord {
        let context = "seed \(seed), \(subject), k = \(point)"
        if let record = finished(point) {
            experiment.observer.skipped("\(context): finished")
            return record
        }
        let clock = ContinuousClock(), start = clock.now
        let children = try (0..<2).map { try child(point, $0) }
        let path = LinearPath(start: children[0].network, end: children[1].network, point: try experiment.makeNetwork())
        let alphas = LinearPath.alphas(points)
        let (test, train) = path.errors(at: alphas, data: experiment.data, batchSize: experiment.settings.batchSize)
        let record = InterpolationRecord(
            key: interpolationKey(point), seed: seed, subject: subject.description, weightsRemaining: mask?.weightsRemaining ?? 1,
            rewindPoint: point.epochs, rewindStep: point.step(stepsPerEpoch: experiment.stepsPerEpoch), alphas: alphas,
            testError: test, trainError: train, testInstability: LinearPath.instability(test),
            trainInstability: LinearPath.instability(train),
            batchNormRecomputed: !BatchNormRecomputation.layers(of: path.point).isEmpty,
            seconds: children.map(\.record.seconds).reduce(0, +) + (clock.now - start).seconds)
        try record.writeRecord(to: folder.interpolation(seed, subject, point))
        return record
    }

    /// Child `index` at `point`: from disk when its key matches, else trained and saved.
    func child(_ point: RewindPoint, _ index: Int) throws -> (network: Network, record: StabilityChildRecord) {
        let file = folder.child(seed, subject, point, index), recordFile = folder.childRecord(seed, subject, point, index)
        let key = childKey(point, index), network = try experiment.makeNetwork()
        if FileManager.default.fileExists(atPath: file.path),
           let record = try? StabilityChildRecord.readRecord(recordFile), record.key == key {
            try CheckpointFile.read(file.path).restore(into: network, optimizer: nil)
            return (network, record)
        }
        let clock = ContinuousClock(), start = clock.now
        let context = "seed \(seed), \(subject), k = \(point), child \(index)"
        try DenseRewindWeights(experiment: experiment, run: run, seed: seed).weights(at: point).restore(into: network, optimizer: nil)
        mask?.apply(to: network)
        let dataSeed = Self.childDataSeed(seed, child: index), schedule = experiment.schedule
        let steps = experiment.stepsPerEpoch, first = point.step(stepsPerEpoch: steps), last = experiment.settings.epochs * steps
        let attributes = ["role": "stability-child", "key": key, "subject": subject.description,
                          "rewind_point": point.description, "child": String(index), "data_seed": String(dataSeed)]
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let optimizer = experiment.settings.makeOptimizer()
        var training = StepRangeTraining(experiment: experiment, network: network, optimizer: optimizer, schedule: schedule,
                                         dataSeed: dataSeed, mask: mask, context: context)
        training.resumeFile = file.deletingPathExtension().appendingPathExtension("partial.h5")
        training.attributes = attributes
        try training.run(from: first, to: last)
        let evaluation = evaluate(network, on: experiment.data.test)
        let state = experiment.checkpoint(network: network, optimizer: nil, mask: mask, schedule: schedule, step: last,
                                          epoch: experiment.settings.epochs, seed: dataSeed, evaluation: evaluation,
                                          attributes: attributes)
        try CheckpointFile.write(state, to: file.path, format: .dense)
        let record = StabilityChildRecord(key: key, seed: seed, subject: subject.description, rewindPoint: point.epochs,
                                          child: index, dataSeed: dataSeed, testAccuracy: evaluation.accuracy,
                                          testLoss: evaluation.loss, seconds: (clock.now - start).seconds)
        try record.writeRecord(to: recordFile)
        try? FileManager.default.removeItem(at: training.resumeFile!)
        return (network, record)
    }
}

extension InterpolationRecord {
    /// Reads an `interpolation.json`.
    public static func read(_ url: URL) throws -> InterpolationRecord { try readRecord(url) }
}
