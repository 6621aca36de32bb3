/// Code run inside every training step. The engine knows nothing of pruning: the
/// pruning pipeline installs a hook that masks gradients after `backward` and
/// re-applies the mask (to weights and optimizer state) after each optimizer step.
public protocol TrainingHook: AnyObject {
    /// After the gradients are computed, before clipping and the optimizer step.
    func afterBackward(_ network: Network)
    /// After the optimizer has updated the parameters.
    func afterStep(_ network: Network, optimizer: Optimizer)
}
