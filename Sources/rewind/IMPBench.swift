import Foundation
import Pruning
import Recipes

/// `rewind bench --imp [--rounds R] [--jobs N]`: the work of a comparison, timed end to
/// end, to pair with the peer script torch_imp_reference.py (`--lr 0.02 --rounds R`)
/// run in the same session.
///
/// The same work as the peer: LeNet-300-100 on Fashion-MNIST, SGD (momentum 0.9, lr
/// 0.02, ×0.1 at epochs 5 and 8 — the peer decays at 50% and 75% of its iterations,
/// i.e. at 5 and 7.5 epochs), batch 60, 10 epochs per run with a test evaluation after
/// every epoch; layerwise magnitude pruning of 20% of fc1 and fc2 and 10% of fc3 per
/// level, R levels (15: 3.58% of the weights left); five strategies per level:
/// fine-tuning for 10 epochs at the final rate, weight rewinding to epoch 1 (9 epochs),
/// LR rewinding over the whole schedule (10), the lottery ticket (10) and random
/// reinitialisation under its masks (10). It runs as `rewind compare` runs a recipe
/// (`--jobs` workers, the report at the end) in a fresh temporary run folder, and
/// prints the seconds of every (level, strategy) run and the total.
enum IMPBench {
    /// The recipe of the peer's work, pruned for `rounds` levels.
    static func recipe(rounds: Int) throws -> String {
        // The exact surviving fraction after `rounds` full levels: the target that makes
        // the plan's last level a full one.
        let sizes = [("fc1.weight", 784 * 300), ("fc2.weight", 300 * 100), ("fc3.weight", 100 * 10)]
        let open = PruningPlan(fraction: 0.2, rates: ["fc3.weight": 0.1], targetSparsity: 0.9999)
        let schedule = open.remainingSchedule(layerSizes: sizes)
        guard rounds >= 1, rounds <= schedule.count - 1 else {
            throw CommandFailure("--rounds: expected 1 to \(schedule.count - 1), got \(rounds)")
        }
        let target = 1 - schedule[rounds - 1]
        return """
        # The work of the peer script torch_imp_reference.py (--lr 0.02), as a Rewind recipe.
        name: imp-reference
        seeds: [0]
        data: {dataset: fashion-mnist}
        model: lenet-300-100
        train: {optimizer: sgd, lr: 0.02, momentum: 0.9, batch_size: 60, epochs: 10, rewind_epoch: 1,
                schedule: {kind: multistep, milestones: [5, 8], gamma: 0.1}}
        prune: {criterion: magnitude, scope: layerwise, fraction: 0.2, rates: {fc3.weight: 0.1}, target: \(target)}
        retrain: [{fine-tune: {epochs: 10}}, weight-rewind, {lr-rewind: {epoch: 0}}, lottery, random-reinit]

        """
    }

    /// Runs the work and prints what each run took; returns the total wall seconds.
    static func run(rounds: Int, jobs: Int, keep: Bool, json: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-imp-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: folder) } }
        let recipeFile = folder.appendingPathComponent("imp-reference.yaml")
        try writeAtomically(Data(try recipe(rounds: rounds).utf8), to: recipeFile)
        let recipe = try Recipe.load(path: recipeFile.path)
        let checkpoints = folder.appendingPathComponent("checkpoints"), reports = folder.appendingPathComponent("reports")

        let process = Process()
        process.executableURL = currentExecutable()
        process.arguments = ["compare", recipeFile.path, "--jobs", String(jobs),
                             "--checkpoints", checkpoints.path, "--reports", reports.path]
        if !json { print("imp bench: \(rounds) levels x 5 strategies + dense, \(jobs) worker(s); folder \(folder.path)") }
        process.standardOutput = FileHandle.nullDevice
        let clock = ContinuousClock(), start = clock.now
        try process.run()
        process.waitUntilExit()
        let wall = (clock.now - start).seconds
        guard process.terminationStatus == 0 else {
            throw CommandFailure("the comparison failed (exit \(process.terminationStatus)); its output is above")
        }
        let records = try recipe.finishedRecords(in: recipe.runFolder(checkpoints: checkpoints))
            .sorted { ($0.level, $0.strategy) < ($1.level, $1.strategy) }
        let compute = records.reduce(0) { $0 + $1.seconds }
        var phases = PhaseSeconds()
        for record in records {
            phases.training += record.phases?.training ?? 0
            phases.evaluation += record.phases?.evaluation ?? 0
            phases.saving += record.phases?.saving ?? 0
        }
        if json {
            for record in records { printJSONLine(record) }
            printJSONLine(Summary(rounds: rounds, jobs: jobs, wallSeconds: wall, computeSeconds: compute, phases: phases))
            return
        }
        let strategies = recipe.strategies.map(\.name)
        print(column("level", 7) + column("weights", 9) + strategies.map { column($0, 15) }.joined())
        for level in 0...rounds {
            let row = records.filter { $0.level == level }
            guard let first = row.first else { continue }
            let cells = level == 0 ? [column(String(format: "%.1fs (dense)", first.seconds), 15)]
                : strategies.map { name in column(row.first { $0.strategy == name }.map { String(format: "%.1fs", $0.seconds) } ?? "-", 15) }
            print(column(String(level), 7) + column(String(format: "%.2f%%", first.weightsRemaining * 100), 9) + cells.joined())
        }
        print(String(format: "wall %.1f s end to end (%@ of runs summed over %d worker(s))", wall, formatDuration(compute), jobs))
        let other = compute - phases.training - phases.evaluation - phases.saving
        print(String(format: "where the runs' time went: training %.1f s, test evaluation %.1f s, saving %.1f s, setup (pruning, loading) %.1f s",
                     phases.training, phases.evaluation, phases.saving, other))
    }

    struct Summary: Encodable {
        let kind = "imp_total"
        let rounds: Int, jobs: Int, wallSeconds: Double, computeSeconds: Double, phases: PhaseSeconds
        enum CodingKeys: String, CodingKey {
            case kind, rounds, jobs, wallSeconds = "wall_seconds", computeSeconds = "compute_seconds", phases
        }
    }
}
