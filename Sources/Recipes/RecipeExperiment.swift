import Engine
import Foundation
import Pruning

extension Recipe {
    /// The run folder under `checkpoints`: `<checkpoints>/<name>-<hash>`.
    public func runFolder(checkpoints: URL) -> URL { checkpoints.appendingPathComponent(runName) }

    /// Loads the data (once) and sets up the experiment this recipe describes, with
    /// its run folder under `checkpoints`.
    public func makeExperiment(checkpoints: URL, observer: RunObserver) throws -> Experiment {
        let (data, normalization) = try self.data.load()
        return Experiment(architecture: architecture, data: data, normalization: normalization, settings: train,
                          augmentation: self.data.augmentation(normalization: normalization), recipeText: text,
                          layout: RunLayout(root: runFolder(checkpoints: checkpoints)), observer: observer)
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

    /// The copy of the recipe a run folder keeps: `<run folder>/recipe.yaml`.
    public static func snapshotFile(in runFolder: URL) -> URL { runFolder.appendingPathComponent("recipe.yaml") }

    /// Writes the recipe text to `<runFolder>/recipe.yaml` unless that file already
    /// holds exactly this text, so shards started at once never write the same file.
    public func saveSnapshot(in runFolder: URL) throws {
        let file = Self.snapshotFile(in: runFolder), data = Data(text.utf8)
        if FileManager.default.contents(atPath: file.path) == data { return }
        try writeAtomically(data, to: file)
    }

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
}

/// One slice of a comparison: shard `index` of `count` (1-based) takes every
/// `count`-th unit starting at `index - 1`, so the shards partition the units.
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

    /// Whether unit number `unit` (0-based) belongs to this shard.
    public func owns(_ unit: Int) -> Bool { unit % count == index - 1 }

    /// The items of `items` this shard owns, in order (seeds for the dense stage,
    /// chain units for the chains stage).
    public func slice<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { owns($0.offset) }.map(\.element)
    }

    public var description: String { "\(index)/\(count)" }
}
