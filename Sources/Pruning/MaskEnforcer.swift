import Engine

/// Keeps pruned weights pruned through every training step.
///
/// After `backward`, the gradients of pruned weights are zeroed (so clipping and
/// weight decay see only live weights); after each optimizer step, the pruned
/// weights and their optimizer state (momentum, Adam's moments) are zeroed. With
/// value, gradient and state all zero, neither SGD (with momentum, Nesterov or
/// weight decay) nor Adam can move a pruned weight: it stays exactly 0.
public final class MaskEnforcer: TrainingHook {
    public let mask: Mask
    private var parameters: [(name: String, parameter: Parameter)] = []

    public init(mask: Mask, network: Network) {
        self.mask = mask
        parameters = mask.names.map { ($0, network.parameter(named: $0)!) }
        // Pruned Linear layers below the crossover density train through the sparse kernels.
        network.setSparsity(patterns: mask.tensors)
    }

    public func afterBackward(_ network: Network) {
        for (name, p) in parameters { mask.multiply(p.gradient, name) }
    }

    public func afterStep(_ network: Network, optimizer: Optimizer) {
        for (name, p) in parameters {
            mask.multiply(p.value, name)
            for (_, slot) in optimizer.state(for: name) { mask.multiply(slot, name) }
        }
    }
}
