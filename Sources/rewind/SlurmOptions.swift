import ArgumentParser

/// `rewind compare --slurm` and its sbatch settings: instead of training, write a
/// plan of Slurm jobs (see `SlurmPlan`) and optionally submit it.
struct SlurmOptions: ParsableArguments {
    @Flag(help: "Write a Slurm plan into <run folder>/slurm/ (dense array, chains array, report job) instead of training here.")
    var slurm = false
    @Flag(help: "With --slurm: submit the plan with sbatch, in order, and print the job ids.")
    var submit = false
    @Option(help: "With --slurm: the partition every job runs in (sbatch --partition).")
    var partition: String?
    @Option(help: "With --slurm: the time limit of each job and array task, HH:MM:SS or D-HH:MM:SS (sbatch --time).")
    var time: String?
    @Option(help: "With --slurm: CPUs per task (sbatch --cpus-per-task; also the task's compute threads).")
    var cpusPerTask: Int?
    @Option(help: "With --slurm: memory of each job and array task, e.g. 4G or 500M (sbatch --mem).")
    var mem: String?

    func validate() throws {
        if !slurm {
            let given = [("--submit", submit), ("--partition", partition != nil), ("--time", time != nil),
                         ("--cpus-per-task", cpusPerTask != nil), ("--mem", mem != nil)].filter(\.1).map(\.0)
            if let first = given.first { throw ValidationError("\(first) only applies with --slurm") }
            return
        }
        if let partition, partition.isEmpty || !partition.allSatisfy({ $0.isLetter || $0.isNumber || "-_.,".contains($0) }) {
            throw ValidationError("--partition: expected a partition name (letters, digits, '-', '_', '.', ','), got '\(partition)'")
        }
        if let time, !Self.isSlurmTime(time) {
            throw ValidationError("--time: expected HH:MM:SS or D-HH:MM:SS (minutes and seconds below 60), got '\(time)'")
        }
        if let cpusPerTask, cpusPerTask < 1 {
            throw ValidationError("--cpus-per-task: expected a positive integer, got \(cpusPerTask)")
        }
        if let mem, !Self.isSlurmMemory(mem) {
            throw ValidationError("--mem: expected a positive integer with an optional K, M, G or T suffix (e.g. 4G), got '\(mem)'")
        }
    }

    /// The sbatch resource settings these options ask for.
    var resources: SlurmPlan.Resources {
        SlurmPlan.Resources(partition: partition, time: time, cpusPerTask: cpusPerTask, memory: mem)
    }

    /// "HH:MM:SS" or "D-HH:MM:SS" with minutes and seconds below 60 (hours may exceed 24).
    static func isSlurmTime(_ text: String) -> Bool {
        var clock = Substring(text)
        if let dash = text.firstIndex(of: "-") {
            guard isDigits(text[..<dash]) else { return false }
            clock = text[text.index(after: dash)...]
        }
        let parts = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy(isDigits), parts[1].count == 2, parts[2].count == 2,
              let minutes = Int(parts[1]), let seconds = Int(parts[2]) else { return false }
        return minutes < 60 && seconds < 60
    }

    /// A positive integer with an optional K, M, G or T suffix ("4G", "500M", "2048").
    static func isSlurmMemory(_ text: String) -> Bool {
        let number = "KMGT".contains(text.last ?? " ") ? text.dropLast() : Substring(text)
        return isDigits(number) && (Int(number) ?? 0) > 0
    }

    private static func isDigits(_ text: Substring) -> Bool { !text.isEmpty && text.allSatisfy(\.isASCII) && text.allSatisfy(\.isNumber) }
}
