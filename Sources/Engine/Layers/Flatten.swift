/// Reshapes `[B, d1, d2, ...]` to `[B, d1 * d2 * ...]`; the gradient is reshaped back.
///
/// No copy: the output is a view of the input's memory with the flattened shape (a
/// separate `Tensor` object, so the caller's tensor keeps its shape), and the input
/// gradient a view of the output gradient's. Both views live until the next step,
/// like the tensors they view.
public final class Flatten: Layer {
    public var computesInputGradient = true
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard let features = ResourceLimits.elementCount(of: shape) else { throw LayerShapeError("cannot flatten \(shape)") }
        return [features]
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        inputShape = x.shape
        output.borrow(x.pointer, shape: [x.shape[0], x.count / max(x.shape[0], 1)])
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.borrow(dy.pointer, shape: inputShape)
        return inputGradient
    }
}
