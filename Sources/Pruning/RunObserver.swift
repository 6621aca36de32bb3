import Engine


/// Receives progress from dense training and the level loop (the CLI draws bars or
/// prints lines; tests ignore it).
public protocol RunObserver: AnyObject {
    /// Inside an epoch; `context` names the run ("seed 0, lr-rewind, level 3").
    func batchProgress(_ progress: BatchProgress, epochs: Range<Int>, context: String)
    /// After an epoch, with its test evaluation.
    func epochFinished(_ summary: EpochSummary, evaluation: Evaluation, epochs: Range<Int>, context: String)
    /// After a pruning level (or the dense run, level 0) is evaluated and saved.
    func levelFinished(_ row: LevelRecord, context: String)
    /// A finished step found on disk and skipped.
    func skipped(_ what: String)
}

/// An observer that ignores everything.
public final class SilentObserver: RunObserver {
    public init() {}
    public func batchProgress(_ progress: BatchProgress, epochs: Range<Int>, context: String) {}
    public func epochFinished(_ summary: EpochSummary, evaluation: Evaluation, epochs: Range<Int>, context: String) {}
    public func levelFinished(_ row: LevelRecord, context: String) {}
    public func skipped(_ what: String) {}
}
