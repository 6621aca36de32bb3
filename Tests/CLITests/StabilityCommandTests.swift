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

    /// `--slurm`: three scripts in the run folder's slurm/ (a dense array over seeds, a
    /// paths array over (seed, subject, k), the report job), each passing the options on.
    func testSlurmPlanHasThreeStagesWithTheOptions() throws {
        let result = try RewindProcess.run(["stability", "stab.yaml", "--slurm", "--steps", "0,1", "--points", "5", "--level", "1",
                                            "--time", "02:00:00"], in: folder)
        XCTAssertEqual(result.status, 0, result.error)
        let runs = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)
        let run = folder.appendingPathComponent("checkpoints/\(runs[0])").resolvingSymlinksInPath()
        let slurm = run.appendingPathComponent("slurm")
        let dense = try String(contentsOf: slurm.appendingPathComponent("stability-dense.sbatch"), encoding: .utf8)
        let paths = try String(contentsOf: slurm.appendingPathComponent("stability-paths.sbatch"), encoding: .utf8)
        let report = try String(contentsOf: slurm.appendingPathComponent("stability-report.sbatch"), encoding: .utf8)
        let options = "--steps 0,1 --points 5 --threshold 0.02 --level 1 --checkpoints \(folder.appendingPathComponent("checkpoints").resolvingSymlinksInPath().path)"
        XCTAssertTrue(dense.contains("#SBATCH --array=1-1\n"), dense)
        XCTAssertTrue(dense.contains("stability \(run.path)/recipe.yaml --stage dense --shard \"$SLURM_ARRAY_TASK_ID/1\" \(options)"), dense)
        XCTAssertTrue(paths.contains("#SBATCH --array=1-4\n"), paths)          // 1 seed x (dense, level-1) x k = 0, 1
        XCTAssertTrue(paths.contains("#   task 4: seed 0, level-1, k = 1\n"), paths)
        XCTAssertTrue(paths.contains("--stage paths --shard \"$SLURM_ARRAY_TASK_ID/4\" \(options)"), paths)
        XCTAssertFalse(report.contains("--array") || report.contains("--stage"), report)
        XCTAssertTrue(report.contains("#SBATCH --time=02:00:00\n"), report)
        XCTAssertTrue(result.output.contains("stability_paths=$(sbatch --parsable --dependency=afterok:$stability_dense "), result.output)
        XCTAssertTrue(result.output.contains("stability_report=$(sbatch --parsable --dependency=afterok:$stability_paths "), result.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: slurm.appendingPathComponent("stability-submit.sh").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("seed-0").path))   // planning trains nothing
        let mixed = try RewindProcess.run(["stability", "stab.yaml", "--slurm", "--stage", "dense"], in: folder)
        XCTAssertNotEqual(mixed.status, 0)
        XCTAssertTrue(mixed.error.contains("drop --stage"), mixed.error)
    }

    func testStabilityWritesTheReportResolvesAutoOnceAndFeedsCompare() throws {
        // compare cannot guess k.
        let early = try RewindProcess.run(["compare", "stab.yaml"], in: folder)
        XCTAssertNotEqual(early.status, 0)
        XCTAssertTrue(early.error.contains("train.rewind_epoch") && early.error.contains("rewind stability"), early.error)

        // What the Slurm plan runs: the dense stage, the paths in two shards, then the report.
        let first = try RewindProcess.run(["stability", "stab.yaml", "--steps", "0,0.5,1", "--points", "5", "--stage", "paths", "--shard", "1/2"], in: folder)
        XCTAssertNotEqual(first.status, 0)             // paths need the dense stage first
        XCTAssertTrue(first.error.contains("rewind stability stab.yaml --stage dense"), first.error)
        let dense = try RewindProcess.run(["stability", "stab.yaml", "--steps", "0,0.5,1", "--points", "5", "--stage", "dense", "--shard", "1/1"], in: folder)
        XCTAssertEqual(dense.status, 0, dense.error)
        XCTAssertFalse(dense.error.contains("child 0"), dense.error)
        for shard in ["1/2", "2/2"] {
            let part = try RewindProcess.run(["stability", "stab.yaml", "--steps", "0,0.5,1", "--points", "5", "--stage", "paths", "--shard", shard], in: folder)
            XCTAssertEqual(part.status, 0, part.error)
            XCTAssertFalse(part.error.contains("seed 0, dense |"), "a paths shard trained the dense run:\n\(part.error)")
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
