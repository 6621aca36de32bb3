import ArgumentParser

/// Which part of a comparison `rewind compare --stage` runs. Splitting it lets a
/// scheduler train each seed's dense run exactly once (the dense stage) before the
/// level chains that share it start (the chains stage), so concurrent tasks never
/// write the same file.
enum CompareStage: String, CaseIterable, ExpressibleByArgument {
    /// Only the dense runs: every seed's, or with `--shard i/n` the i-th slice of the
    /// recipe's seeds.
    case dense
    /// Only the level chains (every unit's, or the shard's); their dense runs must be
    /// finished already.
    case chains
    /// The dense runs the chains need, then the chains, then (without `--shard`) the
    /// report: the whole comparison in one process.
    case all
}
