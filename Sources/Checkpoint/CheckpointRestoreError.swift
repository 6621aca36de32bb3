/// Checkpoint contents that cannot be restored into (or turned into) a live
/// network or optimizer, e.g. Adam state offered to SGD, or a missing hyperparameter.
public struct CheckpointRestoreError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
