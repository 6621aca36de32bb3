import Foundation
import Pruning
import Recipes
import XCTest

/// `train: {rewind_epoch: auto}`: parsed, resolved from the run folder's recorded
/// choice, and keyed so a level trained with one k is never reused for another.
final class AutoRewindEpochTests: XCTestCase {
    private let text = """
    name: auto
    data: {dataset: synthetic, synthetic: {train: 64, test: 32, classes: 3, side: 4}}
    model: lenet-300-100
    train: {optimizer: sgd, lr: 0.1, batch_size: 16, epochs: 4, rewind_epoch: auto}
    prune: {fraction: 0.5, target: 0.75}
    retrain: [weight-rewind, {lr-rewind: {epoch: 3}}, lottery]
    """

    func testAutoResolvesFromTheRecordedChoiceAndKeepsTheRunFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-auto-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = try Recipe.parse(text, file: "auto.yaml")
        XCTAssertTrue(written.rewindEpochIsAuto)
        XCTAssertFalse(try Recipe.parse(text.replacingOccurrences(of: "auto}", with: "1}"), file: "x").rewindEpochIsAuto)
        let run = written.runFolder(checkpoints: folder)

        // Unresolved: an error naming the file, the key and the command to run, when k is needed.
        XCTAssertThrowsError(try written.resolvingAutoRewindEpoch(in: run, required: true)) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("auto.yaml") && message.contains("train.rewind_epoch") && message.contains("rewind stability"), message)
        }
        XCTAssertEqual(try written.resolvingAutoRewindEpoch(in: run, required: false), written)

        // Recorded: k reaches the strategies that take the recipe's epoch, not the explicit ones.
        let choice = RewindEpochChoice.choose([RewindPoint(epochs: 0): 0.05, RewindPoint(epochs: 2): 0.01],
                                              threshold: 0.02, subject: "dense")!
        _ = try choice.record(in: run)
        let resolved = try written.resolvingAutoRewindEpoch(in: run, required: true)
        XCTAssertEqual(resolved.train.rewindEpoch, 2)
        XCTAssertEqual(resolved.strategies.map(\.rewindEpoch), [2, 3, 0])
        XCTAssertEqual(resolved.strategies[0].learningRate, .replay(fromEpoch: 2))
        // The same run folder as the recipe as written (the analysis and the chains share the dense runs)...
        XCTAssertEqual(resolved.hash, written.hash)
        XCTAssertEqual(resolved.runFolder(checkpoints: folder).root.path, run.root.path)
        // ...and different level keys for different k.
        let plan = resolved.prune!, schedule = try resolved.levelSchedule()
        let keyAt2 = ChainInputs(source: run.source, seed: 0, strategy: resolved.strategies[0], plan: plan).levelKey(1, schedule: schedule)
        let keyAt1 = ChainInputs(source: run.source, seed: 0, strategy: try written.resolvingRewindEpoch(1).strategies[0], plan: plan)
            .levelKey(1, schedule: schedule)
        XCTAssertNotEqual(keyAt2, keyAt1)
        // A k beyond training is refused like a written one.
        XCTAssertThrowsError(try written.resolvingRewindEpoch(4)) { XCTAssertTrue("\($0)".contains("before the end of training"), "\($0)") }
    }
}
