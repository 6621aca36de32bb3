/// An optimizer: a per-parameter update rule `(value, gradient, state) -> (value, state)`
/// applied to every parameter, with its state kept by parameter name.
///
/// State tensors are exposed by name and slot ("momentum", "exp_avg", "exp_avg_sq",
/// PyTorch's names) so checkpoints can save them and pruning can zero the entries of
/// pruned weights.
public protocol Optimizer: AnyObject {
    /// "sgd" or "adam".
    var kind: String { get }
    /// Number of `step` calls so far (Adam's bias correction uses it).
    var stepCount: Int { get set }
    /// Updates every parameter from its gradient at learning rate `learningRate`.
    func step(_ parameters: [Parameter], learningRate: Float)
    /// The state tensors of parameter `name`, by slot name; empty before its first step.
    func state(for name: String) -> [String: Tensor]
    /// Replaces the state of parameter `name` (checkpoint restore).
    func setState(_ state: [String: Tensor], for name: String)
    /// Every parameter name that has state.
    var namesWithState: [String] { get }
    /// Forgets all state (fresh momentum and moments, step count 0).
    func resetState()
}

/// Storage shared by the optimizers: slot tensors per parameter name.
public final class OptimizerState {
    private(set) var slots: [String: [String: Tensor]] = [:]

    public init() {}

    /// The slot tensors of `parameter`, created zero-filled on first use.
    func tensors(for parameter: Parameter, slots names: [String]) -> [Tensor] {
        if let existing = slots[parameter.name] { return names.map { existing[$0]! } }
        var created: [String: Tensor] = [:]
        for name in names { created[name] = Tensor(shape: parameter.value.shape) }
        slots[parameter.name] = created
        return names.map { created[$0]! }
    }

    func get(_ name: String) -> [String: Tensor] { slots[name] ?? [:] }
    func set(_ state: [String: Tensor], for name: String) { slots[name] = state }
    var names: [String] { slots.keys.sorted() }
    func reset() { slots = [:] }
}
