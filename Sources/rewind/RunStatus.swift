import Foundation
import Pruning
import Recipes
import Reports

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
    init(runFolder root: URL, now: Date = Date()) throws {
        let recipeFile = Recipe.snapshotFile(in: root)
        guard FileManager.default.fileExists(atPath: recipeFile.path) else {
            throw CommandFailure("\(root.path): not a run folder (no recipe.yaml; `rewind compare` writes it)")
        }
        let recipe = try Recipe.load(path: recipeFile.path)
        let layout = RunLayout(root: root)
        let levels = try recipe.levelSchedule().count
        var chains: [Chain] = []
        for seed in recipe.seeds {
            chains.append(Self.chain(seed: seed, strategy: "dense", levels: [0], now: now,
                                     done: { _ in (layout.dense(seed, .final), layout.denseRecord(seed)) },
                                     partial: { _ in layout.dense(seed, .last) }))
            for strategy in recipe.strategies.map(\.name) {
                chains.append(Self.chain(seed: seed, strategy: strategy, levels: Array(1...max(levels, 1)), now: now,
                                         done: { (layout.level(seed, strategy, $0), layout.levelRecord(seed, strategy, $0)) },
                                         partial: { layout.partialLevel(seed, strategy, $0) }))
            }
        }
        run = root.lastPathComponent
        self.recipe = recipe.name
        self.levels = levels
        self.chains = chains
        done = chains.reduce(0) { $0 + $1.done.count }
        inProgress = chains.reduce(0) { $0 + $1.inProgress.count }
        missing = chains.reduce(0) { $0 + $1.missing.count }
        estimatedSecondsLeft = Self.estimate(chains)
    }

    /// A chain's levels, sorted into done, in progress and missing by their files.
    private static func chain(seed: UInt64, strategy: String, levels: [Int], now: Date,
                              done: (Int) -> (checkpoint: URL, record: URL), partial: (Int) -> URL) -> Chain {
        let manager = FileManager.default
        var finished: [Int] = [], running: [Int] = [], missing: [Int] = [], ages: [Double] = [], seconds = 0.0
        for level in levels {
            let (checkpoint, record) = done(level)
            if manager.fileExists(atPath: checkpoint.path), let data = manager.contents(atPath: record.path),
               let row = try? JSONDecoder().decode(ResultRow.self, from: data) {
                finished.append(level)
                seconds += row.seconds
            } else if let saved = (try? manager.attributesOfItem(atPath: partial(level).path))?[.modificationDate] as? Date {
                running.append(level)
                ages.append(max(0, now.timeIntervalSince(saved)))
            } else {
                missing.append(level)
            }
        }
        return Chain(seed: seed, strategy: strategy, done: finished, inProgress: running, missing: missing,
                     secondsSinceSaved: ages, seconds: seconds)
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
