/// Fully connected layer: `y = x Wᵀ + b`.
///
/// Shapes (PyTorch layout): x `[B, in]`, W `[out, in]`, b `[out]`, y `[B, out]`.
/// Inputs with more than two dimensions are read as `[B, product of the rest]`.
public final class Linear: Layer {
    public let weight: Parameter   // [out, in]
    public let bias: Parameter?    // [out]
    public let inputFeatures: Int
    public let outputFeatures: Int
    public var computesInputGradient = true

    private var input: Tensor?                  // cached x, [B, in] (not owned)
    private let output = Tensor(shape: [0])     // y, [B, out]
    private let inputGradient = Tensor(shape: [0])  // dL/dx, [B, in]

    /// A layer named `name` ("fc1") with parameters "fc1.weight" and "fc1.bias".
    public init(name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true) {
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter(name: "\(name).weight", shape: [outputFeatures, inputFeatures], role: .weight)
        self.bias = bias ? Parameter(name: "\(name).bias", shape: [outputFeatures], role: .bias) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard ResourceLimits.elementCount(of: shape) == inputFeatures else {
            throw LayerShapeError("expects \(inputFeatures) features, got \(shape)")
        }
        return [outputFeatures]
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        let batch = x.shape[0]
        precondition(x.count == batch * inputFeatures, "Linear: input \(x.shape) does not have \(inputFeatures) features")
        input = x
        output.reshape(to: [batch, outputFeatures])
        // y[b, o] = b[o] + sum_i x[b, i] W[o, i]
        if let bias {
            for row in 0..<batch {
                (output.pointer + row * outputFeatures).update(from: bias.value.pointer, count: outputFeatures)
            }
        }
        gemm(.none, .transposed, m: batch, n: outputFeatures, k: inputFeatures,
             x.pointer, weight.value.pointer, beta: bias == nil ? 0 : 1, output.pointer)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let batch = x.shape[0]
        // dW[o, i] += sum_b dy[b, o] x[b, i]        (dW += dyᵀ x)
        gemm(.transposed, .none, m: outputFeatures, n: inputFeatures, k: batch,
             dy.pointer, x.pointer, beta: 1, weight.gradient.pointer)
        // db[o] += sum_b dy[b, o]
        if let bias {
            let db = bias.gradient.pointer
            for row in 0..<batch {
                let dyRow = dy.pointer + row * outputFeatures
                for o in 0..<outputFeatures { db[o] += dyRow[o] }
            }
        }
        guard computesInputGradient else { return inputGradient }
        // dx[b, i] = sum_o dy[b, o] W[o, i]          (dx = dy W)
        inputGradient.reshape(to: x.shape)
        gemm(.none, .none, m: batch, n: inputFeatures, k: outputFeatures,
             dy.pointer, weight.value.pointer, beta: 0, inputGradient.pointer)
        return inputGradient
    }
}
