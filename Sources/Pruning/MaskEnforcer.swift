import Engine

/// Keeps pruned weights pruned through every training step.
///
/// After `backward`, the gradients of pruned weights are zeroed (so clipping and
/// weight decay see only live weights). After the first optimizer step, the pruned
/// weights and their optimizer state (momentum, Adam's moments) are zeroed too; from
/// then on they are zero and stay so without being touched: with value, gradient and
/// state all zero, neither SGD (with momentum, Nesterov or weight decay) nor Adam
/// (its update is `m̂ / (√v̂ + ε)` = 0 for ε > 0) can move a pruned weight, so
/// zeroing them again after every step only rewrote zeros (two or three passes over
/// every masked parameter per step; MaskEnforcerTests checks that the results equal
/// zeroing after every step, bit for bit). The first step's zeroing covers any
/// start: unmasked restored weights or optimizer state.
///
/// Parameters that train through the sparse kernels (`Parameter.survivingIndices` set)
/// need none of this: their gradient is computed, and their weights and optimizer
/// state updated, only at surviving positions, so pruned entries are never written
/// and stay 0 (SparseTrainingTests checks it over SGD, Nesterov and Adam steps).
/// They are skipped, which is most of what enforcement costs at high sparsity.
public final class MaskEnforcer: TrainingHook {
    public let mask: Mask
    private var parameters: [(name: String, parameter: Parameter)] = []
    /// Whether the pruned weights and optimizer state were zeroed after a step.
    private var stateZeroed = false

    public init(mask: Mask, network: Network) {
        self.mask = mask
        parameters = mask.names.map { ($0, network.parameter(named: $0)!) }
        // Pruned Linear and Conv2D layers may train through the sparse kernels.
        network.setSparsity(patterns: mask.tensors)
    }

    public func afterBackward(_ network: Network) {
        for (name, p) in parameters where p.survivingIndices == nil { mask.multiply(p.gradient, name) }
    }

    public func afterStep(_ network: Network, optimizer: Optimizer) {
        guard !stateZeroed else { return }
        stateZeroed = true
        for (name, p) in parameters where p.survivingIndices == nil {
            mask.multiply(p.value, name)
            for (_, slot) in optimizer.state(for: name) { mask.multiply(slot, name) }
        }
    }
}
