import ArgumentParser
import Engine
import Foundation
import Pruning
import Recipes
import Reports

/// `rewind stability RECIPE`: the linear mode connectivity analysis of Frankle et al.
/// (2020) at candidate rewind points k, and the rewind point it recommends (see
/// `StabilityAnalysis` and docs/stability.md). Resumable; `--stage` and `--shard i/n`
/// split the work between processes sharing the run folder, and `--slurm` plans that
/// split as Slurm jobs (`SlurmPlan.init(stability:...)`).
struct StabilityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stability",
        abstract: "Measure linear mode connectivity at candidate rewind points k and recommend the earliest stable k.",
        discussion: """
        For each k, two copies of the network at k are trained to the end on different data orders; the test error
        along the line between them, minus the mean of its ends, is the instability. Reports go to
        <reports>/<recipe name>/stability/. With `rewind_epoch: auto` in the recipe, the first finished analysis
        resolves it (once; recorded in the run folder).
        """)

    @Argument(help: "The recipe (YAML).") var recipe: String
    @Option(help: "Candidate rewind points in epochs, comma-separated (default: 0,0.25,0.5,1,2, those before the end of training).")
    var steps: String?
    @Option(help: "Points on each path, endpoints included.") var points = 31
    @Option(help: "Also analyse the IMP subnetwork of this pruning level (the lottery chain's mask; trained if missing).")
    var level: Int?
    @Option(help: "Largest instability (fraction of test error) that counts as stable.") var threshold = 0.02
    @Option(help: "Run only slice i of n (of the seeds with --stage dense, else of the (seed, subject, k) units), e.g. 2/4; then rerun without --shard for the report.")
    var shard: String?
    @Option(help: "dense: only what each seed's paths share (dense run, --level's mask); paths: only the paths (their seeds' dense stage must be finished); all (the default): both, then the report.")
    var stage: StabilityStage?
    @Option(help: "Folder of run folders.") var checkpoints = "checkpoints"
    @Option(help: "Folder of report folders (the report goes to <reports>/<recipe name>/stability/).") var reports = ReportCommand.defaultReports
    @Flag(help: "Print each finished path as a JSON line (interpolation.json's keys), then the summary rows.") var json = false
    @OptionGroup(title: "Slurm") var slurm: SlurmOptions

    func validate() throws {
        if points < 2 { throw ValidationError("--points: expected at least 2 (the two children), got \(points)") }
        if !(threshold >= 0 && threshold < 1) { throw ValidationError("--threshold: expected a fraction in [0, 1), got \(threshold)") }
        if let shard, Shard(shard) == nil { throw ValidationError("--shard: expected i/n with 1 <= i <= n, got '\(shard)'") }
        if let level, level < 1 { throw ValidationError("--level: expected a pruning level of 1 or more, got \(level)") }
        if slurm.slurm, shard != nil || stage != nil {
            throw ValidationError("--slurm plans every stage and shard itself; drop \(shard != nil ? "--shard" : "--stage")")
        }
    }

    func run() throws {
        let written = try Recipe.load(path: self.recipe)
        let run = written.runFolder(checkpoints: URL(fileURLWithPath: checkpoints))
        let recipe = try written.resolvingAutoRewindEpoch(in: run, required: false)
        let candidates: [RewindPoint]
        if let steps {
            guard let list = RewindPoint.list(steps, totalEpochs: recipe.train.epochs) else {
                throw CommandFailure("--steps: expected comma-separated epochs in [0, \(recipe.train.epochs)) (the recipe trains \(recipe.train.epochs) epochs), got '\(steps)'")
            }
            candidates = list
        } else {
            candidates = RewindPoint.defaults(totalEpochs: recipe.train.epochs)
        }
        var subjects: [StabilitySubject] = [.dense]
        if let level {
            guard recipe.prune != nil else { throw CommandFailure("\(self.recipe): --level needs a prune section in the recipe") }
            let levels = try recipe.levelSchedule().count
            guard level <= levels else { throw CommandFailure("--level: the recipe's plan has levels 1 ... \(levels), got \(level)") }
            subjects.append(.level(level))
        }
        let allUnits = recipe.seeds.flatMap { seed in subjects.flatMap { subject in candidates.map { (seed, subject, $0) } } }
        if slurm.slurm { return try planSlurm(recipe, candidates: candidates, units: allUnits) }

        let stage = self.stage ?? .all, slice = shard.flatMap(Shard.init)
        // Each unit trains two children over T − k epochs: shards balance that (in quarter epochs).
        let cost = { (unit: (UInt64, StabilitySubject, RewindPoint)) in Int((4 * (Double(recipe.train.epochs) - unit.2.epochs)).rounded()) }
        let seeds: [UInt64], units: [(UInt64, StabilitySubject, RewindPoint)]
        switch (stage, slice) {
        case (.dense, _): (seeds, units) = (slice?.slice(recipe.seeds) ?? recipe.seeds, [])
        case (.all, nil): (seeds, units) = (recipe.seeds, allUnits)
        case (.paths, _), (.all, _): (seeds, units) = ([], slice?.slice(allUnits, cost: cost) ?? allUnits)
        }
        let part = [stage == .all ? nil : "\(stage.rawValue) stage", slice.map { "shard \($0)" }].compactMap { $0 }
        print("\(recipe.name): stability of \(subjects.map(\.description).joined(separator: ", ")) at k = \(candidates.map(\.description).joined(separator: ", ")) epochs, seeds \(recipe.seeds.map(String.init).joined(separator: ", ")), \(points) points per path\(part.isEmpty ? "" : ", " + part.joined(separator: ", "))", to: &standardError)
        print("run folder: \(run.root.path)", to: &standardError)

        let observer = ProgressPrinter()
        let experiment = try recipe.makeExperiment(observer: observer)
        experiment.computeConfiguration = try makeComputeConfiguration()
        for seed in Set(units.map(\.0)).subtracting(seeds).sorted() {
            try requireDenseStage(recipe, run: run, experiment: experiment, seed: seed)
        }
        let stop = installInterruptHandler()
        experiment.shouldStop = { stop.isRequested }
        try recipe.saveSnapshot(in: run)
        let clock = ContinuousClock(), start = clock.now
        for seed in seeds {
            try DenseTraining(experiment: experiment, run: run, seed: seed).run()
            if let level { _ = try self.analysis(experiment: experiment, run: run, seed: seed, subject: .level(level), recipe: recipe) }
        }
        var records: [InterpolationRecord] = []
        for (seed, subject, point) in units {
            var analysis = try self.analysis(experiment: experiment, run: run, seed: seed, subject: subject, recipe: recipe)
            analysis.points = points
            let record = try analysis.run(point)
            records.append(record)
            print(String(format: "seed %llu, %@, k = %@: test instability %.2f%%, train instability %.2f%% (children %.2f%%, %.2f%% test accuracy)",
                         seed, subject.description, point.description, 100 * record.testInstability, 100 * record.trainInstability,
                         100 * (1 - record.testError[0]), 100 * (1 - record.testError[record.testError.count - 1])), to: &standardError)
            if json { printJSONLine(record) }
        }
        if stage != .all || slice != nil {
            print("\(part.joined(separator: ", ")) finished in \(formatDuration((clock.now - start).seconds)); when every part is done: rewind stability \(self.recipe) (same options, no --stage or --shard) writes the report", to: &standardError)
            return
        }
        let summary = StabilitySummary(name: recipe.name, threshold: threshold, paths: records,
                                       choice: try resolve(recipe, run: run, experiment: experiment, records: records, subjects: subjects),
                                       machine: MachineDescription.current, generated: ISO8601DateFormatter().string(from: Date()))
        for subject in summary.subjects {
            let k = summary.earliestStable[subject].map { "k = \(RewindPoint(epochs: $0)) epochs" } ?? "none"
            print("\(subject): earliest stable rewind point (test instability <= \(threshold)): \(k)", to: &standardError)
        }
        if let choice = summary.choice { print("rewind_epoch: auto -> \(choice.rewindEpoch) (\(choice.reason))", to: &standardError) }
        let folder = URL(fileURLWithPath: reports).appendingPathComponent(recipe.name).appendingPathComponent("stability")
        try StabilityReport.write(summary, to: folder)
        print("report: \(folder.path)/\(StabilityReport.markdownFile) (\(formatDuration((clock.now - start).seconds)) this run)", to: &standardError)
        if json { printJSONLine(summary.rows) }
        print(folder.appendingPathComponent(StabilityReport.markdownFile).path)
    }

    /// Throws unless `seed`'s dense stage (its dense run, and `--level`'s mask) is finished.
    private func requireDenseStage(_ recipe: Recipe, run: RunFolder, experiment: Experiment, seed: UInt64) throws {
        let how = "run `rewind stability \(self.recipe) --stage dense` first"
        guard run.finishedDense(seed) != nil else {
            throw CommandFailure("seed \(seed): the dense run is not finished (no \(run.denseRecord(seed).path)); \(how)")
        }
        if let level, let plan = recipe.prune {
            let lottery = IterativePruning(experiment: experiment, run: run, seed: seed,
                                           strategy: RetrainingStrategy.preset("lottery", rewindEpoch: 0)!, plan: plan)
            guard lottery.isFinished(level, schedule: try lottery.levelSchedule()) else {
                throw CommandFailure("seed \(seed): the lottery chain's level \(level) (the mask of --level \(level)) is not finished in \(lottery.folder.url.path); \(how)")
            }
        }
    }

    /// `--slurm`: the three-job plan of `SlurmPlan.init(stability:...)`, written, printed or submitted.
    private func planSlurm(_ recipe: Recipe, candidates: [RewindPoint], units: [(UInt64, StabilitySubject, RewindPoint)]) throws {
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let checkpoints = URL(fileURLWithPath: self.checkpoints, relativeTo: here).standardizedFileURL
        let reports = URL(fileURLWithPath: self.reports, relativeTo: here).standardizedFileURL
        let run = recipe.runFolder(checkpoints: checkpoints)
        let options = ["--steps", candidates.map(\.description).joined(separator: ","), "--points", String(points),
                       "--threshold", String(threshold)] + (level.map { ["--level", String($0)] } ?? [])
        let report = reports.appendingPathComponent(recipe.name).appendingPathComponent("stability")
        try SlurmSubmission.deliver(submit: slurm.submit, json: json, watch: "the report will be \(report.path)/\(StabilityReport.markdownFile)") {
            try recipe.saveSnapshot(in: run)
            return SlurmPlan(stability: recipe, run: run, units: units.map { "seed \($0.0), \($0.1), k = \($0.2)" }, options: options,
                             checkpoints: checkpoints, reports: reports, executable: currentExecutable(),
                             workingDirectory: here, resources: slurm.resources)
        }
    }

    private func analysis(experiment: Experiment, run: RunFolder, seed: UInt64, subject: StabilitySubject,
                          recipe: Recipe) throws -> StabilityAnalysis {
        switch subject {
        case .dense: return StabilityAnalysis(experiment: experiment, run: run, seed: seed)
        case .level(let level): return try StabilityAnalysis(experiment: experiment, run: run, seed: seed, level: level, plan: recipe.prune!)
        }
    }

    /// For a `rewind_epoch: auto` recipe: the choice in force (made now, from the last
    /// subject analysed, if none was recorded), with every finished dense run's
    /// rewind.h5 holding the weights at its epoch.
    private func resolve(_ recipe: Recipe, run: RunFolder, experiment: Experiment, records: [InterpolationRecord],
                         subjects: [StabilitySubject]) throws -> RewindEpochChoice? {
        guard recipe.rewindEpochIsAuto else { return nil }
        var choice = try RewindEpochChoice.recorded(in: run)
        if choice == nil {
            let subject = subjects.last!.description
            let summary = StabilitySummary(name: recipe.name, threshold: threshold, paths: records, choice: nil, machine: "", generated: "")
            guard let made = RewindEpochChoice.choose(summary.instability(of: subject), threshold: threshold, subject: subject) else {
                throw CommandFailure("rewind_epoch: auto needs a whole-epoch candidate k; --steps has none")
            }
            choice = try made.record(in: run)
        }
        for seed in recipe.seeds where run.finishedDense(seed) != nil {
            try choice!.installRewindCheckpoint(experiment: experiment, run: run, seed: seed)
        }
        return choice
    }
}
