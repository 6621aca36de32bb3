import Foundation
import XCTest

/// `rewind eval --path auto` measures which product each pruned layer runs, keeps the
/// choices in `$XDG_CACHE_HOME/rewind/sparse-kernels.json` under this machine's key,
/// reuses them, and survives a damaged cache file (it only saves time).
final class SparseChoiceCacheTests: XCTestCase {
    func testEvalKeepsItsMeasuredChoicesAndSurvivesADamagedCache() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-choices-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        name: choices-tiny
        seeds: [0]
        data: {dataset: synthetic, synthetic: {train: 96, test: 48, classes: 3, side: 6, noise: 1.2}}
        model: lenet-300-100
        train: {optimizer: sgd, lr: 0.05, batch_size: 16, epochs: 1, rewind_epoch: 0}
        """.write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        let environment = ["XDG_CACHE_HOME": folder.appendingPathComponent("cache").path]
        XCTAssertEqual(try RewindProcess.run(["train", "tiny.yaml"], in: folder, environment: environment).status, 0)
        let run = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)[0]
        let prune = try RewindProcess.run(["prune", "--from", "checkpoints/\(run)/seed-0/dense/final.h5", "--to", "0.9",
                                           "--one-shot", "--strategy", "fine-tune", "--epochs", "1", "--out", "pruned.h5"],
                                          in: folder, environment: environment)
        XCTAssertEqual(prune.status, 0, prune.error)

        func evaluate() throws -> [String: Double] {
            let result = try RewindProcess.run(["eval", "--from", "pruned.h5", "--json"], in: folder, environment: environment)
            XCTAssertEqual(result.status, 0, result.error)
            XCTAssertFalse(result.crashed)
            let line = Data((result.output.split(separator: "\n").last ?? "").utf8)
            return try JSONSerialization.jsonObject(with: line) as! [String: Double]
        }
        // A choice measured again may differ (timing), and the two paths round differently.
        func assertSame(_ a: [String: Double], _ b: [String: Double], file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertEqual(a["test_accuracy"], b["test_accuracy"], file: file, line: line)
            XCTAssertEqual(a["test_loss"]!, b["test_loss"]!, accuracy: 1e-5, file: file, line: line)
        }
        let cache = folder.appendingPathComponent("cache/rewind/sparse-kernels.json")
        let first = try evaluate()
        let kept = try JSONSerialization.jsonObject(with: Data(contentsOf: cache)) as! [String: Any]
        let machines = kept["machines"] as! [String: [[String: Any]]]
        XCTAssertEqual(machines.count, 1)
        XCTAssertTrue(machines.keys.first!.contains("| kernels "), "\(machines.keys)")
        // fc1, fc2, fc3 at the test set's batch (48: one batch).
        XCTAssertEqual(machines.values.first!.count, 3)
        let before = try Data(contentsOf: cache)
        XCTAssertEqual(try evaluate(), first, "the same choices, the same numbers")
        XCTAssertEqual(try Data(contentsOf: cache), before, "nothing new measured, nothing rewritten")

        try Data("{ not json".utf8).write(to: cache)
        assertSame(try evaluate(), first)
        XCTAssertNotNil(try? JSONSerialization.jsonObject(with: Data(contentsOf: cache)), "measured again and kept")
    }
}
