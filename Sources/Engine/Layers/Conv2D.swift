/// 2-D convolution (cross-correlation, as in PyTorch's `nn.Conv2d`) over NCHW batches:
///
///     y[b, o, oh, ow] = bias[o] + sum_{c, ki, kj} W[o, c, ki, kj] · x[b, c, oh·s - p + ki, ow·s - p + kj]
///
/// with zero padding `p`, stride `s` and a square `k x k` kernel. Shapes (PyTorch
/// layout): x `[B, C, H, W]`, W `[O, C, k, k]`, bias `[O]`, y `[B, O, OH, OW]` with
/// `OH = (H + 2p - k) / s + 1` (and likewise `OW`).
///
/// Two lowerings (`lowering`; `.automatic` picks by shape, `usesDirectLowering`):
///
/// Direct (stride 1, small patches `C·k·k`, as LeNet-5's convolutions): the input is
/// zero-padded into planes of rows `Wp = W + 2p` and the convolution runs as a
/// correlation over the flattened planes, `q = oh·Wp + ow` (see `DirectConvolution`):
///
///     y[o, q]   = bias[o] + sum_{c, ki, kj} W[o, c, ki, kj] · xp[c, q + ki·Wp + kj]
///     dW       += sum_{b, q} dy[b, o, q] · xp[b, c, q + ki·Wp + kj]
///     dxp[c, i] = sum_{o, ki, kj} W[o, c, k-1-ki, k-1-kj] · dyp[o, i + ki·Wp + kj]
///
/// with hand-written kernels (AVX-512 / AVX2+FMA / portable) and no lowered matrix:
/// at small channel counts the gemm's tiles are mostly empty (conv1's 6 rows) and
/// im2col copies cost as much as the products.
///
/// im2col (every other shape, and sparse training): im2col turns a group of `G`
/// images into `cols [C·k·k, G·P]`, `P = OH·OW`, so the convolution is one sgemm
/// `W[O, C·k·k] · cols`, and
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
/// whose products `gemm` splits over `configuration.gemmThreads(forMultiplyAdds:)`
/// threads; each product states its thread count to `gemm` (1 inside the workers'
/// parallel region).
/// (`ConvolutionBatchDivision` computes the division; `SparseConvolution`, the
/// sparse inference path, lowers the same groups.)
///
/// The direct lowering divides the batch among the same workers (one image at a
/// time, dW and db into the same partials).
///
/// Given a pruning pattern below the crossover density (`setSparsity(pattern:)`),
/// the three products run through the sparse kernels (`SparseWeightPattern`) on the
/// im2col lowering, whatever `lowering` says, with the same results to float rounding:
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
    /// im2col + gemm, the direct kernels, or the measured rule (see the type's comment).
    public var lowering = ConvolutionLowering.automatic {
        didSet { plan = nil }
    }

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
        let wide = Tensor(shape: [0])             // the direct lowering's wide output, [max(O, C), wideStride]
        let paddedGradient = Tensor(shape: [0])   // the direct lowering's dyp of a group, [G', O, gradientStride]
    }

    private var input: Tensor?                        // x, [B, C, H, W] (not owned)
    private var geometry: ConvolutionGeometry?        // of the last input's H, W
    private var workers = 1
    private var imagesPerGroup = 1                    // G
    private var workspaces: [Workspace] = []
    private let output = Tensor(shape: [0])           // y, [B, O, OH, OW]
    /// The direct lowering, when the shape is one it wins on (`usesDirectLowering`).
    private var direct: DirectConvolution?
    private var forwardRanDirectly = false            // backward follows forward's lowering
    private var paddedInputHoldsBatch = false         // xp holds forward's batch (not re-zeroed since)
    private var directGroup = 1                       // images whose dyp a worker holds at once
    private let paddedInput = Tensor(shape: [0])      // xp of the batch, [B, C, inputStride]
    private let flippedWeight = Tensor(shape: [0])    // Wflip, [C, O, k, k]
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
        let directly = switch lowering {
        case .automatic: Conv2D.usesDirectLowering(g, outputs: outChannels)
        case .im2col: false
        case .direct: DirectConvolution.supports(g)
        }
        direct = directly ? DirectConvolution(geometry: g, outputs: outChannels) : nil
        if let direct {
            // borders, dropped columns and slack are zero from here on (see DirectConvolution)
            paddedInput.reshape(to: [batch * direct.paddedImageSize])
            paddedInput.fill(0)
            paddedInputHoldsBatch = false
            directGroup = max(1, min((batch + workers - 1) / workers,
                                     configuration.convolutionColumnBudget / direct.paddedGradientSize))
            flippedWeight.reshape(to: weight.value.shape)
            for space in workspaces.prefix(workers) {
                space.wide.reshape(to: [direct.wideSize])
                space.paddedGradient.reshape(to: [directGroup * direct.paddedGradientSize])
                space.paddedGradient.fill(0)
            }
        }
    }

    /// Whether a dense convolution of shape `g` runs the direct lowering (`.automatic`):
    /// stride 1 with a square kernel and a patch `C·k·k` of at most
    /// `directLoweringPatchLimit`.
    static func usesDirectLowering(_ g: ConvolutionGeometry, outputs: Int) -> Bool {
        DirectConvolution.supports(g) && g.patchSize <= directLoweringPatchLimit
    }

    /// The largest patch `C·k·k` the direct lowering takes. Measured 2026-12-01 on the
    /// 2-core AMD EPYC Zen 4 (shared machine), release build, batch 60, each layer's
    /// forward and backward timed alone (best of 90, the two lowerings alternating),
    /// one thread, direct vs im2col + gemm, in µs, AVX-512 kernels: LeNet-5 conv1
    /// (patch 25) 198 vs 522 forward, 280 vs 755 backward; conv2 (patch 150) 404 vs
    /// 743, 1201 vs 1504; Conv-2 conv1 (patch 9) 1468 vs 2043, 1721 vs 3003. AVX2
    /// kernels (`REWIND_KERNELS=avx2`): 240 vs 537, 338 vs 759; 430 vs 735, 1499 vs
    /// 1502 (a tie); 1559 vs 2151, 1959 vs 2719. Conv-2 conv2 (patch 576), direct
    /// forced: 34.4 vs 37.0 ms forward but 99 vs 77 ms backward, a loss: on a long
    /// patch the gemm runs near peak, and the input gradient's full correlation does
    /// more multiply-adds than `Wᵀ · dy`. (docs/benchmarks.md.)
    static let directLoweringPatchLimit = 256

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        sparsity.decide(self, input: x, mode: mode)
        prepare(for: x)
        guard let g = geometry else { preconditionFailure("Conv2D: no geometry") }
        input = x
        let batch = x.shape[0], plane = g.outputPlane, outputSize = outChannels * plane
        let parallel = workers > 1
        sparse?.refresh(from: weight.value)
        let w = weight.value.pointer, b = bias?.value.pointer, y = output.pointer, xs = x.pointer
        forwardRanDirectly = direct != nil && sparse == nil
        if let direct, forwardRanDirectly {
            let padded = paddedInput.pointer, path = configuration.kernelPath
            parallelFor(workers: workers) { worker in
                let wide = workspaces[worker].wide.pointer
                for image in share(of: batch, worker: worker, workers: workers) {
                    let xp = padded + image * direct.paddedImageSize
                    direct.pad(xs + image * g.inputSize, into: xp)
                    direct.forward(padded: xp, weight: w, bias: b, wide: wide, into: y + image * outputSize, path: path)
                }
            }
            paddedInputHoldsBatch = true
            return output
        }
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
        let batch = x.shape[0]
        if computesInputGradient {
            prepare(for: x)   // sizes dx if the flag was switched on after forward
        } else {
            inputGradient.reshape(to: emptyShape)
        }
        if computesInputGradient {
            if forwardRanDirectly, let direct { direct.flip(weight.value.pointer, into: flippedWeight.pointer) }
            sparse?.refreshTransposed(from: weight.value)
        }
        let dys = dy.pointer
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
            // db[o] += sum_{i, p} dy[i, o, p]                              (from y = bias[o] + ...)
            if let db {
                for i in images {
                    for o in 0..<outChannels { db[o] += vectorSum(dys + (i * outChannels + o) * g.outputPlane, count: g.outputPlane) }
                }
            }
            if forwardRanDirectly, let direct {
                directBackward(direct, images: images, x: x.pointer, dy: dys, space: space, dW: dW)
            } else {
                loweredBackward(g, images: images, x: x.pointer, dy: dys, space: space, dW: dW)
            }
        }
        let weightSize = outChannels * g.patchSize
        for worker in 1..<max(workers, 1) {
            let space = workspaces[worker]
            let dW = weight.gradient.pointer, partial = space.weightGradient.pointer
            for i in 0..<weightSize { dW[i] += partial[i] }
            if let bias {
                let db = bias.gradient.pointer, partialBias = space.biasGradient.pointer
                for o in 0..<outChannels { db[o] += partialBias[o] }
            }
        }
                return inputGradient
    }

    /// The direct lowering's backward for one worker's `images` (see `DirectConvolution`),
    /// `directGroup` images at a time (their `dyp` stays cache-resident, as im2col's
    /// `cols`): dy onto the wide grid, dW over the group in one kernel call, then dx
    /// per image.
    private func directBackward(_ direct: DirectConvolution, images: Range<Int>, x: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, space: Workspace, dW: UnsafeMutablePointer<Float>) {
        guard let g = geometry else { return }
        let path = configuration.kernelPath, outputSize = outChannels * g.outputPlane
        let dyp = space.paddedGradient.pointer, gradientSize = direct.paddedGradientSize
        var start = images.lowerBound
        while start < images.upperBound {
            let count = min(directGroup, images.upperBound - start)
            let xp = paddedInput.pointer + start * direct.paddedImageSize
            for n in 0..<count {
                if !paddedInputHoldsBatch { direct.pad(x + (start + n) * g.inputSize, into: xp + n * direct.paddedImageSize) }
                // dyw[o, oh·Wp + ow] = dy[o, oh, ow]
                direct.placeGradient(dy + (start + n) * outputSize, into: dyp + n * gradientSize)
            }
            // dW[o, c, ki, kj] += sum_{b, q} dyw[b, o, q] · xp[b, c, q + ki·Wp + kj]      (from y = W ⋆ xp)
            direct.addWeightGradient(images: count, paddedInput: xp, paddedGradient: dyp, into: dW, path: path)
            if computesInputGradient {
                // dx = Wflip ⋆ dyp, read at the unpadded pixels                           (from y = W ⋆ xp)
                for n in 0..<count {
                    direct.inputGradient(paddedGradient: dyp + n * gradientSize, flipped: flippedWeight.pointer,
                                         wide: space.wide.pointer, into: inputGradient.pointer + (start + n) * g.inputSize,
                                         path: path)
                }
            }
            start += count
        }
    }

    /// The im2col lowering's backward for one worker's `images`, group by group.
    private func loweredBackward(_ g: ConvolutionGeometry, images: Range<Int>, x xs: UnsafePointer<Float>,
                                 dy dys: UnsafePointer<Float>, space: Workspace, dW: UnsafeMutablePointer<Float>) {
        let plane = g.outputPlane, outputSize = outChannels * plane
        let parallel = workers > 1
        let w = weight.value.pointer, dx = inputGradient.pointer
        var start = images.lowerBound
        while start < images.upperBound {
            let count = min(imagesPerGroup, images.upperBound - start)
            let dyImages = dys + start * outputSize                         // [G, O, P]
            // dy_g [O, G·P]: the group's output gradient with its images side by side
            let dyGroup: UnsafePointer<Float>
            if count == 1 {
                dyGroup = dyImages
            } else {
                groupByChannel(dyImages, images: count, channels: outChannels, plane: plane, into: space.grouped.pointer)
                dyGroup = UnsafePointer(space.grouped.pointer)
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
    /// thread inside the workers' parallel region, else on the threads the
    /// configuration chooses for the product's size.
    @inline(__always)
    private func multiply(_ parallel: Bool, _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                          _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, beta: Float,
                          _ c: UnsafeMutablePointer<Float>) {
        gemm(transA, transB, m: m, n: n, k: k, a, b, beta: beta, c,
             threads: parallel ? 1 : configuration.gemmThreads(forMultiplyAdds: m * n * k))
    }
}

/// `sum_{i < count} x[i]` in sixteen interleaved partial sums, so the loop runs on
/// vectors (one running `Float` sum is bound by the add latency: LeNet-5's conv1
/// spent a third of its backward pass summing db that way).
@inline(__always)
private func vectorSum(_ x: UnsafePointer<Float>, count: Int) -> Float {
    let raw = UnsafeRawPointer(x), size = MemoryLayout<Float>.stride
    var low = SIMD8<Float>(), high = SIMD8<Float>()
    var i = 0
    while i + 16 <= count {
        low += raw.loadUnaligned(fromByteOffset: i * size, as: SIMD8<Float>.self)
        high += raw.loadUnaligned(fromByteOffset: (i + 8) * size, as: SIMD8<Float>.self)
        i += 16
    }
    var sum = (low + high).sum()
    while i < count {
        sum += x[i]
        i += 1
    }
    return sum
}
