/// Fully connected layer: `y = x Wᵀ + b`.
///
/// Shapes (PyTorch layout): x `[B, in]`, W `[out, in]`, b `[out]`, y `[B, out]`.
/// Inputs with more than two dimensions are read as `[B, product of the rest]`.
///
/// Dense by default (OpenBLAS sgemm). Given a pruning pattern (`setSparsity(pattern:)`)
/// on which the sparse kernels were measured faster (or, without measurement, below
/// the crossover density; see `SparseTraining`), it trains and evaluates through
/// them instead (`SparseWeightPattern`), with the same results to float rounding:
///
///     yᵀ [out, B] = W (CSR) · xᵀ + b,  y = (yᵀ)ᵀ
///     dW += dyᵀ · x at the pattern (from dyᵀ [out, B] and xᵀ [in, B])
///     dxᵀ [in, B] = Wᵀ (CSR) · dyᵀ,    dx = (dxᵀ)ᵀ
public final class Linear: Layer {
    public let weight: Parameter   // [out, in]
    public let bias: Parameter?    // [out]
    public let inputFeatures: Int
    public let outputFeatures: Int
    public var computesInputGradient = true
    /// Threads and thresholds of the products (see `Layer.configure`).
    public private(set) var configuration = ComputeConfiguration.default
    /// The pruning pattern given to `setSparsity(pattern:)`, if any.
    public var sparsityPattern: Tensor? { sparsity.pattern }
    private let sparsity = SparseTraining()
    /// The sparse path, when `SparseTraining` chose it for the pattern set.
    private var sparse: SparseWeightPattern? { sparsity.adopted }
    private let sparseWorkspace = SparseWorkspace()
    private let transposedOutput = Tensor(shape: [0])           // yᵀ [out, B]
    private let transposedInput = Tensor(shape: [0])            // xᵀ [in, B]
    private let transposedOutputGradient = Tensor(shape: [0])   // dyᵀ [out, B]
    private let transposedInputGradient = Tensor(shape: [0])    // dxᵀ [in, B]
    /// Whether forward and backward run through the sparse kernels.
    public var trainsSparsely: Bool { sparse != nil }

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

    public func configure(_ configuration: ComputeConfiguration) {
        self.configuration = configuration
        sparsity.set(sparsity.pattern, weight: weight, configuration: configuration)
    }

    /// Trains through the sparse kernels when they are faster for `pattern` (the
    /// pruning mask); see `SparseTraining`.
    public func setSparsity(pattern: Tensor?) { sparsity.set(pattern, weight: weight, configuration: configuration) }

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard ResourceLimits.elementCount(of: shape) == inputFeatures else {
            throw LayerShapeError("expects \(inputFeatures) features, got \(shape)")
        }
        return [outputFeatures]
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        sparsity.decide(self, input: x, mode: mode)
        let batch = x.shape[0]
        precondition(x.count == batch * inputFeatures, "Linear: input \(x.shape) does not have \(inputFeatures) features")
        input = x
        if let sparse {
            // yᵀ [out, B] = W (CSR) · xᵀ + b, x read transposed; then y [B, out]
            sparse.refresh(from: weight.value)
            transposedOutput.reshape(to: [outputFeatures, batch])
            sparseGemm(sparse.matrix, batch > 1 ? .transposed : .none, n: batch, x.pointer, bias: bias?.value.pointer,
                       transposedOutput.pointer, workspace: sparseWorkspace, configuration: configuration)
            output.reshape(to: [batch, outputFeatures])
            transpose(rows: outputFeatures, columns: batch, transposedOutput.pointer, output.pointer,
                      variant: configuration.kernelPath)
            return output
        }
        output.reshape(to: [batch, outputFeatures])
        // y[b, o] = b[o] + sum_i x[b, i] W[o, i]
        if let bias {
            for row in 0..<batch {
                (output.pointer + row * outputFeatures).update(from: bias.value.pointer, count: outputFeatures)
            }
        }
        gemm(.none, .transposed, m: batch, n: outputFeatures, k: inputFeatures,
             x.pointer, weight.value.pointer, beta: bias == nil ? 0 : 1, output.pointer,
             threads: configuration.gemmThreads(forMultiplyAdds: batch * outputFeatures * inputFeatures))
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let batch = x.shape[0]
        if let sparse {
            sparseBackward(dy, input: x, batch: batch, pattern: sparse)
            return inputGradient
        }
        // dW[o, i] += sum_b dy[b, o] x[b, i]        (dW += dyᵀ x)
        gemm(.transposed, .none, m: outputFeatures, n: inputFeatures, k: batch,
             dy.pointer, x.pointer, beta: 1, weight.gradient.pointer,
             threads: configuration.gemmThreads(forMultiplyAdds: batch * outputFeatures * inputFeatures))
        biasBackward(dy, batch: batch)
        guard computesInputGradient else { return inputGradient }
        // dx[b, i] = sum_o dy[b, o] W[o, i]          (dx = dy W)
        inputGradient.reshape(to: x.shape)
        gemm(.none, .none, m: batch, n: inputFeatures, k: outputFeatures,
             dy.pointer, weight.value.pointer, beta: 0, inputGradient.pointer,
             threads: configuration.gemmThreads(forMultiplyAdds: batch * outputFeatures * inputFeatures))
        return inputGradient
    }

    /// The backward pass through `pattern` (see the type's comment).
    private func sparseBackward(_ dy: Tensor, input x: Tensor, batch: Int, pattern: SparseWeightPattern) {
        let variant = configuration.kernelPath
        biasBackward(dy, batch: batch)
        // dyᵀ [out, B] and xᵀ [in, B]: rows of B contiguous floats for the sampled product.
        transposedOutputGradient.reshape(to: [outputFeatures, batch])
        transpose(rows: batch, columns: outputFeatures, dy.pointer, transposedOutputGradient.pointer, variant: variant)
        transposedInput.reshape(to: [inputFeatures, batch])
        transpose(rows: batch, columns: inputFeatures, x.pointer, transposedInput.pointer, variant: variant)
        // dW[o, i] += sum_b dyᵀ[o, b] xᵀ[i, b]      only where the pattern is 1
        pattern.sampledProduct(n: batch, transposedOutputGradient.pointer, transposedInput.pointer,
                               into: weight.gradient.pointer, variant: variant)
        guard computesInputGradient else { return }
        // dxᵀ [in, B] = Wᵀ (CSR) · dyᵀ, then dx [B, in]
        pattern.refreshTransposed(from: weight.value)
        transposedInputGradient.reshape(to: [inputFeatures, batch])
        sparseGemm(pattern.transposed, .none, n: batch, transposedOutputGradient.pointer, transposedInputGradient.pointer,
                   workspace: sparseWorkspace, configuration: configuration)
        inputGradient.reshape(to: [batch, inputFeatures])
        transpose(rows: inputFeatures, columns: batch, transposedInputGradient.pointer, inputGradient.pointer, variant: variant)
        inputGradient.reshape(to: x.shape)
    }

    /// db[o] += sum_b dy[b, o]
    private func biasBackward(_ dy: Tensor, batch: Int) {
        guard let bias else { return }
        let db = bias.gradient.pointer
        for row in 0..<batch {
            let dyRow = dy.pointer + row * outputFeatures
            for o in 0..<outputFeatures { db[o] += dyRow[o] }
        }
    }
}
