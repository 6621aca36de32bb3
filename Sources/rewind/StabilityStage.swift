import ArgumentParser

/// Which part of a stability analysis `rewind stability --stage` runs, so that
/// processes (or Slurm array tasks) sharing a run folder never train the same thing.
enum StabilityStage: String, CaseIterable, ExpressibleByArgument {
    /// What every path of a seed shares: its dense run and, with `--level L`, the lottery
    /// chain's level L (the mask); every seed's, or with `--shard i/n` a slice of the seeds.
    case dense
    /// The (seed, subject, k) units: two children and the path between them each (every
    /// unit's, or the shard's); their seeds' dense stage must be finished.
    case paths
    /// Without `--shard`: both, then the report (and `rewind_epoch: auto`). With
    /// `--shard`: the shard's units, as `paths`.
    case all
}
