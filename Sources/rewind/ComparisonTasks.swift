import Foundation
import Pruning
import Recipes

/// One piece of a comparison that a worker runs: a seed's dense run, or one level of
/// one (seed, strategy) chain. Sent to workers as one line of text.
enum ComparisonTask: Hashable, CustomStringConvertible {
    case dense(seed: UInt64)
    case level(seed: UInt64, strategy: String, level: Int)

    /// "dense 0" or "level 0 lr-rewind 3" (strategy names hold no spaces).
    var line: String {
        switch self {
        case .dense(let seed): return "dense \(seed)"
        case let .level(seed, strategy, level): return "level \(seed) \(strategy) \(level)"
        }
    }

    init?(line: String) {
        let words = line.split(separator: " ").map(String.init)
        switch (words.first, words.count) {
        case ("dense", 2):
            guard let seed = UInt64(words[1]) else { return nil }
            self = .dense(seed: seed)
        case ("level", 4):
            guard let seed = UInt64(words[1]), let level = Int(words[3]) else { return nil }
            self = .level(seed: seed, strategy: words[2], level: level)
        default:
            return nil
        }
    }

    var description: String {
        switch self {
        case .dense(let seed): return "seed \(seed), dense"
        case let .level(seed, strategy, level): return "seed \(seed), \(strategy), level \(level)"
        }
    }
}

/// The unfinished work of a comparison as tasks with prerequisites, handed out
/// longest-path-first to whichever worker is free (`compare --jobs`).
///
/// - A chain's level 1 needs its seed's dense run; level L needs level L − 1.
/// - random-reinit's level L also needs lottery's level L (it reuses that mask).
/// - Among ready tasks the one heading the most remaining work goes first: its own
///   chain's remaining epochs, plus random-reinit's for a lottery level (the chain
///   that waits on it), plus every chain's for a dense run. This keeps the longest
///   chains moving, so the workers finish together instead of one idling while
///   another works through a long chain (static shards of lenet-style recipes leave
///   up to a third of a core idle: units of 20, 10, 10 and 9 epochs a level split
///   29 / 20).
///
/// Every task computes what it would compute in a serial run, so the order changes
/// nothing in the results.
struct ComparisonTasks {
    private(set) var pending: [ComparisonTask: Set<ComparisonTask>] = [:]   // task -> unfinished prerequisites
    private var priority: [ComparisonTask: Int] = [:]
    private var order: [ComparisonTask] = []                                  // tie-break: recipe order
    private(set) var running: Set<ComparisonTask> = []

    /// Every task of `recipe` not yet finished in `run`.
    init(recipe: Recipe, run: RunFolder) throws {
        guard let plan = recipe.prune else { return }
        let schedule = try recipe.levelSchedule()
        var finished: Set<ComparisonTask> = []
        var all: [ComparisonTask] = []
        var prerequisites: [ComparisonTask: [ComparisonTask]] = [:]
        for seed in recipe.seeds {
            let dense = ComparisonTask.dense(seed: seed)
            all.append(dense)
            if run.finishedDense(seed) != nil { finished.insert(dense) }
            for strategy in recipe.strategies {
                let epochs = strategy.retrainEpochs(totalEpochs: recipe.train.epochs)
                for level in 1...schedule.count {
                    let task = ComparisonTask.level(seed: seed, strategy: strategy.name, level: level)
                    all.append(task)
                    if case .done = run.levelState(seed: seed, strategy: strategy, plan: plan, level: level, schedule: schedule) {
                        finished.insert(task)
                    }
                    var needs = [level == 1 ? dense : .level(seed: seed, strategy: strategy.name, level: level - 1)]
                    if strategy.name == "random-reinit", recipe.strategies.contains(where: { $0.name == "lottery" }) {
                        needs.append(.level(seed: seed, strategy: "lottery", level: level))
                    }
                    prerequisites[task] = needs
                    priority[task] = epochs * (schedule.count - level + 1)
                }
            }
        }
        // A lottery level also heads random-reinit's remaining levels; a dense run, every chain of its seed.
        for case let .level(seed, "lottery", level) in all {
            let follower = ComparisonTask.level(seed: seed, strategy: "random-reinit", level: level)
            priority[.level(seed: seed, strategy: "lottery", level: level)]! += priority[follower] ?? 0
        }
        for seed in recipe.seeds {
            priority[.dense(seed: seed)] = recipe.strategies.reduce(recipe.train.epochs) {
                $0 + (priority[.level(seed: seed, strategy: $1.name, level: 1)] ?? 0)
            }
        }
        for task in all where !finished.contains(task) {
            pending[task] = Set((prerequisites[task] ?? []).filter { !finished.contains($0) })
            order.append(task)
        }
    }

    /// Whether every task has finished.
    var isComplete: Bool { pending.isEmpty && running.isEmpty }

    /// The ready task heading the most remaining work (nil when none is ready now),
    /// marked running.
    mutating func next() -> ComparisonTask? {
        var best: ComparisonTask?
        for task in order where pending[task]?.isEmpty == true {
            if best == nil || priority[task]! > priority[best!]! { best = task }
        }
        guard let best else { return nil }
        pending[best] = nil
        order.removeAll { $0 == best }
        running.insert(best)
        return best
    }

    /// Marks `task` finished, readying what waited on it.
    mutating func finished(_ task: ComparisonTask) {
        running.remove(task)
        for (other, needs) in pending where needs.contains(task) { pending[other]!.remove(task) }
    }
}
