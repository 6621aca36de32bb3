import Foundation
import XCTest

/// `rewind prune` as a new user runs it after `rewind train`: its levels are keyed by
/// every input, live beside `--out`, take their options from the stored recipe, and
/// never disturb the comparison's run folder.
final class PruneCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-prune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Seeds 0 and 1 give two different dense networks; the recipe's prune section
    /// (fraction 0.5, fc3 at 0.25, target 0.85) is what `prune` uses unless told otherwise.
    private let recipe = """
    name: prune-tiny
    seeds: [0, 1]
    data: {dataset: synthetic, synthetic: {train: 96, test: 48, classes: 3, side: 5, noise: 1.2}}
    model: lenet-300-100
    train: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch_size: 16, epochs: 2, rewind_epoch: 1}
    prune: {fraction: 0.5, target: 0.85, rates: {fc3.weight: 0.25}}
    retrain: [fine-tune, lr-rewind]
    """

    private func run(_ arguments: [String]) throws -> RewindProcess.Result {
        let result = try RewindProcess.run(arguments, in: folder)
        XCTAssertFalse(result.crashed, "\(arguments) crashed: \(result.error)")
        return result
    }

    private func jsonLines(_ output: String) -> [[String: Any]] {
        output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    private func bytes(_ path: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(path)) }

    func testLevelsAreKeyedByEveryInputAndLiveBesideTheOutput() throws {
        try recipe.write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(["train", "tiny.yaml"]).status, 0)
        let runName = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path).first)
        let a = "checkpoints/\(runName)/seed-0/dense/final.h5", b = "checkpoints/\(runName)/seed-1/dense/final.h5"
        let runFolderBefore = try FileManager.default.subpathsOfDirectory(atPath: folder.appendingPathComponent("checkpoints/\(runName)").path).sorted()

        // 1. A, then B into the same --out: B's levels are B's own, not A's.
        let first = try run(["prune", "--from", a, "--strategy", "fine-tune", "--out", "out.h5", "--json"])
        XCTAssertEqual(first.status, 0, first.error)
        let outA = try bytes("out.h5")
        let second = try run(["prune", "--from", b, "--strategy", "fine-tune", "--out", "out.h5", "--json"])
        XCTAssertEqual(second.status, 0, second.error)
        XCTAssertFalse(second.error.contains("skipped"), second.error)
        XCTAssertNotEqual(try bytes("out.h5"), outA)
        let recordsA = jsonLines(first.output).dropFirst(), recordsB = jsonLines(second.output).dropFirst()
        XCTAssertNotEqual(recordsA.map { $0["key"] as! String }, recordsB.map { $0["key"] as! String })
        XCTAssertNotEqual(recordsA.map { $0["test_loss"] as! Double }, recordsB.map { $0["test_loss"] as! Double })

        // 2. A again with the same inputs: every level is reused, the output is A's again.
        let again = try run(["prune", "--from", a, "--strategy", "fine-tune", "--out", "out.h5", "--json"])
        XCTAssertEqual(again.status, 0, again.error)
        XCTAssertEqual(again.error.components(separatedBy: "finished (skipped)").count - 1, recordsA.count, again.error)
        XCTAssertEqual(jsonLines(again.output).dropFirst().map { $0["test_loss"] as! Double }, recordsA.map { $0["test_loss"] as! Double })

        // 3. A with another option: retrained, not reused.
        let other = try run(["prune", "--from", a, "--strategy", "fine-tune", "--fraction", "0.3", "--out", "out.h5", "--json"])
        XCTAssertEqual(other.status, 0, other.error)
        XCTAssertFalse(other.error.contains("skipped"), other.error)

        // 4. The options in force came from the stored recipe, and the plan line and
        //    the checkpoint both say so.
        let plan = try XCTUnwrap(jsonLines(first.output).first)
        XCTAssertEqual(plan["kind"] as? String, "plan")
        let options = try XCTUnwrap(plan["options"] as? [String: Any])
        XCTAssertEqual(options["fraction"] as? Double, 0.5)
        XCTAssertEqual((options["rates"] as? [String: Double])?["fc3.weight"], 0.25)
        XCTAssertEqual(options["target_sparsity"] as? Double, 0.85)
        XCTAssertEqual((options["sources"] as? [String: String])?["fraction"], "recipe")
        let inspect = try run(["inspect", "out.h5", "--json"])
        XCTAssertEqual(inspect.status, 0, inspect.error)
        XCTAssertTrue(inspect.output.contains("epochs_per_level"), inspect.output)
        XCTAssertEqual(recordsA.last?["weights_remaining"] as! Double, 0.15, accuracy: 1e-3)

        // 5. Levels live beside --out; the comparison's run folder is untouched, so
        //    report, status and compare on it still agree.
        let levels = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("out.levels").path).sorted()
        XCTAssertEqual(levels.count, 3, "\(levels)")                          // A, B, A with fraction 0.3
        XCTAssertTrue(levels.allSatisfy { $0.hasPrefix("fine-tune-") }, "\(levels)")
        XCTAssertEqual(try FileManager.default.subpathsOfDirectory(atPath: folder.appendingPathComponent("checkpoints/\(runName)").path).sorted(),
                       runFolderBefore)
        let compare = try run(["compare", "tiny.yaml"])
        XCTAssertEqual(compare.status, 0, compare.error)
        let status = try run(["status", "checkpoints/\(runName)", "--json"])
        XCTAssertEqual(status.status, 0, status.error)
        let counts = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any])
        XCTAssertEqual(counts["missing"] as? Int, 0)
        XCTAssertEqual(counts["done"] as? Int, 2 * (1 + 2 * 3))
        XCTAssertEqual(try run(["report", "checkpoints/\(runName)"]).status, 0)

        // 6. `report` on a name without its hash lists the run folders it could mean.
        let vague = try run(["report", "checkpoints/prune-tiny"])
        XCTAssertNotEqual(vague.status, 0)
        XCTAssertTrue(vague.error.contains("checkpoints/\(runName)"), vague.error)
    }

    /// A prune that fails on its inputs (here, no rewind point) leaves nothing behind.
    func testFailedPruneLeavesNoFolder() throws {
        try recipe.write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(["train", "tiny.yaml"]).status, 0)
        let runName = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path).first)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("model"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: folder.appendingPathComponent("checkpoints/\(runName)/seed-0/dense/final.h5"),
                                         to: folder.appendingPathComponent("model/model.h5"))
        let result = try run(["prune", "--from", "model/model.h5", "--strategy", "weight-rewind", "--out", "model/pruned.h5"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("rewind.h5: not found"), result.error)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("model").path), ["model.h5"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted(), ["checkpoints", "model", "tiny.yaml"])
    }

    /// `--epochs` shorter than the rest of a replayed schedule is said, not silent.
    func testShortReplayIsWarned() throws {
        let text = recipe.replacingOccurrences(of: "epochs: 2, rewind_epoch: 1", with: "epochs: 4, rewind_epoch: 1, schedule: {kind: multistep, milestones: [3], gamma: 0.1}")
        try text.write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(["train", "tiny.yaml"]).status, 0)
        let runName = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path).first)
        let result = try run(["prune", "--from", "checkpoints/\(runName)/seed-0/dense/final.h5", "--strategy", "lr-rewind",
                              "--epochs", "1", "--one-shot", "--out", "short.h5"])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.error.contains("warning: --epochs 1 replays schedule epochs 1 ..< 2 of 4"), result.error)
        XCTAssertTrue(result.error.contains("planned levels (% weights remaining): 15.0"), result.error)
    }
}
