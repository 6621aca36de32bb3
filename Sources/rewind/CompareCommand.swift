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
    @Option(help: "Folder of report folders (the report goes to <reports>/<recipe name>/).") var reports = ReportCommand.defaultReports
    @Flag(help: "Print JSON lines: first the plan ({\"kind\": \"plan\", ...}), then each finished level's record, as written beside it (with --slurm --submit: one line with the job ids).")
    var json = false
    @Flag(name: .customLong("dry-run"), help: "Print the planned levels and the run folder, and train nothing.")
    var dryRun = false
    @Option(help: "Worker processes running independent chains (and dense runs of different seeds) at once, each with REWIND_THREADS threads (default: cores / jobs). Default: one per core. 1 runs everything in this process.")
    var jobs: Int?
    @Flag(help: .hidden) var worker = false
    @OptionGroup(title: "Slurm") var slurm: SlurmOptions

    func validate() throws {
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard: expected i/n with 1 <= i <= n, got '\(shard)'")
        }
        if slurm.slurm, shard != nil || stage != nil {
            throw ValidationError("--slurm plans every stage and shard itself; drop \(shard != nil ? "--shard" : "--stage")")
        }
        if let jobs {
            guard jobs >= 1, jobs <= 256 else { throw ValidationError("--jobs: expected a number of workers from 1 to 256, got \(jobs)") }
            if jobs > 1, shard != nil || stage != nil || slurm.slurm {
                throw ValidationError("--jobs runs the stages and shards itself; drop \(slurm.slurm ? "--slurm" : shard != nil ? "--shard" : "--stage") (or use --jobs 1)")
            }
        }
    }

    /// Worker processes: --jobs, else one per core for a whole comparison (a --stage or
    /// --shard run is one worker's part already).
    private var workerCount: Int {
        if let jobs { return jobs }
        return stage == nil && shard == nil && !worker ? ProcessInfo.processInfo.activeProcessorCount : 1
    }

    func run() throws {
        let written = try Recipe.load(path: self.recipe)
        let recipe = try written.resolvingAutoRewindEpoch(in: written.runFolder(checkpoints: URL(fileURLWithPath: checkpoints)),
                                                          required: !slurm.slurm && !dryRun && stage != .dense)
        guard let plan = recipe.prune, !recipe.strategies.isEmpty else {
            throw CommandFailure("\(self.recipe): compare needs prune and retrain sections (use `rewind train` for dense training only)")
        }
        try OutputLocation.checkFolder(checkpoints, option: "--checkpoints")
        try OutputLocation.checkFolder(reports, option: "--reports")
        if slurm.slurm { return try planSlurm(recipe) }
        if worker { return try serveTasks(recipe, plan: plan) }
        if workerCount > 1 { return try compareInParallel(recipe, workers: workerCount) }
        try compare(recipe, plan: plan, stage: stage ?? .all, slice: shard.flatMap(Shard.init))
    }

    /// The whole comparison with `workers` processes (`WorkerPool`), then the report here.
    private func compareInParallel(_ recipe: Recipe, workers: Int) throws {
        let run = recipe.runFolder(checkpoints: URL(fileURLWithPath: checkpoints))
        let levels = try recipe.levelSchedule()
        let threads = ProcessInfo.processInfo.environment["REWIND_THREADS"].flatMap { Int($0) }
            ?? max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
        announce(recipe, run: run, levels: levels,
                 part: ["\(workers) worker processes with \(threads) thread\(threads == 1 ? "" : "s") each"])
        if dryRun { return }
        try recipe.saveSnapshot(in: run)
        let stop = installInterruptHandler()
        let clock = ContinuousClock(), start = clock.now
        let tasks = try ComparisonTasks(recipe: recipe, run: run)
        if !tasks.isComplete {
            let pool = WorkerPool(arguments: [self.recipe, "--checkpoints", checkpoints, "--reports", reports],
                                  threadsPerWorker: threads, json: json, tasks: tasks)
            try pool.run(count: workers, stop: stop)
        }
        let seconds = (clock.now - start).seconds
        let written = try ReportCommand.writeReport(run: run, recipe: recipe, reports: URL(fileURLWithPath: reports))
        print("report: \(written.path)/report.md (\(formatDuration(seconds)) this run, \(workers) workers)", to: &standardError)
        print(written.appendingPathComponent(ReportWriter.markdownFile).path)
    }

    /// `--worker`: runs the tasks read from standard input, one per line, printing each
    /// one's record on standard output, until the input closes (see `WorkerPool`).
    private func serveTasks(_ recipe: Recipe, plan: PruningPlan) throws {
        let run = recipe.runFolder(checkpoints: URL(fileURLWithPath: checkpoints))
        let levels = try recipe.levelSchedule()
        let experiment = try recipe.makeExperiment(observer: ProgressPrinter())
        experiment.computeConfiguration = try makeComputeConfiguration()
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested || parentDied() }
        while let line = readLine() {
            guard let task = ComparisonTask(line: line) else { throw CommandFailure("--worker: not a task: '\(line)'") }
            let record: LevelRecord
            switch task {
            case .dense(let seed):
                record = try DenseTraining(experiment: experiment, run: run, seed: seed).run()
            case let .level(seed, name, level):
                guard let strategy = recipe.strategies.first(where: { $0.name == name }) else {
                    throw CommandFailure("--worker: strategy '\(name)' is not in the recipe")
                }
                record = try IterativePruning(experiment: experiment, run: run, seed: seed, strategy: strategy, plan: plan)
                    .runLevel(level, schedule: levels)
            }
            printJSONLine(record)
        }
    }

    /// The run's header on standard error (and the plan line with --json).
    private func announce(_ recipe: Recipe, run: RunFolder, levels: [Double], part: [String]) {
        print("\(recipe.name): \(recipe.architecture.model), seeds \(recipe.seeds.map(String.init).joined(separator: ", ")), strategies \(recipe.strategies.map(\.name).joined(separator: ", ")), \(levels.count) levels to \(String(format: "%.2f", levels.last.map { $0 * 100 } ?? 100))% weights remaining\(part.isEmpty ? "" : ", " + part.joined(separator: ", "))", to: &standardError)
        print("planned levels (% weights remaining): \(PlannedLevels.text(levels))", to: &standardError)
        print(RunFolderNotice.describe(run, recipe: recipe, recipePath: self.recipe), to: &standardError)
        if json { printJSONLine(PlannedLevels(strategies: recipe.strategies.map(\.name), remaining: levels)) }
    }

    /// Trains this process's part of the comparison: `stage`, restricted to `slice`.
    private func compare(_ recipe: Recipe, plan: PruningPlan, stage: CompareStage, slice: Shard?) throws {
        let observer = ProgressPrinter()
        let run = recipe.runFolder(checkpoints: URL(fileURLWithPath: checkpoints))
        let levels = try recipe.levelSchedule()
        let units = stage == .dense ? [] : slice?.slice(recipe.chainUnits, cost: recipe.retrainEpochsPerLevel) ?? recipe.chainUnits
        let seeds: [UInt64]
        switch stage {
        case .dense: seeds = slice?.slice(recipe.seeds) ?? recipe.seeds
        case .chains: seeds = []
        case .all: seeds = Array(Set(units.map(\.seed))).sorted()
        }
        if stage == .chains {
            for seed in Set(units.map(\.seed)).sorted() where run.finishedDense(seed) == nil {
                throw CommandFailure("seed \(seed): the dense run is not finished (no \(run.denseRecord(seed).path)); run `rewind compare \(self.recipe) --stage dense` first")
            }
        }
        let part = [stage == .all ? nil : "\(stage.rawValue) stage", slice.map { "shard \($0)" }].compactMap { $0 }
        announce(recipe, run: run, levels: levels, part: part)
        if dryRun { return }

        let experiment = try recipe.makeExperiment(observer: observer)
        experiment.computeConfiguration = try makeComputeConfiguration()
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested || parentDied() }
        try recipe.saveSnapshot(in: run)
        observer.totalUnits = seeds.count + units.reduce(0) { $0 + $1.strategies.count } * levels.count

        let clock = ContinuousClock(), start = clock.now
        for seed in seeds {
            let record = try DenseTraining(experiment: experiment, run: run, seed: seed).run()
            if json { printJSONLine(record) }
        }
        for unit in units {
            for strategy in unit.strategies {
                let chain = IterativePruning(experiment: experiment, run: run, seed: unit.seed, strategy: strategy, plan: plan)
                for level in 1...levels.count {
                    let record = try chain.runLevel(level, schedule: levels)
                    if json { printJSONLine(record) }
                }
            }
        }
        let seconds = (clock.now - start).seconds
        if stage != .all || slice != nil {
            print("\(part.joined(separator: ", ")) finished in \(formatDuration(seconds)); when every part is done: rewind report \(run.root.path)", to: &standardError)
            return
        }
        let written = try ReportCommand.writeReport(run: run, recipe: recipe, reports: URL(fileURLWithPath: reports))
        print("report: \(written.path)/report.md (\(formatDuration(seconds)) this run)", to: &standardError)
        print(written.appendingPathComponent(ReportWriter.markdownFile).path)
    }

    /// `--slurm`: writes the plan into the run folder (with the recipe snapshot its jobs
    /// read), then prints it with the sbatch commands, or submits it (`--submit`).
    private func planSlurm(_ recipe: Recipe) throws {
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let checkpoints = URL(fileURLWithPath: self.checkpoints, relativeTo: here).standardizedFileURL
        let reports = URL(fileURLWithPath: self.reports, relativeTo: here).standardizedFileURL
        let run = recipe.runFolder(checkpoints: checkpoints)
        try SlurmSubmission.deliver(submit: slurm.submit, json: json, watch: "watch with: rewind status \(shellQuoted(run.root.path))") {
            try recipe.saveSnapshot(in: run)
            return SlurmPlan(recipe: recipe, run: run, checkpoints: checkpoints, reports: reports,
                             executable: currentExecutable(), workingDirectory: here, resources: slurm.resources)
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
