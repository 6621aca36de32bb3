import Foundation

/// Submits a `SlurmPlan` with `sbatch --parsable`, in order, each job depending on
/// the one before (`--dependency=afterok:<id>`), and returns the job ids.
enum SlurmSubmission {
    /// A submitted job: the plan's stage and Slurm's job id.
    struct Submitted {
        let stage: String
        let id: String
    }

    /// `--slurm` of `compare` and `stability`: checks that `--submit` can reach sbatch
    /// (before anything is written), writes the plan `makePlan` gives, then prints it
    /// with the sbatch commands or, with `submit`, submits it and prints the job ids
    /// (one JSON line with `json`); `watch` says how to follow the jobs.
    static func deliver(submit: Bool, json: Bool, watch: String, _ makePlan: () throws -> SlurmPlan) throws {
        let sbatch = findSbatch()
        if submit, sbatch == nil {
            throw CommandFailure("--submit: sbatch is not on the PATH (install Slurm's clients, or drop --submit to only write the plan)")
        }
        let plan = try makePlan()
        try plan.write()
        guard submit, let sbatch else {
            print(plan.description)
            return
        }
        let submitted = try Self.submit(plan, sbatch: sbatch)
        print("submitted \(plan.runFolder.lastPathComponent): " + submitted.map { "\($0.stage) job \($0.id)" }.joined(separator: ", ")
              + "; \(watch)", to: &standardError)
        if json {
            printJSONLine(Dictionary(uniqueKeysWithValues: submitted.map { ($0.stage, $0.id) }))
        } else {
            for job in submitted { print("\(job.stage) \(job.id)") }
        }
    }

    /// `sbatch` on the PATH, or nil when Slurm's clients are not installed here.
    static func findSbatch(path: String? = ProcessInfo.processInfo.environment["PATH"]) -> URL? {
        for folder in (path ?? "").split(separator: ":") where !folder.isEmpty {
            let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent("sbatch")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Submits every job of `plan` with `sbatch`; a failure names the script, sbatch's
    /// message and the jobs already submitted (so they can be cancelled).
    static func submit(_ plan: SlurmPlan, sbatch: URL) throws -> [Submitted] {
        var submitted: [Submitted] = []
        for job in plan.jobs {
            var arguments = ["--parsable"]
            if let after = job.after, let id = submitted.first(where: { $0.stage == after })?.id {
                arguments.append("--dependency=afterok:\(id)")
            }
            arguments.append(job.file.path)
            let (status, output, errors) = try run(sbatch, arguments)
            guard status == 0, let id = parseJobID(output) else {
                let message = errors.split(separator: "\n").first.map(String.init)
                    ?? (status == 0 ? "unexpected output '\(output.trimmingCharacters(in: .whitespacesAndNewlines))'" : "exit status \(status)")
                let earlier = submitted.isEmpty ? "" : "; already submitted: " + submitted.map { "\($0.stage) job \($0.id)" }.joined(separator: ", ")
                    + " (scancel \(submitted.map(\.id).joined(separator: " ")) to withdraw them)"
                throw CommandFailure("sbatch \(job.file.path): \(message)\(earlier)")
            }
            submitted.append(Submitted(stage: job.stage, id: id))
        }
        return submitted
    }

    /// The job id in `sbatch --parsable` output: "1234" or "1234;cluster".
    static func parseJobID(_ output: String) -> String? {
        let line = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let id = line.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return !id.isEmpty && id.allSatisfy(\.isNumber) ? id : nil
    }

    /// Runs `executable` with `arguments`; returns its exit status, standard output and
    /// standard error.
    private static func run(_ executable: URL, _ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // sbatch prints a line or two: reading both pipes to the end cannot deadlock.
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
