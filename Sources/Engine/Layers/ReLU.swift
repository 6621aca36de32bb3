import CKernels

/// Rectified linear unit, elementwise: `y = max(x, 0)`.
public final class ReLU: Layer {
    public var computesInputGradient = true
    /// The kernel build of both passes (`ComputeConfiguration.kernelPath`).
    public private(set) var kernelPath = KernelVariant.automatic
    private let output = Tensor(shape: [0])         // y, same shape as x
    private let inputGradient = Tensor(shape: [0])  // dL/dx

    public init() {}

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] { shape }

    public func configure(_ configuration: ComputeConfiguration) { kernelPath = configuration.kernelPath }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        output.reshape(to: x.shape)
        rw_relu_forward(x.pointer, output.pointer, x.count, kernelPath.code)   // y = max(x, 0)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.reshape(to: output.shape)
        let y = output.pointer, g = dy.pointer, dx = inputGradient.pointer
        rw_relu_backward(y, g, dx, output.count, kernelPath.code)   // dx = dy * [y > 0]
        return inputGradient
    }
}
