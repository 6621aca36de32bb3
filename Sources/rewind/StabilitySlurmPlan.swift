import Foundation
import Pruning
import Recipes

extension SlurmPlan {
    /// `rewind stability --slurm`: three jobs in `<run folder>/slurm/`,
    ///
    ///     stability-dense.sbatch   array 1-S, one seed per task:  rewind stability R --stage dense --shard $SLURM_ARRAY_TASK_ID/S
    ///     stability-paths.sbatch   array 1-U, one (seed, subject, k) per task, after every dense task:
    ///                              rewind stability R --stage paths --shard $SLURM_ARRAY_TASK_ID/U
    ///     stability-report.sbatch  one job, after every path: rewind stability R (retrains nothing; writes the
    ///                              report and resolves rewind_epoch: auto)
    ///
    /// each with the analysis's `options` (`--steps`, `--points`, `--level`, `--threshold`)
    /// and absolute `--checkpoints` and `--reports`; submitted by `stability-submit.sh`.
    init(stability recipe: Recipe, run: RunFolder, units: [String], options: [String], checkpoints: URL, reports: URL,
         executable: URL, workingDirectory: URL, resources: Resources) {
        let command = [shellQuoted(executable.path), "stability", shellQuoted(run.recipeSnapshot.path)]
        let tail = options.map(shellQuoted) + ["--checkpoints", shellQuoted(checkpoints.path), "--reports", shellQuoted(reports.path)]
        let runName = run.root.lastPathComponent, seeds = recipe.seeds
        self.init(run: run, name: recipe.name, stages: [
            Stage(name: "stability-dense", tasks: seeds.count, after: nil,
                  summary: "dense runs (and the sparse subject's mask), one seed per task",
                  comment: ["Rewind stability plan for \(runName), stage 1 of 3: what each seed's paths share."]
                      + seeds.enumerated().map { "  task \($0.offset + 1): seed \($0.element)" },
                  command: command + ["--stage", "dense", "--shard", "\"$SLURM_ARRAY_TASK_ID/\(seeds.count)\""] + tail),
            Stage(name: "stability-paths", tasks: units.count, after: "stability-dense",
                  summary: "two children and the path between them, one (seed, subject, k) per task",
                  comment: ["Rewind stability plan for \(runName), stage 2 of 3: the paths;",
                            "submit with --dependency=afterok:<stability-dense job>."]
                      + units.enumerated().map { "  task \($0.offset + 1): \($0.element)" },
                  command: command + ["--stage", "paths", "--shard", "\"$SLURM_ARRAY_TASK_ID/\(units.count)\""] + tail),
            Stage(name: "stability-report", tasks: nil, after: "stability-paths",
                  summary: "the report -> \(reports.appendingPathComponent(recipe.name).appendingPathComponent("stability").path)/",
                  comment: ["Rewind stability plan for \(runName), stage 3 of 3: the report (and rewind_epoch: auto);",
                            "submit with --dependency=afterok:<stability-paths job>."],
                  command: command + tail),
        ], writtenBy: "rewind stability --slurm", submitName: "stability-submit.sh",
           workingDirectory: workingDirectory, resources: resources)
    }
}
