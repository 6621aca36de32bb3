import Foundation
import XCTest

/// A real one-node Slurm cluster for one test, run by scripts/slurm-local-cluster.sh
/// in a fresh folder under the temporary directory. It starts daemons (munged,
/// slurmctld, slurmd) as root, so it runs only when asked: `start` skips the test
/// (XCTSkip, saying how to enable it) unless REWIND_SLURM_TESTS=1 is set, the process
/// is root and Slurm and munge are installed (`.ci/run` does all three). It never
/// installs anything. Call `stop()` on every path (a teardown block), which cancels
/// the jobs and stops the daemons by PID.
final class LocalSlurmCluster {
    let folder: URL
    /// Points Slurm's clients (and, through sbatch, the jobs) at this cluster.
    var environment: [String: String?] { ["SLURM_CONF": folder.appendingPathComponent("slurm.conf").path] }
    private var running = true

    private static let script = CommandRunner.repository.appendingPathComponent("scripts/slurm-local-cluster.sh")

    private init(folder: URL) { self.folder = folder }

    /// Why the Slurm tests cannot run here, or nil when they can.
    static var unavailableReason: String? {
        let enable = "set REWIND_SLURM_TESTS=1 as root with Slurm installed (scripts/slurm-local-cluster.sh install) to run them"
        guard ProcessInfo.processInfo.environment["REWIND_SLURM_TESTS"] == "1" else {
            return "the Slurm tests start munged, slurmctld and slurmd: \(enable)"
        }
        guard getuid() == 0 else { return "the local Slurm cluster needs root (munged and slurmd run as root): \(enable)" }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let missing = ["munged", "slurmctld", "slurmd", "sbatch", "squeue"].filter { tool in
            !path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
        guard missing.isEmpty else { return "Slurm is not installed (missing \(missing.joined(separator: ", "))): \(enable)" }
        return nil
    }

    /// Starts a cluster declaring `cpus` CPUs (more than the machine has oversubscribes it).
    static func start(cpus: Int) throws -> LocalSlurmCluster {
        if let reason = unavailableReason { throw XCTSkip(reason) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-slurm-test-\(UUID().uuidString.prefix(8))")
        let result = try CommandRunner.run(URL(fileURLWithPath: "/bin/bash"),
                                           [script.path, "start", "--dir", folder.path, "--cpus", "\(cpus)"], timeout: 300)
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: folder)
            let reason = result.errors.split(separator: "\n").last.map(String.init) ?? "exit status \(result.status)"
            throw CommandFailed("the local Slurm cluster did not start: \(reason)")
        }
        return LocalSlurmCluster(folder: folder)
    }

    /// Cancels every job, stops the daemons, and removes the cluster's folder.
    func stop() {
        guard running else { return }
        running = false
        _ = try? CommandRunner.run(URL(fileURLWithPath: "/bin/bash"), [Self.script.path, "stop", "--dir", folder.path], timeout: 60)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs a Slurm client (`squeue`, `scancel`, ...) against this cluster.
    @discardableResult
    func client(_ name: String, _ arguments: [String]) throws -> CommandResult {
        try CommandRunner.run(CommandRunner.tool(name), arguments, environment: environment, timeout: 30)
    }

    /// Waits until none of `jobs` (job or array ids) is pending or running any more,
    /// polling `squeue -h -j` every 0.2 s for at most `timeout` seconds.
    func waitUntilFinished(_ jobs: [String], timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let queue = try client("squeue", ["-h", "-j", jobs.joined(separator: ","), "-o", "%i %T %r"])
            if queue.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
            if queue.output.contains("DependencyNeverSatisfied") {
                throw CommandFailed("a job's dependency can never be satisfied:\n\(queue.output)\(jobLogs())")
            }
            usleep(200_000)
        }
        let queue = try? client("squeue", ["-h", "-j", jobs.joined(separator: ",")]).output
        throw CommandFailed("jobs \(jobs) still queued after \(Int(timeout)) s:\n\(queue ?? "")")
    }

    /// `squeue`'s "STATE REASON" for `job` once it equals `expected`, or the last one
    /// seen after `timeout` seconds (the controller re-evaluates dependencies on its
    /// next scheduling pass).
    func queueState(of job: String, becoming expected: String, timeout: Double) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var state = ""
        repeat {
            state = try client("squeue", ["-h", "-j", job, "-o", "%T %r"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            if state == expected { break }
            usleep(200_000)
        } while Date() < deadline
        return state
    }

    /// One finished job (or array task) from the jobcomp file.
    struct FinishedJob: Equatable {
        let id: String
        /// The array job's id and the task's index (nil for a plain job).
        let arrayJob: String?
        let arrayTask: Int?
        let state: String
        let exitCode: String
    }

    /// Every job the controller recorded as finished, in completion order
    /// (`JobCompType=jobcomp/filetxt` writes one `Key=Value ...` line per job).
    func finishedJobs() throws -> [FinishedJob] {
        let file = folder.appendingPathComponent("jobcomp.txt")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { line in
            var fields: [String: String] = [:]
            for pair in line.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            return FinishedJob(id: fields["JobId"] ?? "", arrayJob: fields["ArrayJobId"],
                               arrayTask: fields["ArrayTaskId"].flatMap { Int($0) },
                               state: fields["JobState"] ?? "", exitCode: fields["ExitCode"] ?? "")
        }
    }

    /// The slurmctld log's tail, for failure messages.
    func jobLogs() -> String {
        let log = (try? String(contentsOf: folder.appendingPathComponent("log/slurmctld.log"), encoding: .utf8)) ?? ""
        return "\n--- slurmctld.log (tail) ---\n" + log.split(separator: "\n").suffix(20).joined(separator: "\n")
    }
}
