/// Reshapes `[B, d1, d2, ...]` to `[B, d1 * d2 * ...]`; the gradient is reshaped back.
///
/// Copies rather than aliases so that the caller's tensor keeps its shape.
public final class Flatten: Layer {
    public var computesInputGradient = true
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(forInputShape shape: [Int]) -> [Int] { [shape.reduce(1, *)] }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        inputShape = x.shape
        output.reshape(to: [x.shape[0], x.count / max(x.shape[0], 1)])
        output.pointer.update(from: x.pointer, count: x.count)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.reshape(to: inputShape)
        inputGradient.pointer.update(from: dy.pointer, count: dy.count)
        return inputGradient
    }
}
