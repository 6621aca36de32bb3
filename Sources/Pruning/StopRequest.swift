import Foundation

/// A thread-safe "please stop" flag: the CLI's Ctrl-C handler sets it, and the
/// training loop reads it after each saved epoch (`Experiment.shouldStop`).
public final class StopRequest: @unchecked Sendable {
    // Safety: `requested` is only touched under `lock`.
    private let lock = NSLock()
    private var requested = false

    public init() {}

    public func request() { lock.withLock { requested = true } }
    public var isRequested: Bool { lock.withLock { requested } }
}
