/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight
/// decay, with PyTorch's `torch.optim.SGD` semantics (dampening 0):
///
///     g = ∇ + λ p
///     v ← μ v + g                      (v starts at 0, so the first v is g)
///     d = g + μ v   (Nesterov)   or   d = v   (classical; d = g when μ = 0)
///     p ← p − η d
public final class SGD: Optimizer {
    public let kind = "sgd"
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public var stepCount = 0
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
        let mu = momentum, wd = weightDecay
        for parameter in parameters {
            let p = parameter.value.pointer, grad = parameter.gradient.pointer, n = parameter.value.count
            if mu == 0 {
                for i in 0..<n { p[i] -= lr * (grad[i] + wd * p[i]) }
                continue
            }
            let v = storage.tensors(for: parameter, slots: Self.slotNames)[0].pointer
            if nesterov {
                for i in 0..<n {
                    let g = grad[i] + wd * p[i]
                    v[i] = mu * v[i] + g
                    p[i] -= lr * (g + mu * v[i])
                }
            } else {
                for i in 0..<n {
                    v[i] = mu * v[i] + grad[i] + wd * p[i]
                    p[i] -= lr * v[i]
                }
            }
        }
    }

    public func state(for name: String) -> [String: Tensor] { storage.get(name) }
    public func setState(_ state: [String: Tensor], for name: String) { storage.set(state, for: name) }
    public var namesWithState: [String] { storage.names }
    public func resetState() { storage.reset(); stepCount = 0 }
}
