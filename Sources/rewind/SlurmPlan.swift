import Foundation
import Pruning
import Recipes

/// A comparison as three Slurm jobs, written as sbatch scripts into
/// `<run folder>/slurm/`:
///
///     dense.sbatch   array 1-S, one task per seed:  rewind compare R --stage dense  --shard $SLURM_ARRAY_TASK_ID/S
///     chains.sbatch  array 1-U, one task per unit:  rewind compare R --stage chains --shard $SLURM_ARRAY_TASK_ID/U
///                    submitted with --dependency=afterok:<dense>
///     report.sbatch  one job:                        rewind report RUN_FOLDER, with --dependency=afterok:<chains>
///
/// S is the recipe's seed count and U its (seed, strategies) unit count
/// (`Recipe.chainUnits`), so every array task owns exactly one seed or one unit: no
/// two tasks write the same file, and each dense run is trained once, before the
/// chains that share it. Slurm's array ids run 1...N like `--shard i/N`.
///
/// Every path in the scripts is absolute (the rewind binary, the run folder's
/// recipe.yaml snapshot, the checkpoints and reports folders), and jobs start in the
/// folder the plan was made in, so a recipe's relative data path resolves as it did.
/// Scripts ask for `--requeue`: a task that Slurm requeues (preemption, node failure)
/// or that is resubmitted resumes from its last finished level and epoch.
struct SlurmPlan {
    /// sbatch settings applied to every job (nil: the cluster's default).
    struct Resources {
        var partition: String?
        var time: String?
        var cpusPerTask: Int?
        var memory: String?
    }

    /// One sbatch script of the plan.
    struct Job {
        /// "dense", "chains" or "report" ("stability-dense", ... for `rewind stability`);
        /// also the script's file name stem.
        let stage: String
        /// The script's path.
        let file: URL
        /// Array tasks (nil: a single job).
        let tasks: Int?
        /// The stage whose every task must succeed first (`--dependency=afterok`).
        let after: String?
        /// What the job does, for the printed plan.
        let summary: String
        /// The script text.
        let script: String
        /// The shell variable holding the job's id in the submit lines.
        var variable: String { stage.replacingOccurrences(of: "-", with: "_") }
    }

    /// What one job of a plan runs, before it is written as a script.
    struct Stage {
        let name: String
        let tasks: Int?
        let after: String?
        let summary: String
        /// The script's header comment lines (without "# ").
        let comment: [String]
        /// The command the job execs, its words shell-quoted.
        let command: [String]
    }

    let run: RunFolder
    var runFolder: URL { run.root }
    let jobs: [Job]
    /// The script that submits the jobs in order.
    let submitScript: URL

    /// `<run folder>/slurm/`: the scripts, the submit script and logs/.
    var folder: URL { run.slurmFolder }
    var logs: URL { folder.appendingPathComponent("logs") }

    /// A plan of `stages` in `run`'s slurm folder, each job named rewind-<stage>-`name`,
    /// started in `workingDirectory` with `resources`; `writtenBy` is the command
    /// named in the scripts, `submitName` the submit script's file name.
    init(run: RunFolder, name: String, stages: [Stage], writtenBy: String, submitName: String,
         workingDirectory: URL, resources: Resources) {
        self.run = run
        let folder = run.slurmFolder, logs = folder.appendingPathComponent("logs")
        submitScript = folder.appendingPathComponent(submitName)
        func script(_ stage: Stage) -> String {
            var lines = ["#!/bin/bash"] + stage.comment.map { "# " + $0 }
            lines.append("# Written by `\(writtenBy)`; safe to rerun or requeue: finished work is skipped.")
            var directives = ["--job-name=rewind-\(stage.name)-\(name)", "--requeue", "--open-mode=append",
                              "--chdir=\(workingDirectory.path)"]
            if let tasks = stage.tasks {
                directives += ["--array=1-\(tasks)", "--output=\(logs.path)/\(stage.name)-%A_%a.out"]
            } else {
                directives.append("--output=\(logs.path)/\(stage.name)-%j.out")
            }
            if let partition = resources.partition { directives.append("--partition=\(partition)") }
            if let time = resources.time { directives.append("--time=\(time)") }
            if let cpus = resources.cpusPerTask { directives.append("--cpus-per-task=\(cpus)") }
            if let memory = resources.memory { directives.append("--mem=\(memory)") }
            lines += directives.map { "#SBATCH " + $0 }
            lines += ["set -euo pipefail",
                      "# compute threads: the CPUs Slurm gave this task (1 unless --cpus-per-task).",
                      "export REWIND_THREADS=\"${REWIND_THREADS:-${SLURM_CPUS_PER_TASK:-1}}\"",
                      "exec " + stage.command.joined(separator: " ")]
            return lines.joined(separator: "\n") + "\n"
        }
        jobs = stages.map { stage in
            Job(stage: stage.name, file: folder.appendingPathComponent("\(stage.name).sbatch"), tasks: stage.tasks,
                after: stage.after, summary: stage.summary, script: script(stage))
        }
    }

    /// Plans `recipe`'s comparison in `runFolder` (absolute URLs throughout).
    init(recipe: Recipe, run: RunFolder, checkpoints: URL, reports: URL, executable: URL,
         workingDirectory: URL, resources: Resources) {
        let recipeFile = run.recipeSnapshot
        let folders = ["--checkpoints", shellQuoted(checkpoints.path), "--reports", shellQuoted(reports.path)]
        let rewind = shellQuoted(executable.path)
        let runName = run.root.lastPathComponent, seeds = recipe.seeds, units = recipe.chainUnits
        let seedLines = seeds.enumerated().map { "  task \($0.offset + 1): seed \($0.element)" }
        let unitLines = units.enumerated().map { offset, unit in
            "  task \(offset + 1): seed \(unit.seed), \(unit.strategies.map(\.name).joined(separator: " + "))"
        }
        self.init(run: run, name: recipe.name, stages: [
            Stage(name: "dense", tasks: seeds.count, after: nil, summary: "dense training, one seed per task",
                  comment: ["Rewind plan for \(runName), stage 1 of 3: the dense runs, one seed per array task."] + seedLines,
                  command: [rewind, "compare", shellQuoted(recipeFile.path), "--stage", "dense",
                            "--shard", "\"$SLURM_ARRAY_TASK_ID/\(seeds.count)\""] + folders),
            Stage(name: "chains", tasks: units.count, after: "dense",
                  summary: "pruning-level chains, one (seed, strategies) unit per task",
                  comment: ["Rewind plan for \(runName), stage 2 of 3: the level chains, one (seed, strategies) unit per array task;",
                            "submit with --dependency=afterok:<dense job>."] + unitLines,
                  command: [rewind, "compare", shellQuoted(recipeFile.path), "--stage", "chains",
                            "--shard", "\"$SLURM_ARRAY_TASK_ID/\(units.count)\""] + folders),
            Stage(name: "report", tasks: nil, after: "chains",
                  summary: "rewind report -> \(reports.appendingPathComponent(recipe.name).path)/",
                  comment: ["Rewind plan for \(runName), stage 3 of 3: merge every finished level into the report;",
                            "submit with --dependency=afterok:<chains job>."],
                  command: [rewind, "report", shellQuoted(run.root.path), "--reports", shellQuoted(reports.path)]),
        ], writtenBy: "rewind compare --slurm", submitName: "submit.sh", workingDirectory: workingDirectory, resources: resources)
    }

    /// Writes the scripts (executable), the submit script and the logs folder.
    func write() throws {
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        for job in jobs { try writeScript(job.script, to: job.file) }
        let ids = jobs.map { "\($0.stage) $\($0.variable)" }.joined(separator: ", ")
        let submit = ["#!/bin/bash",
                      "# Submits the Rewind plan for \(runFolder.lastPathComponent) in order and prints the job ids.",
                      "# Rerun it after a failure or cancellation: finished work is skipped.",
                      "set -euo pipefail"] + submitLines + ["echo \"\(ids)\""]
        try writeScript(submit.joined(separator: "\n") + "\n", to: submitScript)
    }

    /// The shell lines that submit the plan, each job's id in a variable named by its
    /// stage (`${x%%;*}` drops the ";cluster" that `sbatch --parsable` may append).
    var submitLines: [String] {
        jobs.map { job in
            let dependency = job.after.map { after in " --dependency=afterok:$" + after.replacingOccurrences(of: "-", with: "_") } ?? ""
            return "\(job.variable)=$(sbatch --parsable\(dependency) \(shellQuoted(job.file.path))); \(job.variable)=${\(job.variable)%%;*}"
        }
    }

    /// The plan as printed by `rewind compare --slurm`: the jobs, then how to submit.
    var description: String {
        var lines = ["Slurm plan for \(runFolder.lastPathComponent) in \(folder.path)/:"]
        let width = jobs.map(\.file.lastPathComponent.count).max() ?? 0
        for (number, job) in jobs.enumerated() {
            let name = job.file.lastPathComponent.padding(toLength: width, withPad: " ", startingAt: 0)
            let shape = job.tasks.map { "array 1-\($0)" } ?? "one job"
            let after = job.after.map { ", after every \($0) task succeeds" } ?? ""
            lines.append("  \(number + 1). \(name)  \(shape): \(job.summary)\(after)")
        }
        lines.append("Submit in order (each job id feeds the next one's dependency):")
        lines += submitLines.map { "  " + $0 }
        lines.append("or run: bash \(shellQuoted(submitScript.path))   (or add --submit to this command)")
        lines.append("Watch progress: rewind status \(shellQuoted(runFolder.path)); logs in \(logs.path)/")
        return lines.joined(separator: "\n")
    }

    private func writeScript(_ text: String, to url: URL) throws {
        try writeAtomically(Data(text.utf8), to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }
}

/// `text` as one shell word: unchanged when it holds only safe characters, else in
/// single quotes (a quote inside becomes '\'').
func shellQuoted(_ text: String) -> String {
    let safe = !text.isEmpty && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+=:,@%".contains($0)) }
    return safe ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
