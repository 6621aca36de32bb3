/// 2-D convolution (cross-correlation, as in PyTorch's `nn.Conv2d`) over NCHW batches:
///
///     y[b, o, oh, ow] = bias[o] + sum_{c, ki, kj} W[o, c, ki, kj] · x[b, c, oh·s - p + ki, ow·s - p + kj]
///
/// with zero padding `p`, stride `s` and a square `k x k` kernel. Shapes (PyTorch
/// layout): x `[B, C, H, W]`, W `[O, C, k, k]`, bias `[O]`, y `[B, O, OH, OW]` with
/// `OH = (H + 2p - k) / s + 1` (and likewise `OW`).
///
/// Lowering: im2col turns a group of `G` images into `cols [C·k·k, G·P]`, `P = OH·OW`,
/// so the convolution is one sgemm `W[O, C·k·k] · cols`, and
///
///     dW    += dy_g · colsᵀ               ([O, G·P] · [G·P, C·k·k])
///     dcols  = Wᵀ · dy_g                  ([C·k·k, O] · [O, G·P]), then col2im → dx
///
/// where `dy_g` is the group's output gradient laid out `[O, G·P]`. A group of one
/// image writes `W · cols` straight into y; larger groups regroup `[O, G, P] ↔ [G, O, P]`
/// with one copy.
///
/// Work division (chosen by measurement on 2-core machines): the batch
/// is split between `configuration.threads` workers, each lowering and multiplying its
/// own images with single-threaded OpenBLAS calls and its own scratch, so that
/// im2col, col2im, the regrouping and the bias passes run in parallel too; workers
/// other than the first accumulate dW and db into private buffers that are added
/// afterwards. Each worker's group is sized so `cols` stays near
/// `configuration.convolutionColumnBudget` elements (cache-resident: im2col is bound by memory bandwidth otherwise); forward's
/// `cols` are kept for backward when the worker's whole share fits in one group, and
/// recomputed per group otherwise. Small convolutions (under
/// `configuration.convolutionParallelThreshold` multiply-adds) run on one worker
/// with OpenBLAS threads chosen by `configuration.gemmThreads(forMultiplyAdds:)`.
/// The layer never sets OpenBLAS's thread count itself: each product states its
/// count to `gemm` (1 inside the workers' parallel region).
/// (`ConvolutionBatchDivision` computes the division; `SparseConvolution`, the
/// sparse inference path, lowers the same groups.)
///
/// Given a pruning pattern below the crossover density (`setSparsity(pattern:)`),
/// the three products run through the sparse kernels (`SparseWeightPattern`) on the
/// same lowering, with the same results to float rounding:
///
///     y_g    = W (CSR) · cols                       (bias fused)
///     dW    += dy_g · colsᵀ at the pattern only      (sampled dense-dense product)
///     dcols  = Wᵀ (CSR) · dy_g
public final class Conv2D: Layer {
    public let weight: Parameter   // [O, C, k, k]
    public let bias: Parameter?    // [O]
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public var computesInputGradient = true

    /// Threads, the column budget and the parallel threshold (see `Layer.configure`).
    public private(set) var configuration = ComputeConfiguration.default
    /// The pruning pattern given to `setSparsity(pattern:)`, if any.
    public var sparsityPattern: Tensor? { sparsity.pattern }
    private let sparsity = SparseTraining()
    /// The sparse path, when a pattern below `configuration.sparseTrainingDensity` is set.
    private var sparse: SparseWeightPattern? { sparsity.adopted }
    /// Whether forward and backward run through the sparse kernels.
    public var trainsSparsely: Bool { sparse != nil }

    /// One worker's scratch: it lowers and multiplies only its own images.
    private final class Workspace {
        let columns = Tensor(shape: [0])          // cols (forward) or dcols (backward), [C·k·k, G·P]
        let grouped = Tensor(shape: [0])          // W·cols or dy_g, [O, G·P] (only when G > 1)
        let weightGradient = Tensor(shape: [0])   // partial dW of workers after the first, [O, C·k·k]
        let biasGradient = Tensor(shape: [0])     // partial db, [O]
        var columnsHoldShare = false              // cols of the worker's whole share survive from forward
        let sparse = SparseWorkspace()            // the sparse kernels' scratch
    }

    private var input: Tensor?                        // x, [B, C, H, W] (not owned)
    private var geometry: ConvolutionGeometry?        // of the last input's H, W
    private var workers = 1
    private var imagesPerGroup = 1                    // G
    private var workspaces: [Workspace] = []
    private let output = Tensor(shape: [0])           // y, [B, O, OH, OW]
    private let inputGradient = Tensor(shape: [0])    // dL/dx, [B, C, H, W]

    /// A layer named `name` ("conv1") with parameters "conv1.weight" `[out, in, k, k]`
    /// and, if `bias`, "conv1.bias" `[out]`.
    public init(name: String, inChannels: Int, outChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2D \(name): invalid configuration")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        weight = Parameter(name: "\(name).weight", shape: [outChannels, inChannels, kernelSize, kernelSize], role: .weight)
        self.bias = bias ? Parameter(name: "\(name).bias", shape: [outChannels], role: .bias) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func configure(_ configuration: ComputeConfiguration) {
        self.configuration = configuration
        sparsity.set(sparsity.pattern, weight: weight, configuration: configuration)
    }

    /// Trains through the sparse kernels when `pattern` (the pruning mask) is below
    /// the crossover density; see `SparseTraining`.
    public func setSparsity(pattern: Tensor?) { sparsity.set(pattern, weight: weight, configuration: configuration) }

    /// `[O, OH, OW]` with `OH = (H + 2p - k) / s + 1`; the padded input must hold one kernel.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard shape.count == 3, shape[0] == inChannels else {
            throw LayerShapeError("expects [\(inChannels), H, W], got \(shape)")
        }
        guard shape[1] + 2 * padding >= kernelSize, shape[2] + 2 * padding >= kernelSize else {
            throw LayerShapeError("a \(kernelSize)x\(kernelSize) kernel does not fit a \(shape[1])x\(shape[2]) input"
                                  + (padding > 0 ? " padded by \(padding)" : ""))
        }
        let g = makeGeometry(height: shape[1], width: shape[2])
        return [outChannels, g.outputHeight, g.outputWidth]
    }

    private func makeGeometry(height: Int, width: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(channels: inChannels, height: height, width: width,
                            kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    /// What the division of work was computed for: the input shape and the configuration.
    private struct Plan: Equatable {
        var inputShape: [Int], configuration: ComputeConfiguration, inputGradient: Bool
    }
    private var plan: Plan?

    /// Sizes the geometry, the workers, the groups and every buffer for input
    /// `[B, C, H, W]`; does nothing (and allocates nothing) when the input shape is
    /// unchanged, so steady-state steps only reuse buffers.
    private func prepare(for x: Tensor) {
        let wanted = Plan(inputShape: x.shape, configuration: configuration, inputGradient: computesInputGradient)
        if wanted == plan { return }
        plan = wanted
        precondition(x.shape.count == 4 && x.shape[1] == inChannels,
                     "Conv2D: input \(x.shape) is not [B, \(inChannels), H, W]")
        let g = makeGeometry(height: x.shape[2], width: x.shape[3])
        geometry = g
        let batch = x.shape[0], perImage = g.patchSize * g.outputPlane
        let division = ConvolutionBatchDivision(
            batch: batch, multiplyAdds: batch * outChannels * perImage, columnsPerImage: perImage,
            threads: configuration.threads, parallelThreshold: configuration.convolutionParallelThreshold,
            columnBudget: configuration.convolutionColumnBudget)
        workers = division.workers
        imagesPerGroup = division.imagesPerGroup
        while workspaces.count < workers { workspaces.append(Workspace()) }
        for space in workspaces.prefix(workers) {
            space.columns.reshape(to: [g.patchSize, imagesPerGroup * g.outputPlane])
            if imagesPerGroup > 1 { space.grouped.reshape(to: [outChannels, imagesPerGroup * g.outputPlane]) }
            space.weightGradient.reshape(to: [outChannels * g.patchSize])
            space.biasGradient.reshape(to: [outChannels])
            space.columnsHoldShare = false
        }
        output.reshape(to: [batch, outChannels, g.outputHeight, g.outputWidth])
        if computesInputGradient { inputGradient.reshape(to: x.shape) }
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        sparsity.decide(self, input: x, mode: mode)
        prepare(for: x)
        guard let g = geometry else { preconditionFailure("Conv2D: no geometry") }
        input = x
        let batch = x.shape[0], plane = g.outputPlane, outputSize = outChannels * plane
        let parallel = workers > 1
        sparse?.refresh(from: weight.value)
        let w = weight.value.pointer, b = bias?.value.pointer, y = output.pointer, xs = x.pointer
        parallelFor(workers: workers) { worker in
            let space = workspaces[worker]
            let images = share(of: batch, worker: worker, workers: workers)
            var start = images.lowerBound
            while start < images.upperBound {
                let count = min(imagesPerGroup, images.upperBound - start)
                // cols = im2col(x[start ..< start + count])                    [C·k·k, G·P]
                g.im2col(xs + start * g.inputSize, images: count, into: space.columns.pointer)
                let target = y + start * outputSize                             // [G, O, P]
                if count == 1 {
                    // y[o, p] = bias[o] + sum_r W[o, r] cols[r, p]
                    weightTimesColumns(parallel, n: plane, k: g.patchSize, w, space, bias: b, into: target)
                } else {
                    // grouped[o, (i, p)] = sum_r W[o, r] cols[r, (i, p)];  y[i, o, p] = grouped[o, (i, p)] + bias[o]
                    weightTimesColumns(parallel, n: count * plane, k: g.patchSize, w, space, bias: nil,
                                       into: space.grouped.pointer)
                    ungroupByChannel(space.grouped.pointer, images: count, channels: outChannels, plane: plane,
                                     adding: b, into: target)
                }
                start += count
            }
            space.columnsHoldShare = images.count <= imagesPerGroup
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input, let g = geometry else { preconditionFailure("Conv2D.backward before forward") }
        let batch = x.shape[0], plane = g.outputPlane, outputSize = outChannels * plane
        let kernelSize = outChannels * g.patchSize
        if computesInputGradient {
            prepare(for: x)   // sizes dx if the flag was switched on after forward
        } else {
            inputGradient.reshape(to: emptyShape)
        }
        let parallel = workers > 1
        if computesInputGradient { sparse?.refreshTransposed(from: weight.value) }
        let w = weight.value.pointer, xs = x.pointer, dys = dy.pointer, dx = inputGradient.pointer
        parallelFor(workers: workers) { worker in
            let space = workspaces[worker]
            let images = share(of: batch, worker: worker, workers: workers)
            // The first worker adds into the parameters' gradients, the others into partials.
            let dW: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?
            if worker == 0 {
                dW = weight.gradient.pointer
                db = bias?.gradient.pointer
            } else {
                space.weightGradient.fill(0)
                dW = space.weightGradient.pointer
                if bias != nil {
                    space.biasGradient.fill(0)
                    db = space.biasGradient.pointer
                } else {
                    db = nil
                }
            }
            var start = images.lowerBound
            while start < images.upperBound {
                let count = min(imagesPerGroup, images.upperBound - start)
                let dyImages = dys + start * outputSize                         // [G, O, P]
                // db[o] += sum_{i, p} dy[i, o, p]                              (from y = bias[o] + ...)
                if let db {
                    for i in 0..<count {
                        for o in 0..<outChannels {
                            let row = dyImages + (i * outChannels + o) * plane
                            var sum: Float = 0
                            for p in 0..<plane { sum += row[p] }
                            db[o] += sum
                        }
                    }
                }
                // dy_g [O, G·P]: the group's output gradient with its images side by side
                let dyGroup: UnsafeMutablePointer<Float>
                if count == 1 {
                    dyGroup = dyImages
                } else {
                    groupByChannel(dyImages, images: count, channels: outChannels, plane: plane, into: space.grouped.pointer)
                    dyGroup = space.grouped.pointer
                }
                if !space.columnsHoldShare {
                    // cols = im2col(x[group]), recomputed: forward kept only its last group
                    g.im2col(xs + start * g.inputSize, images: count, into: space.columns.pointer)
                }
                // dW[o, r] += sum_q dy_g[o, q] cols[r, q]                       (from y = W · cols)
                if let sparse {
                    sparse.sampledProduct(n: count * plane, dyGroup, space.columns.pointer, into: dW,
                                          variant: configuration.kernelPath)
                } else {
                    multiply(parallel, .none, .transposed, m: outChannels, n: g.patchSize, k: count * plane,
                             dyGroup, space.columns.pointer, beta: 1, dW)
                }
                if computesInputGradient {
                    // dcols[r, q] = sum_o W[o, r] dy_g[o, q]                    (from y = W · cols), into cols' buffer
                    if let sparse {
                        sparseGemm(sparse.transposed, .none, n: count * plane, dyGroup, space.columns.pointer,
                                   workspace: space.sparse, threads: parallel ? 1 : nil, configuration: configuration)
                    } else {
                        multiply(parallel, .transposed, .none, m: g.patchSize, n: count * plane, k: outChannels,
                                 w, dyGroup, beta: 0, space.columns.pointer)
                    }
                    // dx[group] = col2im(dcols)                                  (from cols = im2col(x))
                    let dxGroup = dx + start * g.inputSize
                    dxGroup.update(repeating: 0, count: count * g.inputSize)
                    g.col2im(space.columns.pointer, images: count, into: dxGroup)
                }
                start += count
            }
            space.columnsHoldShare = false   // the buffer now holds dcols
        }
        for worker in 1..<max(workers, 1) {
            let space = workspaces[worker]
            let dW = weight.gradient.pointer, partial = space.weightGradient.pointer
            for i in 0..<kernelSize { dW[i] += partial[i] }
            if let bias {
                let db = bias.gradient.pointer, partialBias = space.biasGradient.pointer
                for o in 0..<outChannels { db[o] += partialBias[o] }
            }
        }
        return inputGradient
    }

    /// `c [O, n] = bias + W · cols` (bias per row, nil for none), W `[O, k]`, cols the
    /// worker's `[k, n]` columns: through the sparse kernel when training sparsely,
    /// else the bias rows then `gemm` with beta 1.
    private func weightTimesColumns(_ parallel: Bool, n: Int, k: Int, _ w: UnsafePointer<Float>, _ space: Workspace,
                                    bias: UnsafePointer<Float>?, into c: UnsafeMutablePointer<Float>) {
        if let sparse {
            sparseGemm(sparse.matrix, .none, n: n, space.columns.pointer, bias: bias, c, workspace: space.sparse,
                       threads: parallel ? 1 : nil, configuration: configuration)
            return
        }
        if let bias { for o in 0..<outChannels { (c + o * n).update(repeating: bias[o], count: n) } }
        multiply(parallel, .none, .none, m: outChannels, n: n, k: k, w, space.columns.pointer, beta: bias == nil ? 0 : 1, c)
    }

    /// `c = op(a)·op(b) + beta·c` (row-major, contiguous) through `gemm`: on one
    /// OpenBLAS thread inside the workers' parallel region, else on the threads the
    /// configuration chooses for the product's size.
    @inline(__always)
    private func multiply(_ parallel: Bool, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                          _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, beta: Float,
                          _ c: UnsafeMutablePointer<Float>) {
        gemm(transA, transB, m: m, n: n, k: k, a, b, beta: beta, c,
             threads: parallel ? 1 : configuration.gemmThreads(forMultiplyAdds: m * n * k))
    }
}
