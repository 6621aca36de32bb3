import Pruning

/// `train: {rewind_epoch: auto}`: the rewind epoch k is chosen by the run's stability
/// analysis (`rewind stability RECIPE`), once, and recorded in the run folder
/// (`RewindEpochChoice`, `<run>/stability/rewind-epoch.json`).
///
/// The run folder stays the one of the recipe as written (its hash sees `auto`),
/// so the analysis and the chains share the dense runs; the resolved k reaches every
/// level's cache key through the strategies (`ChainInputs.strategy.rewindEpoch`), so a
/// level trained with one k is never reused for another.
extension Recipe {
    /// This recipe with `rewind_epoch: auto` resolved to `epoch` (re-parsed, so every
    /// strategy that takes the recipe's rewind epoch takes `epoch`); its hash, and so its
    /// run folder, is the written recipe's.
    public func resolvingRewindEpoch(_ epoch: Int) throws -> Recipe {
        guard rewindEpochIsAuto else { return self }
        var resolved = try Recipe.parse(text, file: path, autoRewindEpoch: epoch)
        resolved.writtenHash = hash
        return resolved
    }

    /// This recipe with `rewind_epoch: auto` resolved from the choice recorded in `run`.
    /// Without a recorded choice: this recipe as it is when `required` is false (dense
    /// training and the stability analysis do not need k), else an error saying how to
    /// resolve it.
    public func resolvingAutoRewindEpoch(in run: RunFolder, required: Bool) throws -> Recipe {
        guard rewindEpochIsAuto else { return self }
        if let choice = try RewindEpochChoice.recorded(in: run) { return try resolvingRewindEpoch(choice.rewindEpoch) }
        guard !required else {
            throw RecipeError(file: path, line: nil, key: "train.rewind_epoch",
                              message: "auto is not resolved yet (no \(StabilityFolder(run: run).rewindEpochChoice.path)); run `rewind stability \(path)` first")
        }
        return self
    }
}
