import CKernels

/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight
/// decay, with PyTorch's `torch.optim.SGD` semantics (dampening 0):
///
///     g = ∇ + λ p
///     v ← μ v + g                      (v starts at 0, so the first v is g)
///     d = g + μ v   (Nesterov)   or   d = v   (classical; d = g when μ = 0)
///     p ← p − η d
///
/// Fused in C (CKernels' `rw_sgd_update`, the build `kernelPath` picks), every
/// product-and-sum one FMA.
public final class SGD: Optimizer {
    public let kind = "sgd"
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public var stepCount = 0
    /// The build of the fused update (`kernelPath`) and the threads it splits over.
    public var configuration = ComputeConfiguration.default
    /// Which build of the fused update runs (`configuration.kernelPath`).
    public var kernelPath: KernelVariant {
        get { configuration.kernelPath }
        set { configuration.kernelPath = newValue }
    }
    private let storage = OptimizerState()
    static let slotNames = ["momentum"]

    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        stepCount += 1
        for parameter in parameters {
            let velocity = momentum == 0 ? nil : storage.tensors(for: parameter, slots: Self.slotNames)[0].pointer
            if let surviving = parameter.survivingIndices {
                // Only the surviving weights of a sparsely trained layer (same formula per element).
                surviving.withUnsafeBufferPointer { indices in
                    rw_sgd_update_indexed(parameter.value.pointer, parameter.gradient.pointer, velocity, indices.baseAddress,
                                          indices.count, lr, momentum, nesterov ? 1 : 0, weightDecay, kernelPath.code)
                }
            } else {
                let p = parameter.value.pointer, g = parameter.gradient.pointer
                forEachElementRange(count: parameter.value.count, configuration: configuration) { range in
                    let i = range.lowerBound
                    rw_sgd_update(p + i, g + i, velocity.map { $0 + i }, range.count, lr, momentum, nesterov ? 1 : 0,
                                  weightDecay, kernelPath.code)
                }
            }
        }
    }

    public func state(for name: String) -> [String: Tensor] { storage.get(name) }
    public func setState(_ state: [String: Tensor], for name: String) { storage.set(state, for: name) }
    public var namesWithState: [String] { storage.names }
    public func resetState() { storage.reset(); stepCount = 0 }
}
