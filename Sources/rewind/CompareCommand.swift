import ArgumentParser
import Engine
import Foundation
import Pruning
import Recipes
import Reports

/// `rewind compare RECIPE`: dense training per seed, then every strategy's chain of
/// pruning levels per seed (sharing the dense runs), then the report.
///
/// `--stage` and `--shard` split that work between processes sharing one run folder;
/// `--slurm` writes (and with `--submit` submits) a Slurm plan that does the split
/// with job arrays (see `SlurmPlan`).
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare retraining strategies at every pruning level over the recipe's seeds, and write the report.",
        discussion: """
        Resumable: rerun the same command after an interruption and finished levels are skipped.
        On a Slurm cluster: rewind compare RECIPE --slurm --submit, then rewind status RUN_FOLDER.
        """)

    @Argument(help: "The recipe (YAML).") var recipe: String
    @Option(help: "Run only slice i of n (of the seeds with --stage dense, else of the (seed, strategy) chains, balanced by retraining epochs), e.g. 2/4; then merge with `rewind report`.")
    var shard: String?
    @Option(help: "dense: only the dense runs; chains: only the level chains (their dense runs must be finished); all (the default): both, then the report.")
    var stage: CompareStage?
    @Option(help: "Folder of run folders.") var checkpoints = "checkpoints"
    @Option(help: "Folder of report folders.") var reports = "reports"
    @Flag(help: "Print one JSON line per finished level (with --slurm --submit: one line with the job ids).") var json = false
    @OptionGroup(title: "Slurm") var slurm: SlurmOptions

    func validate() throws {
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard: expected i/n with 1 <= i <= n, got '\(shard)'")
        }
        if slurm.slurm, shard != nil || stage != nil {
            throw ValidationError("--slurm plans every stage and shard itself; drop \(shard != nil ? "--shard" : "--stage")")
        }
    }

    func run() throws {
        let recipe = try Recipe.load(path: self.recipe)
        guard let plan = recipe.prune, !recipe.strategies.isEmpty else {
            throw CommandFailure("\(self.recipe): compare needs prune and retrain sections (use `rewind train` for dense training only)")
        }
        if slurm.slurm { return try planSlurm(recipe) }
        try compare(recipe, plan: plan, stage: stage ?? .all, slice: shard.flatMap(Shard.init))
    }

    /// Trains this process's part of the comparison: `stage`, restricted to `slice`.
    private func compare(_ recipe: Recipe, plan: PruningPlan, stage: CompareStage, slice: Shard?) throws {
        let observer = ProgressPrinter()
        let experiment = try recipe.makeExperiment(checkpoints: URL(fileURLWithPath: checkpoints), observer: observer)
        experiment.computeConfiguration = try makeComputeConfiguration()
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested }
        let layout = experiment.layout
        try recipe.saveSnapshot(in: layout.root)

        let levels = try recipe.levelSchedule()
        let units = stage == .dense ? [] : slice?.slice(recipe.chainUnits, cost: recipe.retrainEpochsPerLevel) ?? recipe.chainUnits
        let seeds: [UInt64]
        switch stage {
        case .dense: seeds = slice?.slice(recipe.seeds) ?? recipe.seeds
        case .chains: seeds = []
        case .all: seeds = Array(Set(units.map(\.seed))).sorted()
        }
        if stage == .chains {
            for seed in Set(units.map(\.seed)).sorted() where !FileManager.default.fileExists(atPath: layout.denseRecord(seed).path) {
                throw CommandFailure("seed \(seed): the dense run is not finished (no \(layout.denseRecord(seed).path)); run `rewind compare \(self.recipe) --stage dense` first")
            }
        }
        observer.totalUnits = seeds.count + units.reduce(0) { $0 + $1.strategies.count } * levels.count
        let part = [stage == .all ? nil : "\(stage.rawValue) stage", slice.map { "shard \($0)" }].compactMap { $0 }
        print("\(recipe.name): \(recipe.architecture.model), seeds \(recipe.seeds.map(String.init).joined(separator: ", ")), strategies \(recipe.strategies.map(\.name).joined(separator: ", ")), \(levels.count) levels to \(String(format: "%.2f", levels.last.map { $0 * 100 } ?? 100))% weights remaining\(part.isEmpty ? "" : ", " + part.joined(separator: ", "))", to: &standardError)
        print("run folder: \(layout.root.path)", to: &standardError)

        let clock = ContinuousClock(), start = clock.now
        for seed in seeds {
            let row = try DenseTraining(experiment: experiment, seed: seed).run()
            if json { printJSONLine(LevelLine(row)) }
        }
        for unit in units {
            for strategy in unit.strategies {
                let chain = IterativePruning(experiment: experiment, seed: unit.seed, strategy: strategy, plan: plan)
                for level in 1...levels.count {
                    let row = try chain.runLevel(level)
                    if json { printJSONLine(LevelLine(row)) }
                }
            }
        }
        let seconds = (clock.now - start).seconds
        if stage != .all || slice != nil {
            print("\(part.joined(separator: ", ")) finished in \(formatDuration(seconds)); when every part is done: rewind report \(layout.root.path)", to: &standardError)
            return
        }
        let written = try ReportCommand.writeReport(runFolder: layout.root, reports: URL(fileURLWithPath: reports))
        print("report: \(written.path)/report.md (\(formatDuration(seconds)) this run)", to: &standardError)
        print(written.appendingPathComponent(ReportWriter.markdownFile).path)
    }

    /// `--slurm`: writes the plan into the run folder (with the recipe snapshot its jobs
    /// read), then prints it with the sbatch commands, or submits it (`--submit`).
    private func planSlurm(_ recipe: Recipe) throws {
        let sbatch = SlurmSubmission.findSbatch()
        if slurm.submit, sbatch == nil {
            throw CommandFailure("--submit: sbatch is not on the PATH (install Slurm's clients, or drop --submit to only write the plan)")
        }
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let checkpoints = URL(fileURLWithPath: self.checkpoints, relativeTo: here).standardizedFileURL
        let reports = URL(fileURLWithPath: self.reports, relativeTo: here).standardizedFileURL
        let runFolder = recipe.runFolder(checkpoints: checkpoints)
        try recipe.saveSnapshot(in: runFolder)
        let plan = SlurmPlan(recipe: recipe, runFolder: runFolder, checkpoints: checkpoints, reports: reports,
                             executable: currentExecutable(), workingDirectory: here, resources: slurm.resources)
        try plan.write()
        guard slurm.submit, let sbatch else {
            print(plan.description)
            return
        }
        let submitted = try SlurmSubmission.submit(plan, sbatch: sbatch)
        print("submitted \(runFolder.lastPathComponent): " + submitted.map { "\($0.stage) job \($0.id)" }.joined(separator: ", ")
              + "; watch with: rewind status \(shellQuoted(runFolder.path))", to: &standardError)
        if json {
            printJSONLine(Dictionary(uniqueKeysWithValues: submitted.map { ($0.stage, $0.id) }))
        } else {
            for job in submitted { print("\(job.stage) \(job.id)") }
        }
    }
}

/// The absolute path of the running `rewind` binary (what Slurm jobs run).
func currentExecutable() -> URL {
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        return URL(fileURLWithPath: target)
    }
    return URL(fileURLWithPath: CommandLine.arguments[0], relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        .standardizedFileURL
}

/// One JSON line per finished level (`--json`).
struct LevelLine: Encodable {
    let strategy: String, seed: Int, level: Int, weights_remaining: Double, test_accuracy: Double, test_loss: Double, seconds: Double
    init(_ row: ResultRow) {
        strategy = row.strategy; seed = row.seed; level = row.level; weights_remaining = row.weightsRemaining
        test_accuracy = row.testAccuracy; test_loss = row.testLoss; seconds = row.seconds
    }
}
