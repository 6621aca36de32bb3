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
    /// The kernel build of the fused updates and the threads they may split over
    /// (`Trainer` gives it the network's configuration).
    var configuration: ComputeConfiguration { get set }
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

/// Runs `update(range)` over `0..<count` elements of one parameter: in one piece, or,
/// from `parallelElementwiseThreshold` elements on, split into `configuration.threads`
/// ranges on the worker pool. The fused updates are elementwise (each element's new
/// value, momentum and moments depend on that element alone, with the same formula
/// in every kernel build), so the split gives the same bits as one piece; ranges
/// start at multiples of 64 elements (whole vectors of every build).
///
/// Why split: Adam over LeNet-300-100's 266k weights takes about 60 us a step on one
/// core (a square root and a division per element), about 7% of a two-thread training
/// step, with the second core idle.
func forEachElementRange(count: Int, configuration: ComputeConfiguration, _ update: (Range<Int>) -> Void) {
    parallelForRanges(count: count, block: 64,
                      workers: count >= parallelElementwiseThreshold ? configuration.threads : 1, update)
}

/// Elements from which a parameter's fused update is split among threads.
let parallelElementwiseThreshold = 1 << 16
