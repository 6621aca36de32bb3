/// Everything a chain of pruning levels is computed from: the cache key of its levels.
///
/// A level is reused only when its record carries the key these inputs give now
/// (`levelKey`), so a changed checkpoint, recipe, plan, strategy or option retrains
/// instead of silently reusing a result made from other inputs.
public struct ChainInputs: Codable, Equatable, Sendable {
    /// A digest of where the dense network comes from and how it is retrained: for a
    /// comparison the recipe's hash (every dense checkpoint is made from it); for
    /// `rewind prune` the digests of the checkpoint files it reads and of the effective
    /// recipe (`PruneLevels`).
    public var source: String
    public var seed: UInt64
    public var strategy: RetrainingStrategy
    public var plan: PruningPlan

    public init(source: String, seed: UInt64, strategy: RetrainingStrategy, plan: PruningPlan) {
        self.source = source
        self.seed = seed
        self.strategy = strategy
        self.plan = plan
    }

    /// The key of level `level` given the plan's schedule (surviving fraction after
    /// each level): the inputs, the level, and the fractions of levels 1 … `level`, so
    /// a change in how the plan counts (e.g. a folded last level) is a change of key.
    public func levelKey(_ level: Int, schedule: [Double]) -> String {
        struct Key: Encodable { let inputs: ChainInputs; let level: Int; let remaining: [Double] }
        return fullHash(Key(inputs: self, level: level, remaining: Array(schedule.prefix(level))))
    }

    /// The same inputs for another strategy (random-reinit's lottery chain).
    public func with(strategy: RetrainingStrategy) -> ChainInputs {
        ChainInputs(source: source, seed: seed, strategy: strategy, plan: plan)
    }
}
