import Foundation

/// Where `rewind prune` keeps its levels: beside its output, never in a comparison's
/// run folder (whose reports must hold only the recipe's own chains).
///
///     pruned.h5                                    the final level, written last (--out)
///     pruned.levels/<strategy>-<hash>/level-<L>.h5 | level-<L>.json | level-<L>.partial.h5
///
/// `<hash>` names the chain's inputs (`ChainInputs`: the digests of the checkpoints
/// read, the effective recipe, the plan, the strategy and its options), so pruning
/// another network, or the same one with other options, into the same `--out` gets
/// its own folder, and a rerun of the same command resumes the one it started.
public struct PruneLevels: Sendable {
    /// `pruned.levels/` for `--out pruned.h5`.
    public let root: URL

    /// The levels folder for the output file `out`.
    public init(out: URL) {
        let base = out.pathExtension == "h5" ? out.deletingPathExtension() : out
        root = base.deletingLastPathComponent().appendingPathComponent(base.lastPathComponent + ".levels")
    }

    /// The folder of the chain with `inputs`.
    public func chain(_ inputs: ChainInputs) -> ChainFolder {
        ChainFolder(url: root.appendingPathComponent("\(inputs.strategy.name)-\(shortHash(inputs))"))
    }

    /// The source digest of a prune: what the dense network and its retraining are,
    /// from the bytes of every checkpoint read and the settings in force.
    public static func source<Settings: Encodable>(checkpoints: [String: URL], settings: Settings) throws -> String {
        var digests: [String: String] = [:]
        for (role, url) in checkpoints { digests[role] = try fileDigest(url) }
        return fullHash(PruneSource(checkpoints: digests, settings: settings))
    }
}

/// What `PruneLevels.source` hashes.
private struct PruneSource<Settings: Encodable>: Encodable {
    let checkpoints: [String: String]
    let settings: Settings
}
