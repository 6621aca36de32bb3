import Foundation
import XCTest

/// `rewind compare --slurm --submit` on a real one-node Slurm cluster (Debian's
/// slurm-wlm, started by scripts/slurm-local-cluster.sh): the merged report must equal
/// a single-process run's, digit for digit, also after a chain task is killed
/// mid-run and the plan is resubmitted. Skipped when not root or when Slurm cannot
/// be installed or started here.
final class SlurmClusterTests: XCTestCase {
    private var rewind: URL!
    private var cluster: LocalSlurmCluster!

    override func setUpWithError() throws {
        rewind = try CommandRunner.rewindExecutable()
        // 4 CPUs declared: the 4 chain tasks run at once (oversubscribing a 2-core machine).
        cluster = try LocalSlurmCluster.start(cpus: 4)
        let cluster = cluster!
        addTeardownBlock { cluster.stop() }
    }

    /// The job ids `rewind compare --slurm --submit --json` printed.
    private struct Submission: Decodable {
        let dense: String, chains: String, report: String
    }

    /// Submits the tiny comparison's plan through the CLI (OpenBLAS on the task's one CPU).
    private func submit(_ tiny: TinyComparison) throws -> Submission {
        let result = try CommandRunner.check(rewind, ["compare", tiny.recipe.path, "--slurm", "--submit", "--json",
                                                      "--checkpoints", tiny.checkpoints.path, "--reports", tiny.reports.path],
                                             in: tiny.folder, environment: cluster.environment.merging(["REWIND_THREADS": nil]) { $1 })
        return try JSONDecoder().decode(Submission.self, from: Data(result.output.utf8))
    }

    /// The finished records of `submission`'s jobs: dense tasks, chain tasks (by task
    /// index), and the report job.
    private func records(of submission: Submission) throws -> (dense: [LocalSlurmCluster.FinishedJob],
                                                               chains: [Int: LocalSlurmCluster.FinishedJob],
                                                               report: LocalSlurmCluster.FinishedJob?) {
        let jobs = try cluster.finishedJobs()
        let chains = jobs.filter { $0.arrayJob == submission.chains }
        return (jobs.filter { $0.arrayJob == submission.dense },
                Dictionary(chains.map { ($0.arrayTask ?? 0, $0) }, uniquingKeysWith: { $1 }),
                jobs.first { $0.id == submission.report })
    }

    private func logs(_ tiny: TinyComparison) -> String {
        guard let run = try? tiny.runFolder() else { return "" }
        let folder = run.appendingPathComponent("slurm/logs")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.sorted() ?? []
        return files.map { name in
            "--- \(name) ---\n" + ((try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? "")
                .split(separator: "\n").suffix(5).joined(separator: "\n")
        }.joined(separator: "\n") + cluster.jobLogs()
    }

    func testSlurmComparisonEqualsTheSingleProcessOne() throws {
        let single = try TinyComparison(), slurm = try TinyComparison()
        defer { single.remove(); slurm.remove() }
        let singleSeconds = try single.runSingleProcess(rewind: rewind)

        let start = Date()
        let submission = try submit(slurm)
        try cluster.waitUntilFinished([submission.dense, submission.chains, submission.report], timeout: 150)
        let slurmSeconds = Date().timeIntervalSince(start)

        let (dense, chains, report) = try records(of: submission)
        XCTAssertEqual(dense.map(\.state), ["COMPLETED", "COMPLETED"], logs(slurm))
        XCTAssertEqual(chains.keys.sorted(), [1, 2, 3, 4])
        XCTAssertEqual(Set(chains.values.map(\.state)), ["COMPLETED"], logs(slurm))
        XCTAssertEqual(report?.state, "COMPLETED", logs(slurm))
        // Same seeds, same numbers: every field but wall time, every digit.
        let expected = try single.levelsTable()
        XCTAssertEqual(expected.count, 1 + 2 + 2 * 2 * 2)   // header, 2 dense rows, 2 seeds x 2 strategies x 2 levels
        XCTAssertEqual(try slurm.levelsTable(), expected)
        print(String(format: "tiny comparison (2 seeds x 2 strategies x 2 levels): single process %.1f s, through Slurm %.1f s (2 + 4 + 1 jobs in 3 dependent stages)",
                     singleSeconds, slurmSeconds))
    }

    func testKilledChainTaskResumesToTheSameResult() throws {
        // 4 levels of 3 retraining epochs per chain: task 1 is still busy after its level 1.
        let single = try TinyComparison(levels: 4, epochs: 4), slurm = try TinyComparison(levels: 4, epochs: 4)
        defer { single.remove(); slurm.remove() }
        _ = try single.runSingleProcess(rewind: rewind)

        let first = try submit(slurm)
        let run = try slurm.runFolder()
        // Kill task 1 (seed 0, fine-tune) with SIGKILL as soon as its level 1 is saved.
        let levelOne = run.appendingPathComponent("seed-0/fine-tune/level-1.json")
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: levelOne.path) {
            guard Date() < deadline else { throw CommandFailed("level 1 of seed 0, fine-tune never appeared\n\(logs(slurm))") }
            usleep(5_000)
        }
        let killed = try cluster.client("scancel", ["--signal=KILL", "\(first.chains)_1"])
        XCTAssertEqual(killed.status, 0, killed.errors)
        try cluster.waitUntilFinished([first.dense, first.chains], timeout: 150)

        // The killed task did not complete, the others did, and the report job waits forever.
        let (_, chains, _) = try records(of: first)
        XCTAssertNotEqual(chains[1]?.state, "COMPLETED", "the kill landed after task 1 had finished")
        print("killed chain task 1 ended \(chains[1]?.state ?? "?") (exit code \(chains[1]?.exitCode ?? "?"))")
        XCTAssertEqual([2, 3, 4].map { chains[$0]?.state }, ["COMPLETED", "COMPLETED", "COMPLETED"], logs(slurm))
        XCTAssertEqual(try cluster.queueState(of: first.report, becoming: "PENDING DependencyNeverSatisfied", timeout: 20),
                       "PENDING DependencyNeverSatisfied")
        try cluster.client("scancel", [first.report])

        // rewind status sees the chain cut short: level 1 done, the last level not.
        let status = try JSONDecoder().decode(StatusLine.self, from: Data(
            try CommandRunner.check(rewind, ["status", run.path, "--json"]).output.utf8))
        let cut = try XCTUnwrap(status.chains.first { $0.seed == 0 && $0.strategy == "fine-tune" })
        XCTAssertTrue(cut.done.contains(1))
        XCTAssertFalse(cut.done.contains(4))
        XCTAssertEqual(cut.done.count + cut.in_progress.count + cut.missing.count, 4)
        XCTAssertEqual(status.done, 2 + 3 * 4 + cut.done.count)

        // Resubmitting the same command resumes: finished work is skipped, the result is the same.
        let second = try submit(slurm)
        try cluster.waitUntilFinished([second.dense, second.chains, second.report], timeout: 150)
        let (dense, resumed, report) = try records(of: second)
        XCTAssertEqual(dense.map(\.state), ["COMPLETED", "COMPLETED"], logs(slurm))
        XCTAssertEqual(Set(resumed.values.map(\.state)), ["COMPLETED"], logs(slurm))
        XCTAssertEqual(report?.state, "COMPLETED", logs(slurm))
        let log = try String(contentsOf: run.appendingPathComponent("slurm/logs/chains-\(second.chains)_1.out"), encoding: .utf8)
        XCTAssertTrue(log.contains("seed 0, fine-tune, level 1: finished (skipped)"), log)
        XCTAssertEqual(try slurm.levelsTable(), try single.levelsTable())
        let after = try JSONDecoder().decode(StatusLine.self, from: Data(
            try CommandRunner.check(rewind, ["status", run.path, "--json"]).output.utf8))
        XCTAssertEqual([after.done, after.in_progress, after.missing], [2 + 4 * 4, 0, 0])
    }
}
