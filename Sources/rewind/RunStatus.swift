import Foundation
import Pruning
import Recipes

/// What a run folder holds, read from its files alone (no process is asked): per
/// seed, the dense run and each strategy's chain of levels, each level done (its
/// `.h5` and `.json` exist), in progress (a `.partial.h5` or, for the dense run,
/// `last.h5` exists: running now, or interrupted and waiting for a rerun) or missing;
/// and an estimate of the compute left from the finished levels' recorded seconds.
struct RunStatus: Encodable {
    /// One chain: the dense run of a seed (strategy "dense", level 0) or a strategy's levels.
    struct Chain: Encodable {
        let seed: UInt64
        let strategy: String
        let done: [Int]
        let inProgress: [Int]
        let missing: [Int]
        /// Seconds since each in-progress level last saved an epoch, in `inProgress` order.
        let secondsSinceSaved: [Double]
        /// The finished levels' recorded seconds, summed.
        let seconds: Double

        enum CodingKeys: String, CodingKey {
            case seed, strategy, done, inProgress = "in_progress", missing
            case secondsSinceSaved = "seconds_since_saved", seconds
        }
    }

    let run: String
    let recipe: String
    /// Levels per strategy chain (from the recipe's pruning plan).
    let levels: Int
    let chains: [Chain]
    /// Levels counted over every chain, dense runs included.
    let done: Int
    let inProgress: Int
    let missing: Int
    /// Compute left for the unfinished levels (in-progress ones counted whole), at the
    /// mean pace of the finished levels of the same strategy (else of any strategy);
    /// nil until a level of that kind has finished. One process's time: N tasks
    /// running at once take about 1/N of it.
    let estimatedSecondsLeft: Double?

    enum CodingKeys: String, CodingKey {
        case run, recipe, levels, chains, done, inProgress = "in_progress", missing
        case estimatedSecondsLeft = "estimated_seconds_left"
    }

    /// Reads the run folder `root` (it must hold the recipe.yaml `rewind compare` keeps).
    /// A level counts as done only when its record was made from the inputs the recipe
    /// gives it now, as `compare` and `report` count it.
    init(runFolder root: URL, now: Date = Date()) throws {
        let (folder, recipe) = try ReportCommand.open(runFolder: root)
        let schedule = try recipe.levelSchedule()
        var chains: [Chain] = []
        for seed in recipe.seeds {
            let denseDone = folder.finishedDense(seed)
            let denseSaved = (try? FileManager.default.attributesOfItem(atPath: folder.dense(seed, .last).path))?[.modificationDate] as? Date
            chains.append(Chain(seed: seed, strategy: "dense", done: denseDone != nil ? [0] : [],
                                inProgress: denseDone == nil && denseSaved != nil ? [0] : [],
                                missing: denseDone == nil && denseSaved == nil ? [0] : [],
                                secondsSinceSaved: denseDone == nil ? denseSaved.map { [max(0, now.timeIntervalSince($0))] } ?? [] : [],
                                seconds: denseDone?.seconds ?? 0))
            guard let plan = recipe.prune else { continue }
            for strategy in recipe.strategies {
                var done: [Int] = [], running: [Int] = [], missing: [Int] = [], ages: [Double] = [], seconds = 0.0
                for level in schedule.indices.map({ $0 + 1 }) {
                    switch folder.levelState(seed: seed, strategy: strategy, plan: plan, level: level, schedule: schedule) {
                    case .done(let record): done.append(level); seconds += record.seconds
                    case .inProgress(let saved): running.append(level); ages.append(max(0, now.timeIntervalSince(saved)))
                    case .missing: missing.append(level)
                    }
                }
                chains.append(Chain(seed: seed, strategy: strategy.name, done: done, inProgress: running, missing: missing,
                                    secondsSinceSaved: ages, seconds: seconds))
            }
        }
        run = root.lastPathComponent
        self.recipe = recipe.name
        self.levels = schedule.count
        self.chains = chains
        done = chains.reduce(0) { $0 + $1.done.count }
        inProgress = chains.reduce(0) { $0 + $1.inProgress.count }
        missing = chains.reduce(0) { $0 + $1.missing.count }
        estimatedSecondsLeft = Self.estimate(chains)
    }

    /// Seconds left at the finished levels' mean pace: per strategy, falling back to
    /// all pruning levels (dense runs are estimated from dense runs only).
    private static func estimate(_ chains: [Chain]) -> Double? {
        func pace(_ chains: [Chain]) -> Double? {
            let count = chains.reduce(0) { $0 + $1.done.count }
            return count > 0 ? chains.reduce(0) { $0 + $1.seconds } / Double(count) : nil
        }
        let levelChains = chains.filter { $0.strategy != "dense" }
        var total = 0.0
        for strategy in Set(chains.map(\.strategy)) {
            let group = chains.filter { $0.strategy == strategy }
            let left = group.reduce(0) { $0 + $1.inProgress.count + $1.missing.count }
            guard left > 0 else { continue }
            guard let seconds = pace(group) ?? (strategy == "dense" ? nil : pace(levelChains)) else { return nil }
            total += seconds * Double(left)
        }
        return total
    }
}
