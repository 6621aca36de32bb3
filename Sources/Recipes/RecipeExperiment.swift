import Engine
import Foundation
import ONNX
import Pruning

extension Recipe {
    /// This recipe's run folder under `checkpoints`: `<checkpoints>/<name>-<hash>`.
    public func runFolder(checkpoints: URL) -> RunFolder {
        RunFolder(root: checkpoints.appendingPathComponent(runName), source: hash)
    }

    /// Loads the data (once) and sets up the experiment this recipe describes.
    public func makeExperiment(observer: RunObserver) throws -> Experiment {
        let (data, normalization) = try self.data.load()
        let source = self.data.dataset == .synthetic ? "\(path): data.synthetic" : self.data.directory
        let network = try ModelZoo.build(architecture)
        try network.checkInput(exampleShape: data.train.exampleShape, batchSize: min(train.batchSize, data.train.count), source: source)
        try network.checkTrainingBatches(examples: data.train.count, batchSize: train.batchSize, source: source)
        let experiment = Experiment(architecture: architecture, data: data, normalization: normalization, settings: train,
                                    augmentation: self.data.augmentation(normalization: normalization), recipeText: text,
                                    observer: observer)
        // model: {onnx: file}: the dense runs start from the file's own weights.
        if let path = importedWeights {
            guard (try? fileDigest(URL(fileURLWithPath: path))) == importedWeightsDigest else {
                throw RecipeError(file: self.path, line: nil, key: "model.onnx", message: "\(path) changed since the recipe was read")
            }
            let imported = try ONNXImporter.read(path, inputShape: architecture.inputShape)
            experiment.startingWeights = StartingWeights(tensors: imported.parameters.merging(imported.buffers) { $1 }, source: path)
        }
        return experiment
    }

    /// The surviving fraction of weights after each pruning level, as
    /// `IterativePruning.levelSchedule()` computes it (its count is the number of
    /// levels per chain), without loading the data; empty for a training-only recipe.
    public func levelSchedule() throws -> [Double] {
        guard let prune else { return [] }
        let network = try ModelZoo.build(architecture)
        return prune.remainingSchedule(layerSizes: network.prunableParameterNames.map {
            ($0, network.parameter(named: $0)!.value.count)
        })
    }

    /// Writes the recipe text to the run folder's `recipe.yaml` unless that file already
    /// holds exactly this text, so shards started at once never write the same file.
    public func saveSnapshot(in run: RunFolder) throws {
        let file = run.recipeSnapshot, data = Data(text.utf8)
        if FileManager.default.contents(atPath: file.path) == data { return }
        try writeAtomically(data, to: file)
    }

    /// Every finished record in `run` for this recipe's seeds, strategies and levels.
    public func finishedRecords(in run: RunFolder) throws -> [LevelRecord] {
        guard let prune else { return recipeSeedsDense(run) }
        return run.finishedRecords(seeds: seeds, strategies: strategies, plan: prune, schedule: try levelSchedule())
    }

    private func recipeSeedsDense(_ run: RunFolder) -> [LevelRecord] { seeds.compactMap { run.finishedDense($0) } }

    /// The (seed, strategies) units of a comparison, in a fixed order. A unit holds one
    /// chain, except that random-reinit shares a unit with lottery (it reuses the
    /// lottery ticket's masks), so shards never wait on each other.
    public var chainUnits: [(seed: UInt64, strategies: [RetrainingStrategy])] {
        var units: [(UInt64, [RetrainingStrategy])] = []
        for seed in seeds {
            var rest = strategies
            while let first = rest.first {
                rest.removeFirst()
                var group = [first]
                if first.name == "lottery" || first.name == "random-reinit" {
                    let partner = first.name == "lottery" ? "random-reinit" : "lottery"
                    if let i = rest.firstIndex(where: { $0.name == partner }) { group.append(rest.remove(at: i)) }
                    group.sort { $0.name == "lottery" && $1.name != "lottery" }
                }
                units.append((seed, group))
            }
        }
        return units
    }

    /// The epochs a chain unit retrains per level, summed over its strategies: the
    /// cost `--shard` balances (every chain runs the same levels).
    public func retrainEpochsPerLevel(_ unit: (seed: UInt64, strategies: [RetrainingStrategy])) -> Int {
        unit.strategies.reduce(0) { $0 + $1.retrainEpochs(totalEpochs: train.epochs) }
    }
}

/// One slice of a comparison: shard `index` of `count` (1-based). The shards partition
/// the work units and balance their cost (see `slice(_:cost:)`), so n processes sharing
/// a run folder finish at about the same time.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// Parses "i/n" with 1 ≤ i ≤ n.
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else { return nil }
        index = i
        count = n
    }

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// The items this shard owns, in their original order (seeds for the dense stage,
    /// chain units for the chains stage).
    ///
    /// Longest processing time first: the items, heaviest first (ties by position), go
    /// one by one to the shard with the least cost so far (ties to the lowest shard).
    /// Every shard computes the same assignment from the same list, so the shards
    /// partition the items, and no shard's load exceeds another's by more than the
    /// heaviest item. With equal costs this is round-robin: item u goes to shard u mod n + 1.
    /// (Round-robin alone is not enough: with 4 units per seed and 2 shards, one shard
    /// would get every lottery + random-reinit unit: 69 epochs a level against 42 on lenet300-fashion.)
    public func slice<T>(_ items: [T], cost: (T) -> Int = { _ in 1 }) -> [T] {
        let costs = items.map(cost)
        var load = [Int](repeating: 0, count: count), owner = [Int](repeating: 0, count: items.count)
        for item in costs.indices.sorted(by: { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }) {
            let lightest = load.indices.min { load[$0] < load[$1] }!   // the first (lowest) on ties
            owner[item] = lightest
            load[lightest] += costs[item]
        }
        return items.indices.filter { owner[$0] == index - 1 }.map { items[$0] }
    }

    public var description: String { "\(index)/\(count)" }
}
