/// Adam (Kingma & Ba 2015) with bias correction and L2 weight decay, with
/// PyTorch's `torch.optim.Adam` semantics:
///
///     g = ∇ + λ p
///     m ← β₁ m + (1 − β₁) g                  ("exp_avg")
///     v ← β₂ v + (1 − β₂) g²                 ("exp_avg_sq")
///     p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// A weight whose value, gradient, m and v are all zero stays exactly zero, which is
/// what keeps pruned weights pruned (the pruning hook zeroes all four).
public final class Adam: Optimizer {
    public let kind = "adam"
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
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
    static let slotNames = ["exp_avg", "exp_avg_sq"]

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter], learningRate lr: Float) {
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = 1 - pow(Double(beta1), t), correction2 = 1 - pow(Double(beta2), t)
        let stepSize = Float(Double(lr) / correction1)
        let invRootCorrection2 = Float(1 / correction2.squareRoot())
        for parameter in parameters {
            let slots = storage.tensors(for: parameter, slots: Self.slotNames)
            // The update above, fused in C (the build `kernelPath` picks): CKernels' rw_adam_update.
            if let surviving = parameter.survivingIndices {
                // Only the surviving weights of a sparsely trained layer (same formula per element).
                surviving.withUnsafeBufferPointer { indices in
                    rw_adam_update_indexed(parameter.value.pointer, parameter.gradient.pointer, slots[0].pointer,
                                           slots[1].pointer, indices.baseAddress, indices.count, beta1, beta2, stepSize,
                                           invRootCorrection2, epsilon, weightDecay, kernelPath.code)
                }
            } else {
                let p = parameter.value.pointer, g = parameter.gradient.pointer, m = slots[0].pointer, v = slots[1].pointer
                forEachElementRange(count: parameter.value.count, configuration: configuration) { range in
                    let i = range.lowerBound
                    rw_adam_update(p + i, g + i, m + i, v + i, range.count, beta1, beta2, stepSize, invRootCorrection2,
                                   epsilon, weightDecay, kernelPath.code)
                }
            }
        }
    }

    public func state(for name: String) -> [String: Tensor] { storage.get(name) }
    public func setState(_ state: [String: Tensor], for name: String) { storage.set(state, for: name) }
    public var namesWithState: [String] { storage.names }
    public func resetState() { storage.reset(); stepCount = 0 }
}

import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
