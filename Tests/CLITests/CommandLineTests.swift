import Foundation
import XCTest

/// The `rewind` tool end to end, as a user runs it: tiny synthetic recipes, real
/// processes, real files.
final class CommandLineTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private let recipe = """
    name: cli-tiny
    seeds: [0, 1]
    data: {dataset: synthetic, synthetic: {train: 192, test: 96, classes: 3, side: 6, noise: 1.2}}
    model: lenet-300-100
    train: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch_size: 16, epochs: 3, rewind_epoch: 1,
            schedule: {kind: multistep, milestones: [2], gamma: 0.1}}
    prune: {fraction: 0.5, target: 0.85, rates: {fc3.weight: 0.25}}
    retrain: [fine-tune, weight-rewind, lr-rewind, lottery, random-reinit]
    """

    private func write(_ text: String, _ name: String) throws -> String {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        return name
    }

    /// The numeric columns of levels.csv that must be reproducible (not the timings).
    private func results(_ root: String) throws -> [String] {
        let text = try String(contentsOf: folder.appendingPathComponent("\(root)/cli-tiny/levels.csv"), encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let header = lines[0].map(String.init)
        let keep = ["strategy", "level", "seed", "weights_remaining", "test_accuracy", "test_loss"].map { header.firstIndex(of: $0)! }
        return lines.dropFirst().map { row in keep.map { String(row[$0]) }.joined(separator: ",") }
    }

    func testCompareIsReproducibleAndSurvivesKillNine() throws {
        let file = try write(recipe, "tiny.yaml")
        let clean = try RewindProcess.run(["compare", file, "--jobs", "1", "--checkpoints", "clean", "--reports", "clean-reports"], in: folder)
        XCTAssertEqual(clean.status, 0, clean.error)
        XCTAssertTrue(clean.output.contains("clean-reports/cli-tiny/report.md"), clean.output)
        let expected = try results("clean-reports")
        XCTAssertEqual(expected.count, 2 * 5 * 3 + 2)                     // seeds x strategies x levels + dense rows

        // Kill -9 at several moments (as soon as a given file appears), rerunning each
        // time; the final numbers must not change.
        let run = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("clean").path).first!
        var kills = 0
        for trigger in ["seed-0/dense/last.h5", "seed-0/fine-tune/level-1.h5", "seed-1/weight-rewind/level-2.partial.h5",
                        "seed-1/random-reinit/level-1.json"] {
            let running = try RewindProcess.start(["compare", file, "--jobs", "1", "--checkpoints", "killed", "--reports", "killed-reports"], in: folder)
            let path = folder.appendingPathComponent("killed/\(run)/\(trigger)").path
            while running.process.isRunning && !FileManager.default.fileExists(atPath: path) { usleep(2_000) }
            if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL); kills += 1 }
            running.process.waitUntilExit()
        }
        let resumed = try RewindProcess.run(["compare", file, "--jobs", "1", "--checkpoints", "killed", "--reports", "killed-reports"], in: folder)
        XCTAssertEqual(resumed.status, 0, resumed.error)
        XCTAssertGreaterThan(kills, 0)
        XCTAssertEqual(try results("killed-reports"), expected)
        // A kill during a write may leave a stale `*.tmp-<pid>` beside its target (safe to delete); the
        // targets themselves are always whole, which the identical results above show.
    }

    /// `compare --jobs 2` (two worker processes, one thread each) gives
    /// bit-identical results to `--jobs 1` with one thread, and a parallel run whose
    /// parent is killed resumes to the same numbers.
    func testParallelCompareEqualsSerial() throws {
        let file = try write(recipe, "tiny.yaml")
        let one = ["REWIND_THREADS": "1"]
        let serial = try RewindProcess.run(["compare", file, "--jobs", "1", "--checkpoints", "serial", "--reports", "serial-reports"],
                                           in: folder, environment: one)
        XCTAssertEqual(serial.status, 0, serial.error)
        let parallel = try RewindProcess.run(["compare", file, "--jobs", "2", "--checkpoints", "parallel", "--reports", "parallel-reports", "--json"],
                                             in: folder, environment: one)
        XCTAssertEqual(parallel.status, 0, parallel.error)
        XCTAssertEqual(try results("parallel-reports"), try results("serial-reports"))
        XCTAssertTrue(parallel.error.contains("[worker 1] "), parallel.error)
        XCTAssertTrue(parallel.error.contains("[worker 2] "), parallel.error)
        // One plan line, then a record per dense run and level, from both workers.
        let lines = parallel.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        XCTAssertEqual(lines.filter { $0.contains("\"kind\":\"plan\"") }.count, 1)
        XCTAssertEqual(lines.filter { $0.contains("\"test_accuracy\"") }.count, 2 * 5 * 3 + 2)

        // Kill -9 the parent mid-chains; its workers stop after their epoch; a rerun finishes the same.
        let run = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("parallel").path).first!
        let running = try RewindProcess.start(["compare", file, "--jobs", "2", "--checkpoints", "killed", "--reports", "killed-reports"],
                                              in: folder, environment: one)
        let trigger = folder.appendingPathComponent("killed/\(run)/seed-0/fine-tune/level-1.h5").path
        while running.process.isRunning && !FileManager.default.fileExists(atPath: trigger) { usleep(2_000) }
        if running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) }
        running.process.waitUntilExit()
        usleep(1_500_000)   // the orphaned workers notice and stop after their current epoch
        let resumed = try RewindProcess.run(["compare", file, "--jobs", "2", "--checkpoints", "killed", "--reports", "killed-reports"],
                                            in: folder, environment: one)
        XCTAssertEqual(resumed.status, 0, resumed.error)
        XCTAssertEqual(try results("killed-reports"), try results("serial-reports"))
    }

    /// Run from another directory, compare says it starts a new run folder there and
    /// points at the recipe's existing one; --dry-run trains and writes nothing.
    func testCompareFromAnotherDirectoryPointsAtTheExistingRun() throws {
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("project/recipes"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("elsewhere"), withIntermediateDirectories: true)
        try recipe.write(to: folder.appendingPathComponent("project/recipes/tiny.yaml"), atomically: true, encoding: .utf8)
        let here = try RewindProcess.run(["compare", "recipes/tiny.yaml", "--dry-run"], in: folder.appendingPathComponent("project"))
        XCTAssertEqual(here.status, 0, here.error)
        XCTAssertTrue(here.error.contains("planned levels (% weights remaining): 50.2, 25.2, 15.0"), here.error)
        let runLine = try XCTUnwrap(here.error.split(separator: "\n").first { $0.hasPrefix("run folder: ") })
        XCTAssertTrue(runLine.hasSuffix("(new)"), String(runLine))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("project/checkpoints").path), "dry run wrote nothing")
        let runPath = String(runLine.dropFirst("run folder: ".count).dropLast(" (new)".count))
        try FileManager.default.createDirectory(atPath: runPath, withIntermediateDirectories: true)
        let there = try RewindProcess.run(["compare", "../project/recipes/tiny.yaml", "--dry-run"], in: folder.appendingPathComponent("elsewhere"))
        XCTAssertEqual(there.status, 0, there.error)
        XCTAssertTrue(there.error.contains("note: this recipe already has a run folder at \(runPath)"), there.error)
    }

    func testTrainPruneExportEvalInspect() throws {
        let file = try write(recipe, "tiny.yaml")
        let train = try RewindProcess.run(["train", file, "--json"], in: folder)
        XCTAssertEqual(train.status, 0, train.error)
        let summary = try JSONSerialization.jsonObject(with: Data(train.output.split(separator: "\n").last!.utf8)) as! [String: Any]
        XCTAssertGreaterThan(summary["test_accuracy"] as! Double, 0.6)
        let final = summary["checkpoint"] as! String
        XCTAssertTrue(final.hasSuffix("seed-0/dense/final.h5"), final)

        let prune = try RewindProcess.run(["prune", "--from", final, "--to", "0.9", "--fraction", "0.5", "--strategy", "lr-rewind",
                                           "--out", "pruned.h5", "--json"], in: folder)
        XCTAssertEqual(prune.status, 0, prune.error)
        let lines = prune.output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        // The plan first, then one record per level: 50%, 25%, then 10% (a last cut
        // from 12.5% to 10% would be under half a level, so it is folded in).
        XCTAssertEqual(lines.first?["kind"] as? String, "plan")
        let planned = try XCTUnwrap(lines.first?["weights_remaining"] as? [Double])
        let levels = Array(lines.dropFirst())
        XCTAssertEqual(planned.count, 3)
        XCTAssertEqual(levels.count, planned.count)
        XCTAssertEqual(levels.map { $0["weights_remaining"] as! Double }, planned)
        XCTAssertEqual(levels.last!["weights_remaining"] as! Double, 0.1, accuracy: 1e-4)

        let export = try RewindProcess.run(["export", "--from", "pruned.h5", "--sparse", "--out", "pruned-sparse.h5"], in: folder)
        XCTAssertEqual(export.status, 0, export.error)
        let denseBytes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("pruned.h5").path)[.size] as! Int
        let sparseBytes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("pruned-sparse.h5").path)[.size] as! Int
        XCTAssertLessThan(sparseBytes, denseBytes / 2)

        func evaluation(_ file: String, _ extra: [String] = []) throws -> [String: Double] {
            let result = try RewindProcess.run(["eval", "--from", file, "--json"] + extra, in: folder)
            XCTAssertEqual(result.status, 0, result.error)
            return try JSONSerialization.jsonObject(with: Data(result.output.split(separator: "\n").last!.utf8)) as! [String: Double]
        }
        let dense = try evaluation("pruned.h5", ["--path", "dense"])
        let sparse = try evaluation("pruned-sparse.h5", ["--path", "sparse"])
        XCTAssertEqual(dense["test_accuracy"], sparse["test_accuracy"])
        XCTAssertEqual(dense["test_loss"]!, sparse["test_loss"]!, accuracy: 1e-5)
        XCTAssertEqual(sparse["sparsity"]!, 0.9, accuracy: 1e-4)

        let inspect = try RewindProcess.run(["inspect", "pruned-sparse.h5", "--json"], in: folder)
        XCTAssertEqual(inspect.status, 0, inspect.error)
        let info = try JSONSerialization.jsonObject(with: Data(inspect.output.utf8)) as! [String: Any]
        XCTAssertEqual(info["sparsity"] as! Double, 0.9, accuracy: 1e-4)
        XCTAssertEqual((info["tensors"] as! [[String: Any]]).count, 6)
    }

    func testBadInputIsOneLineErrorWithNonZeroExitAndNoDamage() throws {
        let good = try write(recipe, "good.yaml")
        XCTAssertEqual(try RewindProcess.run(["train", good], in: folder).status, 0)
        let final = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("checkpoints").path)
            .map { "checkpoints/\($0)/seed-0/dense/final.h5" }.first!
        let before = try Data(contentsOf: folder.appendingPathComponent(final))

        try Data("not hdf5 at all".utf8).write(to: folder.appendingPathComponent("junk.h5"))
        let truncated = before.prefix(before.count / 2)
        try truncated.write(to: folder.appendingPathComponent("truncated.h5"))
        let cases: [([String], String)] = [
            (["train", try write(recipe.replacingOccurrences(of: "lr: 0.05", with: "lr: -1"), "neg.yaml")], "neg.yaml:5: train.lr"),
            (["train", try write(recipe.replacingOccurrences(of: "batch_size: 16", with: "batch_size: 0"), "zero.yaml")], "train.batch_size"),
            (["train", try write(recipe + "\nextra: 1", "extra.yaml")], "extra: unknown key"),
            (["eval", "--from", "junk.h5"], "junk.h5: not an HDF5 file"),
            (["eval", "--from", "truncated.h5"], "truncated.h5"),
            (["eval", "--from", "missing.h5"], "missing.h5"),
            (["inspect", "junk.h5"], "junk.h5"),
            (["prune", "--from", final, "--to", "0.9", "--strategy", "weight-rewind", "--rewind-epoch", "7", "--out", "x.h5"], "beyond training"),
            (["export", "--from", final, "--sparse", "--out", "no/such/folder/x.h5"], "no/such/folder"),
            (["prune", "--from", "junk.h5", "--to", "0.9", "--strategy", "lottery", "--out", "x.h5"], "junk.h5"),
        ]
        for (arguments, words) in cases {
            let result = try RewindProcess.run(arguments, in: folder)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertFalse(result.crashed, "\(arguments) crashed: \(result.error)")
            let lines = result.error.split(separator: "\n").filter { $0.hasPrefix("Error:") }
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.error)")
            XCTAssertTrue(result.error.contains(words), "\(arguments): \(result.error)")
        }
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent(final)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.h5").path))
    }
}
