import Foundation
import XCTest

/// `rewind stability` end to end on a tiny synthetic recipe with `rewind_epoch: auto`.
final class StabilityCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-stability-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
        name: stab-tiny
        data: {dataset: synthetic, synthetic: {train: 128, test: 64, classes: 3, side: 5, noise: 1.2}}
        model: lenet-300-100
        train: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch_size: 16, epochs: 3, rewind_epoch: auto}
        prune: {fraction: 0.5, target: 0.75}
        retrain: [weight-rewind]
        """.write(to: folder.appendingPathComponent("stab.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testStabilityWritesTheReportResolvesAutoOnceAndFeedsCompare() throws {
        // compare cannot guess k.
        let early = try RewindProcess.run(["compare", "stab.yaml"], in: folder)
        XCTAssertNotEqual(early.status, 0)
        XCTAssertTrue(early.error.contains("train.rewind_epoch") && early.error.contains("rewind stability"), early.error)

        let first = try RewindProcess.run(["stability", "stab.yaml", "--steps", "0,0.5,1", "--points", "5", "--shard", "1/2"], in: folder)
        XCTAssertNotEqual(first.status, 0)             // shards need the dense run first
        XCTAssertTrue(first.error.contains("rewind train stab.yaml"), first.error)
        XCTAssertEqual(try RewindProcess.run(["train", "stab.yaml"], in: folder).status, 0)
        for shard in ["1/2", "2/2"] {
            let part = try RewindProcess.run(["stability", "stab.yaml", "--steps", "0,0.5,1", "--points", "5", "--shard", shard], in: folder)
            XCTAssertEqual(part.status, 0, part.error)
        }
        let merged = try RewindProcess.run(["stability", "stab.yaml", "--steps", "0,0.5,1", "--points", "5", "--json"], in: folder)
        XCTAssertEqual(merged.status, 0, merged.error)
        XCTAssertFalse(merged.error.contains("child 0 |"), "the merge retrained a child:\n\(merged.error)")
        let lines = merged.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 5)                 // 3 paths, the summary rows, the report path
        let path = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual((path["test_error"] as! [Double]).count, 5)
        XCTAssertEqual(path["rewind_point"] as? Double, 0)
        let instability = path["test_instability"] as! Double, errors = path["test_error"] as! [Double]
        XCTAssertEqual(instability, errors.max()! - (errors[0] + errors[4]) / 2, accuracy: 1e-12)

        let report = folder.appendingPathComponent("reports/local/stab-tiny/stability")
        for file in ["stability.md", "stability.csv", "stability.json", "stability-dense.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: report.appendingPathComponent(file).path), file)
        }
        let csv = try String(contentsOf: report.appendingPathComponent("stability.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 4)
        let markdown = try String(contentsOf: report.appendingPathComponent("stability.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("rewind_epoch: auto` resolved to"), markdown)

        // Resolved once: recorded, and compare now runs with that k.
        let runs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)
        let choiceFile = folder.appendingPathComponent("checkpoints/\(runs[0])/stability/rewind-epoch.json")
        let choice = try JSONSerialization.jsonObject(with: Data(contentsOf: choiceFile)) as! [String: Any]
        let k = choice["rewind_epoch"] as! Int
        XCTAssertTrue([0, 1].contains(k))
        let again = try RewindProcess.run(["stability", "stab.yaml", "--steps", "1", "--points", "5", "--threshold", "0"], in: folder)
        XCTAssertEqual(again.status, 0, again.error)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(contentsOf: choiceFile)) as! [String: Any])["rewind_epoch"] as? Int, k)
        let compare = try RewindProcess.run(["compare", "stab.yaml", "--json"], in: folder)
        XCTAssertEqual(compare.status, 0, compare.error)
        XCTAssertTrue(compare.output.contains("\"strategy\":\"weight-rewind\""), compare.output)

        // Bad options: one line, non-zero exit.
        let bad = try RewindProcess.run(["stability", "stab.yaml", "--steps", "0,3"], in: folder)
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertFalse(bad.crashed)
        XCTAssertTrue(bad.error.contains("--steps") && bad.error.contains("[0, 3)"), bad.error)
    }
}
