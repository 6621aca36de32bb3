/// Global average pooling: the mean of each channel's plane, `[B, C, H, W] → [B, C]`:
///
///     y[b, c] = (1 / (H·W)) sum_{h, w} x[b, c, h, w]
///
/// (ResNet's pooling before the classifier; PyTorch's `adaptive_avg_pool2d(x, 1)`
/// followed by `flatten(1)`.)
public final class GlobalAveragePool: Layer {
    public var computesInputGradient = true
    private let output = Tensor(shape: [0])            // y, [B, C]
    private let inputGradient = Tensor(shape: [0])     // dL/dx, [B, C, H, W]
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard shape.count == 3, shape[1] > 0, shape[2] > 0 else { throw LayerShapeError("expects [C, H, W], got \(shape)") }
        return [shape[0]]
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        precondition(x.shape.count == 4, "GlobalAveragePool expects [B, C, H, W], got \(x.shape)")
        if x.shape != inputShape {
            inputShape = x.shape
            output.reshape(to: [x.shape[0], x.shape[1]])
        }
        let planes = x.shape[0] * x.shape[1], plane = x.shape[2] * x.shape[3]
        let scale = 1 / Float(plane)
        for i in 0..<planes {
            // y[b, c] = (1 / (H·W)) sum_{h, w} x[b, c, h, w]
            let source = x.pointer + i * plane
            var sum: Float = 0
            for p in 0..<plane { sum += source[p] }
            output[i] = sum * scale
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard computesInputGradient else {
            inputGradient.reshape(to: emptyShape)
            return inputGradient
        }
        inputGradient.reshape(to: inputShape)
        let planes = inputShape[0] * inputShape[1], plane = inputShape[2] * inputShape[3]
        let scale = 1 / Float(plane)
        for i in 0..<planes {
            // dx[b, c, h, w] = dy[b, c] / (H·W)        (from y[b, c] = (1/(H·W)) sum x[b, c, :, :])
            (inputGradient.pointer + i * plane).update(repeating: dy[i] * scale, count: plane)
        }
        return inputGradient
    }
}
