import Foundation
import XCTest

/// `rewind compare --slurm` (the plan), `--stage` and `rewind status`, through the
/// built binary; none of these need a running Slurm.
final class SlurmPlanTests: XCTestCase {
    private var tiny: TinyComparison!
    private var rewind: URL!

    override func setUpWithError() throws {
        rewind = try CommandRunner.rewindExecutable()
        tiny = try TinyComparison()
    }

    override func tearDown() { tiny?.remove() }

    func testPlanHasThreeStagesWithAbsolutePathsAndTheResources() throws {
        // Relative folders on the command line become absolute in the scripts.
        let result = try CommandRunner.check(rewind, ["compare", "tiny.yaml", "--slurm", "--checkpoints", "checkpoints",
                                                      "--reports", "reports", "--partition", "short", "--time", "01:30:00",
                                                      "--cpus-per-task", "2", "--mem", "2G"], in: tiny.folder)
        let run = try tiny.runFolder(), slurm = run.appendingPathComponent("slurm")
        let dense = try String(contentsOf: slurm.appendingPathComponent("dense.sbatch"), encoding: .utf8)
        let chains = try String(contentsOf: slurm.appendingPathComponent("chains.sbatch"), encoding: .utf8)
        let report = try String(contentsOf: slurm.appendingPathComponent("report.sbatch"), encoding: .utf8)
        let snapshot = run.appendingPathComponent("recipe.yaml").path

        // Two seeds -> a 2-task dense array; 2 seeds x 2 strategies -> a 4-task chains array.
        XCTAssertTrue(dense.contains("#SBATCH --array=1-2\n"))
        XCTAssertTrue(dense.contains("exec \(rewind.path) compare \(snapshot) --stage dense --shard \"$SLURM_ARRAY_TASK_ID/2\" --checkpoints \(tiny.checkpoints.path) --reports \(tiny.reports.path)\n"))
        XCTAssertTrue(chains.contains("#SBATCH --array=1-4\n"))
        XCTAssertTrue(chains.contains("exec \(rewind.path) compare \(snapshot) --stage chains --shard \"$SLURM_ARRAY_TASK_ID/4\" --checkpoints \(tiny.checkpoints.path) --reports \(tiny.reports.path)\n"))
        XCTAssertTrue(chains.contains("#   task 3: seed 1, fine-tune\n"))
        XCTAssertFalse(report.contains("--array"))
        XCTAssertTrue(report.contains("exec \(rewind.path) report \(run.path) --reports \(tiny.reports.path)\n"))
        for script in [dense, chains, report] {
            for line in ["#SBATCH --requeue", "#SBATCH --partition=short", "#SBATCH --time=01:30:00",
                         "#SBATCH --cpus-per-task=2", "#SBATCH --mem=2G", "#SBATCH --chdir=\(tiny.folder.path)"] {
                XCTAssertTrue(script.contains(line + "\n"), "missing \(line) in:\n\(script)")
            }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: slurm.appendingPathComponent("logs").path))
        XCTAssertEqual(try String(contentsOfFile: snapshot, encoding: .utf8), try String(contentsOf: tiny.recipe, encoding: .utf8))

        // The printed plan ends with the exact sbatch commands, dependencies chained.
        XCTAssertTrue(result.output.contains("dense=$(sbatch --parsable \(slurm.path)/dense.sbatch); dense=${dense%%;*}\n"))
        XCTAssertTrue(result.output.contains("chains=$(sbatch --parsable --dependency=afterok:$dense \(slurm.path)/chains.sbatch)"))
        XCTAssertTrue(result.output.contains("report=$(sbatch --parsable --dependency=afterok:$chains \(slurm.path)/report.sbatch)"))
        let submit = try String(contentsOf: slurm.appendingPathComponent("submit.sh"), encoding: .utf8)
        XCTAssertTrue(submit.contains("chains=$(sbatch --parsable --dependency=afterok:$dense \(slurm.path)/chains.sbatch)"))
        // Planning trains nothing.
        XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("seed-0").path))
    }

    func testSubmitWithoutSbatchIsAOneLineErrorAndWritesNothing() throws {
        let emptyPath = tiny.folder.appendingPathComponent("no-slurm-here")
        try FileManager.default.createDirectory(at: emptyPath, withIntermediateDirectories: true)
        let result = try CommandRunner.run(rewind, ["compare", "tiny.yaml", "--slurm", "--submit"], in: tiny.folder,
                                           environment: ["PATH": emptyPath.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.errors.split(separator: "\n").count, 1, result.errors)
        XCTAssertTrue(result.errors.contains("--submit: sbatch is not on the PATH"), result.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tiny.checkpoints.path))
    }

    func testBadSlurmOptionsAreErrorsNamingTheOption() throws {
        let cases: [([String], String)] = [
            (["--slurm", "--time", "1:75:00"], "--time: expected HH:MM:SS or D-HH:MM:SS"),
            (["--slurm", "--mem", "4X"], "--mem: expected a positive integer with an optional K, M, G or T suffix"),
            (["--slurm", "--cpus-per-task", "0"], "--cpus-per-task: expected a positive integer, got 0"),
            (["--slurm", "--partition", "a b"], "--partition: expected a partition name"),
            (["--submit"], "--submit only applies with --slurm"),
            (["--time", "01:00:00"], "--time only applies with --slurm"),
            (["--slurm", "--shard", "1/2"], "--slurm plans every stage and shard itself; drop --shard"),
            (["--slurm", "--stage", "dense"], "--slurm plans every stage and shard itself; drop --stage"),
            (["--stage", "everything"], "everything"),
        ]
        for (arguments, message) in cases {
            let result = try CommandRunner.run(rewind, ["compare", "tiny.yaml"] + arguments, in: tiny.folder)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.firstErrorLine.contains(message), "\(arguments): \(result.firstErrorLine)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tiny.checkpoints.path))
    }

    /// The stages split the work exactly, and `rewind status` reports what each left.
    func testStagesTrainOnlyTheirSliceAndStatusCountsIt() throws {
        let folders = ["--checkpoints", tiny.checkpoints.path, "--reports", tiny.reports.path]
        // Seed slice 2 of 2 is seed 1: only its dense run appears.
        try CommandRunner.check(rewind, ["compare", tiny.recipe.path, "--stage", "dense", "--shard", "2/2"] + folders)
        let run = try tiny.runFolder()
        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: run.appendingPathComponent(path).path) }
        XCTAssertTrue(exists("seed-1/dense/final.json"))
        XCTAssertFalse(exists("seed-0"))
        XCTAssertFalse(exists("seed-1/fine-tune"))

        // Unit 1 (seed 0, fine-tune) cannot start before seed 0's dense run exists.
        let early = try CommandRunner.run(rewind, ["compare", tiny.recipe.path, "--stage", "chains", "--shard", "1/4"] + folders)
        XCTAssertNotEqual(early.status, 0)
        XCTAssertTrue(early.firstErrorLine.contains("seed 0: the dense run is not finished"), early.firstErrorLine)
        XCTAssertFalse(exists("seed-0/fine-tune"))

        try CommandRunner.check(rewind, ["compare", tiny.recipe.path, "--stage", "dense", "--shard", "1/2"] + folders)
        try CommandRunner.check(rewind, ["compare", tiny.recipe.path, "--stage", "chains", "--shard", "1/4"] + folders)
        XCTAssertTrue(exists("seed-0/fine-tune/level-2.json"))
        XCTAssertFalse(exists("seed-0/lr-rewind"))
        XCTAssertFalse(exists("seed-1/fine-tune"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: tiny.reports.path), "a stage writes no report")

        // A level with a partial checkpoint counts as in progress.
        try FileManager.default.createDirectory(at: run.appendingPathComponent("seed-1/lr-rewind"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: run.appendingPathComponent("seed-0/fine-tune/level-1.h5"),
                                         to: run.appendingPathComponent("seed-1/lr-rewind/level-1.partial.h5"))
        let status = try JSONDecoder().decode(StatusLine.self,
                                              from: Data(try CommandRunner.check(rewind, ["status", run.path, "--json"]).output.utf8))
        XCTAssertEqual(status.recipe, TinyComparison.name)
        XCTAssertEqual(status.levels, 2)
        XCTAssertEqual(status.done, 4)           // 2 dense runs + seed 0 fine-tune's 2 levels
        XCTAssertEqual(status.in_progress, 1)
        XCTAssertEqual(status.missing, 5)
        let chains = Dictionary(uniqueKeysWithValues: status.chains.map { ("\($0.seed) \($0.strategy)", $0) })
        XCTAssertEqual(chains["0 dense"]?.done, [0])
        XCTAssertEqual(chains["0 fine-tune"]?.done, [1, 2])
        XCTAssertEqual(chains["1 lr-rewind"]?.in_progress, [1])
        XCTAssertEqual(chains["1 lr-rewind"]?.missing, [2])
        XCTAssertEqual(chains["0 lr-rewind"]?.missing, [1, 2])
        // 6 levels left at the finished fine-tune levels' pace (no lr-rewind level has finished).
        let fineTune = try XCTUnwrap(chains["0 fine-tune"]).seconds / 2
        XCTAssertEqual(try XCTUnwrap(status.estimated_seconds_left), 6 * fineTune, accuracy: 1e-9)

        let table = try CommandRunner.check(rewind, ["status", run.path]).output
        XCTAssertTrue(table.contains("left: 6 of 10 levels (1 in progress)"), table)
        XCTAssertTrue(table.contains("0     fine-tune  1-2"), table)
    }

    func testStatusOfAFolderWithoutARecipeIsAOneLineError() throws {
        let result = try CommandRunner.run(rewind, ["status", tiny.folder.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.firstErrorLine.contains("\(tiny.folder.path): not a run folder (no recipe.yaml"), result.firstErrorLine)
    }

    /// A cluster folder under a folder others cannot traverse (a `mktemp -d` folder is
    /// 0700) is refused at once, in one line naming that folder, before anything starts.
    func testClusterFolderUnderAPrivateFolderIsRefused() throws {
        let closed = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-private-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: closed) }
        let script = CommandRunner.repository.appendingPathComponent("scripts/slurm-local-cluster.sh")
        let result = try CommandRunner.run(URL(fileURLWithPath: "/bin/bash"),
                                           [script.path, "start", "--dir", closed.appendingPathComponent("cluster").path], timeout: 30)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.errors.contains("the folder \(closed.path) above it has mode 700"), result.errors)
        XCTAssertEqual(result.errors.split(separator: "\n").count, 1, result.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: closed.appendingPathComponent("cluster").path))
    }
}

/// `rewind status --json`, as decoded by the tests.
struct StatusLine: Decodable {
    struct Chain: Decodable {
        let seed: Int
        let strategy: String
        let done: [Int]
        let in_progress: [Int]
        let missing: [Int]
        let seconds: Double
    }

    let recipe: String
    let levels: Int
    let chains: [Chain]
    let done: Int
    let in_progress: Int
    let missing: Int
    let estimated_seconds_left: Double?
}
