import Checkpoint
import Engine
import Foundation
import Pruning
import TestSupport
import XCTest

/// The level loop and the retraining strategies, on a tiny synthetic task.
final class LevelLoopTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-levels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The run folder under test (or another one at `root`).
    private func runFolder(_ root: URL? = nil) -> RunFolder { RunFolder(root: root ?? folder, source: "level-loop-test") }

    /// `Experiment.tiny()` (TinyExperiment.swift): 3 epochs, 6 steps an epoch, rewind point at epoch 1.
    private func experiment() throws -> Experiment { try .tiny() }

    private let plan = PruningPlan(fraction: 0.5, rates: ["fc3.weight": 0.25], targetSparsity: 0.85)

    private func weights(_ url: URL) throws -> [String: [Float]] {
        try CheckpointFile.read(url.path).parameters.mapValues(\.values)
    }

    func testEachStrategyStartsFromItsWeightsAndSchedulePoint() throws {
        let experiment = try experiment(), layout = runFolder()
        try DenseTraining(experiment: experiment, run: layout, seed: 0).run()
        let initial = try weights(layout.dense(0, .initial)), rewind = try weights(layout.dense(0, .rewind))
        let final = try weights(layout.dense(0, .final))
        XCTAssertEqual(try CheckpointFile.read(layout.dense(0, .rewind).path).epoch, 1)
        XCTAssertNotEqual(initial["fc1.weight"], rewind["fc1.weight"])
        let steps = experiment.stepsPerEpoch                                       // 6
        let expectations: [(String, [String: [Float]]?, Float)] = [
            ("fine-tune", final, 0.005),            // final weights, the final LR held
            ("weight-rewind", rewind, 0.05),        // epoch-1 weights, schedule from epoch 1
            ("lr-rewind", final, 0.05),             // final weights, schedule from epoch 1
            ("lottery", initial, 0.05),             // initial weights, schedule from 0
            ("random-reinit", nil, 0.05),           // fresh weights
        ]
        for (name, source, firstRate) in expectations {
            let strategy = RetrainingStrategy.preset(name, rewindEpoch: 1)!
            let chain = IterativePruning(experiment: experiment, run: layout, seed: 0, strategy: strategy, plan: plan)
            let (network, mask) = try chain.prepare(level: 1, schedule: try chain.levelSchedule())
            XCTAssertEqual(mask.remaining("fc1.weight"), mask.size("fc1.weight") / 2, name)
            for p in network.parameters where mask.names.contains(p.name) {
                let m = mask.values[p.name]!
                for i in 0..<p.value.count {
                    if m[i] == 0 { XCTAssertEqual(p.value[i], 0, "\(name) \(p.name)[\(i)] is pruned") }
                    else if let source { XCTAssertEqual(p.value[i], source[p.name]![i], "\(name) \(p.name)[\(i)]") }
                }
            }
            if source == nil {
                let w = network.parameter(named: "fc2.weight")!.value
                XCTAssertNotEqual((0..<w.count).filter { mask.values["fc2.weight"]![$0] == 1 }.map { w[$0] },
                                  (0..<w.count).filter { mask.values["fc2.weight"]![$0] == 1 }.map { initial["fc2.weight"]![$0] })
            }
            let (schedule, first, count) = chain.retraining
            XCTAssertEqual(schedule.learningRate(atStep: first * steps), firstRate, accuracy: 1e-7, name)
            XCTAssertEqual(count, name == "lottery" || name == "random-reinit" ? 3 : 2, name)
        }
    }

    func testFullChainMasksOnlyShrinkAndReachTheTarget() throws {
        let experiment = try experiment(), run = runFolder()
        try DenseTraining(experiment: experiment, run: run, seed: 0).run()
        for name in ["lr-rewind", "random-reinit"] {
            let strategy = RetrainingStrategy.preset(name, rewindEpoch: 1)!
            let chain = IterativePruning(experiment: experiment, run: run, seed: 0, strategy: strategy, plan: plan)
            let rows = try chain.run()
            XCTAssertEqual(rows.count, 3)                                          // 50%, 25%, 15%
            var previous: Mask? = nil
            for level in 1...rows.count {
                let contents = try CheckpointFile.read(run.chain(0, name).level(level).path)
                let network = try contents.makeNetwork()
                let mask = try Mask.from(contents, network: network)
                if let previous { XCTAssertTrue(mask.isSubset(of: previous), "\(name) level \(level)") }
                for n in mask.names {
                    let w = contents.parameters[n]!, m = mask.values[n]!
                    for i in 0..<w.count where m[i] == 0 { XCTAssertEqual(w[i], 0) }
                }
                XCTAssertEqual(mask.weightsRemaining, rows[level - 1].weightsRemaining)
                previous = mask
            }
            XCTAssertEqual(previous!.totalRemaining, plan.targetRemaining(total: previous!.totalSize))
        }
        // random-reinit keeps the lottery ticket's masks.
        for level in 1...3 {
            let lottery = try CheckpointFile.read(run.chain(0, "lottery").level(level).path).masks
            let reinit = try CheckpointFile.read(run.chain(0, "random-reinit").level(level).path).masks
            XCTAssertEqual(lottery.mapValues(\.values), reinit.mapValues(\.values))
        }
    }

    /// Seed 1's dense run and `strategy`'s chain in `root`, each attempt (a new
    /// experiment from `experiment`, as a new process) stopped after its first saved
    /// epoch and rerun until everything is done; returns the interruptions.
    private func runStoppingAfterEveryEpoch(_ root: RunFolder, strategy: RetrainingStrategy,
                                            experiment: () throws -> Experiment) throws -> Int {
        var interruptions = 0
        while true {
            let resumed = try experiment()
            var epochs = 0
            resumed.shouldStop = { epochs += 1; return epochs == 1 }
            do {
                try DenseTraining(experiment: resumed, run: root, seed: 1).run()
                try IterativePruning(experiment: resumed, run: root, seed: 1, strategy: strategy, plan: plan).run()
                return interruptions
            } catch PruningError.interrupted {
                interruptions += 1
            }
        }
    }

    func testInterruptedChainResumesToTheSameResult() throws {
        let strategy = RetrainingStrategy.preset("weight-rewind", rewindEpoch: 1)!
        let straight = try experiment(), straightRun = runFolder(folder.appendingPathComponent("straight"))
        try DenseTraining(experiment: straight, run: straightRun, seed: 1).run()
        try IterativePruning(experiment: straight, run: straightRun, seed: 1, strategy: strategy, plan: plan).run()

        // Stop after every saved epoch, rerunning each time, through dense training and every level.
        let root = runFolder(folder.appendingPathComponent("interrupted"))
        XCTAssertGreaterThanOrEqual(try runStoppingAfterEveryEpoch(root, strategy: strategy, experiment: experiment), 4)
        for level in 1...3 {
            let a = try CheckpointFile.read(straightRun.chain(1, strategy.name).level(level).path)
            let b = try CheckpointFile.read(root.chain(1, strategy.name).level(level).path)
            XCTAssertEqual(a.parameters.mapValues(\.values), b.parameters.mapValues(\.values), "level \(level)")
            XCTAssertEqual(a.masks.mapValues(\.values), b.masks.mapValues(\.values), "level \(level)")
            XCTAssertEqual(a.metrics["test_accuracy"], b.metrics["test_accuracy"])
        }
    }

    /// A level's resume point holds its mask's digest, not the mask; a resume point
    /// whose digest differs is refused. The last epoch writes no resume point: a run
    /// that dies between it and the level file (here: the level file cannot be
    /// written) resumes from the epoch before and ends with the same level, bit for bit.
    func testResumePointsHoldTheMaskDigestAndTheLastEpochIsRedoneAfterADeath() throws {
        let strategy = RetrainingStrategy.preset("fine-tune", rewindEpoch: 1)!
        let straightRun = runFolder(folder.appendingPathComponent("straight"))
        try DenseTraining(experiment: try experiment(), run: straightRun, seed: 0).run()
        let straight = try IterativePruning(experiment: try experiment(), run: straightRun, seed: 0, strategy: strategy,
                                            plan: plan).runLevel(1, schedule: try IterativePruning(
                                                experiment: try experiment(), run: straightRun, seed: 0, strategy: strategy,
                                                plan: plan).levelSchedule())
        let reference = try CheckpointFile.read(straightRun.chain(0, strategy.name).level(1).path)
        let mask = try Mask.from(reference, network: try experiment().makeNetwork())

        let run = runFolder(folder.appendingPathComponent("dying"))
        try DenseTraining(experiment: try experiment(), run: run, seed: 0).run()
        let chain = IterativePruning(experiment: try experiment(), run: run, seed: 0, strategy: strategy, plan: plan)
        let schedule = try chain.levelSchedule()
        let levelFile = run.chain(0, strategy.name).level(1), partial = run.chain(0, strategy.name).partial(1)
        try FileManager.default.createDirectory(at: levelFile.appendingPathComponent("blocker"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try chain.runLevel(1, schedule: schedule))
        let point = try CheckpointFile.read(partial.path)
        XCTAssertEqual(point.epoch, reference.epoch - 1, "the last epoch wrote no resume point")
        XCTAssertTrue(point.masks.isEmpty)
        XCTAssertEqual(point.attributes["mask_digest"], mask.digest)

        // Another digest: refused.
        var tampered = point
        tampered.attributes["mask_digest"] = "0000000000000000"
        try CheckpointFile.write(tampered, to: partial.path)
        try FileManager.default.removeItem(at: levelFile)
        XCTAssertThrowsError(try chain.runLevel(1, schedule: schedule)) { error in
            XCTAssertTrue("\(error)".contains("its mask differs"), "\(error)")
        }
        // The true one: resumed, the last epoch redone, the same level as the straight run.
        try CheckpointFile.write(point, to: partial.path)
        let resumed = try chain.runLevel(1, schedule: schedule)
        XCTAssertEqual(resumed.testAccuracy, straight.testAccuracy)
        XCTAssertEqual(resumed.testLoss, straight.testLoss)
        let level = try CheckpointFile.read(levelFile.path)
        XCTAssertEqual(level.parameters.mapValues(\.values), reference.parameters.mapValues(\.values))
        XCTAssertEqual(level.masks.mapValues(\.values), reference.masks.mapValues(\.values))
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
    }

    /// Timings that alternate which path looks faster, measurement by measurement: a
    /// store that measured a situation again (on resume, in another process) would
    /// flip its path. Shared by every store of one run.
    private final class AlternatingTimings: @unchecked Sendable {
        var count = 0
        func next() -> SparseTrainingTiming {
            count += 1
            return count % 2 == 1 ? SparseTrainingTiming(dense: 2, sparse: 1) : SparseTrainingTiming(dense: 1, sparse: 2)
        }
    }

    private final class AlternatingStore: SparseTrainingDecisions, @unchecked Sendable {
        let file: SparseTrainingChoiceFile, timings: AlternatingTimings
        init(_ file: URL, _ timings: AlternatingTimings) {
            self.file = SparseTrainingChoiceFile(file: file, machine: "test")
            self.timings = timings
        }
        func trainsSparsely(_ key: SparseTrainingKey, measure: () -> SparseTrainingTiming) -> Bool {
            file.trainsSparsely(key) { timings.next() }
        }
    }

    /// With measured sparse-training choices, a chain stopped after every epoch and
    /// resumed by new processes (new stores on the same cache file) takes the paths the
    /// first measurement chose and ends bit-identical to an uninterrupted chain.
    func testResumedRunsTakeTheMeasuredPathsOfTheFirstRun() throws {
        let strategy = RetrainingStrategy.preset("lr-rewind", rewindEpoch: 1)!
        func experiment(_ file: URL, _ timings: AlternatingTimings) throws -> Experiment {
            let experiment = try self.experiment()
            experiment.computeConfiguration = ComputeConfiguration(measuredSparseTraining: MeasuredSparseTraining(AlternatingStore(file, timings)))
            return experiment
        }
        let straightTimings = AlternatingTimings(), straightFile = folder.appendingPathComponent("straight-choices.json")
        let straightRun = runFolder(folder.appendingPathComponent("straight"))
        let straight = try experiment(straightFile, straightTimings)
        try DenseTraining(experiment: straight, run: straightRun, seed: 1).run()
        try IterativePruning(experiment: straight, run: straightRun, seed: 1, strategy: strategy, plan: plan).run()
        let choices = SparseTrainingChoiceFile(file: straightFile, machine: "test").stored
        XCTAssertEqual(choices.count, straightTimings.count)
        XCTAssertTrue(choices.contains { $0.sparse } && choices.contains { !$0.sparse }, "both paths were taken")

        let timings = AlternatingTimings(), file = folder.appendingPathComponent("choices.json")
        let root = runFolder(folder.appendingPathComponent("interrupted"))
        XCTAssertGreaterThanOrEqual(try runStoppingAfterEveryEpoch(root, strategy: strategy) { try experiment(file, timings) }, 4)
        XCTAssertEqual(timings.count, straightTimings.count, "each situation measured once")
        XCTAssertEqual(SparseTrainingChoiceFile(file: file, machine: "test").stored.map(\.sparse), choices.map(\.sparse))
        for level in 1...3 {
            let a = try CheckpointFile.read(straightRun.chain(1, strategy.name).level(level).path)
            let b = try CheckpointFile.read(root.chain(1, strategy.name).level(level).path)
            XCTAssertEqual(a.parameters.mapValues { $0.values.map(\.bitPattern) }, b.parameters.mapValues { $0.values.map(\.bitPattern) },
                           "level \(level)")
        }
    }

    func testFinishedLevelsAreSkipped() throws {
        let experiment = try experiment(), run = runFolder()
        try DenseTraining(experiment: experiment, run: run, seed: 0).run()
        let strategy = RetrainingStrategy.preset("fine-tune", rewindEpoch: 1)!
        let chain = IterativePruning(experiment: experiment, run: run, seed: 0, strategy: strategy, plan: plan)
        let first = try chain.run()
        let file = run.chain(0, strategy.name).level(2)
        let stamp = try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as! Date
        let second = try chain.run()
        XCTAssertEqual(first, second)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as! Date, stamp)
    }

    /// A level on disk made from other inputs (here another plan, in the same chain
    /// folder) is retrained, never reused; the same inputs again are skipped.
    func testLevelsOfOtherInputsAreNotReused() throws {
        let experiment = try experiment(), run = runFolder()
        try DenseTraining(experiment: experiment, run: run, seed: 0).run()
        let strategy = RetrainingStrategy.preset("lr-rewind", rewindEpoch: 1)!
        let first = try IterativePruning(experiment: experiment, run: run, seed: 0, strategy: strategy, plan: plan).run()
        var other = plan
        other.rates = [:]
        let second = try IterativePruning(experiment: experiment, run: run, seed: 0, strategy: strategy, plan: other).run()
        XCTAssertNotEqual(first[0].key, second[0].key)
        XCTAssertNotEqual(first[0].layerSparsity["fc3.weight"], second[0].layerSparsity["fc3.weight"])
        XCTAssertEqual(second[0].layerSparsity["fc3.weight"]!, 0.5, accuracy: 1e-12)   // the new plan's rate, not the old 0.25
        let mask = try Mask.from(try CheckpointFile.read(run.chain(0, strategy.name).level(1).path), network: try experiment.makeNetwork())
        XCTAssertEqual(mask.layerSparsity["fc3.weight"]!, 0.5, accuracy: 1e-12)
        // The report reads only records made from the plan it is given.
        let schedule = try IterativePruning(experiment: experiment, run: run, seed: 0, strategy: strategy, plan: plan).levelSchedule()
        XCTAssertEqual(run.finishedRecords(seeds: [0], strategies: [strategy], plan: plan, schedule: schedule).count, 1)   // dense only
    }

    /// A resume point left by other inputs is discarded, not resumed.
    func testResumePointOfOtherInputsIsDiscarded() throws {
        let experiment = try experiment(), run = runFolder()
        try DenseTraining(experiment: experiment, run: run, seed: 0).run()
        let strategy = RetrainingStrategy.preset("fine-tune", rewindEpoch: 1)!
        let chain = IterativePruning(experiment: experiment, run: run, seed: 0, strategy: strategy, plan: plan)
        let reference = try chain.run()[0]
        // A partial file of level 1 made under another key: the dense final weights.
        let partial = run.chain(0, strategy.name).partial(1)
        var foreign = try CheckpointFile.read(run.dense(0, .last).path)
        foreign.epoch = 4
        try CheckpointFile.write(foreign, to: partial.path)
        for level in 1...3 { try FileManager.default.removeItem(at: run.chain(0, strategy.name).record(level)) }
        let again = try chain.run()[0]
        XCTAssertEqual(again.testAccuracy, reference.testAccuracy)
        XCTAssertEqual(again.epochs, reference.epochs)
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
    }

    /// A version-1 record (no key, camelCase) counts only where its surviving
    /// fraction is the one the plan gives its level.
    func testVersionOneRecordsAreCheckedAgainstThePlan() throws {
        let json = #"{"strategy": "lr-rewind", "level": 1, "seed": 0, "weightsRemaining": 0.5, "layerSparsity": {"fc1.weight": 0.5}, "testAccuracy": 0.8, "testLoss": 0.4, "epochs": 2, "seconds": 1.5}"#
        let record = try RecordJSON.decoder().decode(LevelRecord.self, from: Data(json.utf8))
        XCTAssertEqual(record.version, 1)
        XCTAssertNil(record.key)
        XCTAssertEqual(record.testAccuracy, 0.8)
        XCTAssertTrue(record.matches(key: "anything", remaining: 0.5))
        XCTAssertFalse(record.matches(key: "anything", remaining: 0.4))
        var keyed = record
        keyed.key = "abc"
        XCTAssertTrue(keyed.matches(key: "abc", remaining: 0.1))
        XCTAssertFalse(keyed.matches(key: "abd", remaining: 0.5))
        // Written back: version 2, snake_case keys.
        let text = String(decoding: try RecordJSON.encoder(pretty: false).encode(LevelRecord(
            strategy: "dense", level: 0, seed: 0, weightsRemaining: 1, layerSparsity: [:], testAccuracy: 0.9,
            testLoss: .nan, epochs: 3, seconds: 2, key: "k")), as: UTF8.self)
        XCTAssertTrue(text.contains(#""weights_remaining":1"#), text)
        XCTAssertTrue(text.contains(#""test_loss":"NaN""#), text)
        XCTAssertTrue(text.contains(#""version":2"#), text)
    }

    func testMissingDenseCheckpointIsAClearError() throws {
        let experiment = try experiment()
        let chain = IterativePruning(experiment: experiment, run: runFolder(), seed: 0, strategy: RetrainingStrategy.preset("lottery", rewindEpoch: 0)!, plan: plan)
        XCTAssertThrowsError(try chain.run()) { error in
            XCTAssertTrue("\(error)".contains("final.h5"), "\(error)")
            XCTAssertTrue("\(error)".contains("pruning starts from the trained dense network"), "\(error)")
        }
    }

    func testRewindBeyondTrainingIsRejected() {
        XCTAssertThrowsError(try RetrainingStrategy.preset("weight-rewind", rewindEpoch: 5)!.validate(totalEpochs: 3)) { error in
            XCTAssertTrue("\(error)".contains("beyond training"), "\(error)")
        }
    }
}
