/// Inference (evaluation mode) of a pruned `Conv2D` layer through the sparse kernel:
/// the layer's weight `W [O, C, k, k]`, read as the CSR matrix `[O, C·k·k]` (the
/// entries the mask keeps, or the non-zeros), times the im2col columns of its input.
///
/// For a group of `G` images (`ConvolutionBatchDivision`, the groups `Conv2D`
/// lowers) with `P = OH·OW` output pixels each:
///
///     cols [C·k·k, G·P] = im2col(x[group])                          (ConvolutionGeometry.im2col)
///     Y    [O, G·P]     = epilogue(b + W [O, C·k·k] (CSR) · cols)   (sparseGemm, n = G·P)
///     y[i, o, p]        = Y[o, i·P + p]                             (NCHW [B, O, OH, OW])
///
/// so the kernel vectorises over the output pixels, 64 at a time, and touches
/// `stored entries · G·P` multiply-adds against `O · C·k·k · G·P` for the dense
/// sgemm. The bias and, when `fusesReLU`, a following ReLU (`max(·, 0)`) are applied
/// in the product's epilogue. A group of one image writes `Y` straight into `y`;
/// larger groups are copied from `[O, G, P]` to `[G, O, P]` (`ungroupByChannel`).
///
/// Threads: a batch whose sparse work (`stored entries · P · B` multiply-adds)
/// reaches `SparseThreads.threshold` is split among `SparseThreads.maximum` workers
/// by images, each lowering and multiplying its own share on one thread (so im2col
/// runs in parallel too); otherwise one worker runs and `sparseGemm` picks its own
/// thread count (a single large image may still be split by columns).
///
/// The result equals `Conv2D.forward(_, mode: .evaluation)` (followed by ReLU when
/// `fusesReLU`) to float rounding: the same lowering, the products summed in a
/// different order. The weights are read once, at initialisation. Buffers are sized
/// on the first call for a given input shape and reused afterwards, so steady-state
/// calls allocate nothing; not thread-safe.
public final class SparseConvolution {
    /// The dense layer this computes (its geometry; its weights as of `init`).
    public let layer: Conv2D
    /// `W` as `[O, C·k·k]`.
    public let matrix: CSRMatrix
    /// Whether `max(·, 0)` is applied to the output (a ReLU after the layer, fused).
    public let fusesReLU: Bool
    /// Which build of the kernels runs.
    public let variant: KernelVariant

    private let bias: Tensor?                         // b [O], copied with the weights
    private var geometry: ConvolutionGeometry?        // of the last input's H, W
    private var plannedFor: (inputShape: [Int], threads: Int, threshold: Int, budget: Int)?
    private var division = ConvolutionBatchDivision(batch: 1, multiplyAdds: 0, columnsPerImage: 1, threads: 1,
                                                    parallelThreshold: 1, columnBudget: 1)
    private var workspaces: [Workspace] = []
    private let output = Tensor(shape: [0])           // y [B, O, OH, OW]

    /// One worker's scratch.
    private final class Workspace {
        let columns = Tensor(shape: [0])              // cols [C·k·k, G·P]
        let grouped = Tensor(shape: [0])              // Y [O, G·P] (only when G > 1)
        let sparse = SparseWorkspace()                // the kernel's packing buffers
    }

    /// `mask` (0/1, the weight's shape) fixes the stored pattern: the entries where it
    /// is 1, even when 0 (the weight must be zero where the mask is 0, as after the
    /// mask is applied); without it the non-zeros are stored.
    public init(layer: Conv2D, mask: Tensor? = nil, fusesReLU: Bool = false, variant: KernelVariant = .automatic) {
        self.layer = layer
        self.matrix = CSRMatrix(layer.weight.value, mask: mask)
        self.bias = layer.bias.map { Tensor(copying: $0.value) }
        self.fusesReLU = fusesReLU
        self.variant = variant
    }

    /// Stored weights over all weights.
    public var density: Double { matrix.density }

    /// Sizes the geometry, the division of work and every buffer for input
    /// `[B, C, H, W]`; does nothing when the shape and the tunables are unchanged.
    private func prepare(for x: Tensor) -> ConvolutionGeometry {
        let threads = SparseThreads.maximum, threshold = SparseThreads.threshold, budget = Conv2D.columnBudget
        if let plannedFor, let geometry, plannedFor.inputShape == x.shape, plannedFor.threads == threads,
           plannedFor.threshold == threshold, plannedFor.budget == budget {
            return geometry
        }
        precondition(x.shape.count == 4 && x.shape[1] == layer.inChannels,
                     "SparseConvolution: input \(x.shape) is not [B, \(layer.inChannels), H, W]")
        let g = ConvolutionGeometry(channels: layer.inChannels, height: x.shape[2], width: x.shape[3],
                                    kernelHeight: layer.kernelSize, kernelWidth: layer.kernelSize,
                                    stride: layer.stride, padding: layer.padding)
        let batch = x.shape[0]
        division = ConvolutionBatchDivision(
            batch: batch, multiplyAdds: matrix.nonZeroCount * g.outputPlane * batch,
            columnsPerImage: g.patchSize * g.outputPlane, threads: threads,
            parallelThreshold: threshold, columnBudget: budget)
        while workspaces.count < division.workers { workspaces.append(Workspace()) }
        for space in workspaces.prefix(division.workers) {
            space.columns.reshape(to: [g.patchSize, division.imagesPerGroup * g.outputPlane])
            if division.imagesPerGroup > 1 {
                space.grouped.reshape(to: [layer.outChannels, division.imagesPerGroup * g.outputPlane])
            }
        }
        output.reshape(to: [batch, layer.outChannels, g.outputHeight, g.outputWidth])
        geometry = g
        plannedFor = (x.shape, threads, threshold, budget)
        return g
    }

    /// `y [B, O, OH, OW]` for `x [B, C, H, W]`, as `layer.forward(x, mode: .evaluation)`
    /// (then ReLU when `fusesReLU`). The result is owned by this object and is
    /// overwritten by the next call.
    public func forward(_ x: Tensor) -> Tensor {
        let g = prepare(for: x)
        let batch = x.shape[0], plane = g.outputPlane, channels = layer.outChannels
        let workers = division.workers, imagesPerGroup = division.imagesPerGroup
        let xs = x.pointer, y = output.pointer, b = bias.map { UnsafePointer($0.pointer) }
        parallelFor(workers: workers) { worker in
            let space = workspaces[worker]
            let images = share(of: batch, worker: worker, workers: workers)
            var start = images.lowerBound
            while start < images.upperBound {
                let count = min(imagesPerGroup, images.upperBound - start)
                // cols = im2col(x[start ..< start + count])                      [C·k·k, G·P]
                g.im2col(xs + start * g.inputSize, images: count, into: space.columns.pointer)
                let target = y + start * channels * plane                         // [G, O, P]
                // Y[o, q] = epilogue(b[o] + sum_r W[o, r] cols[r, q]), straight into y when G = 1
                let product = count == 1 ? target : space.grouped.pointer
                sparseGemm(matrix, .none, n: count * plane, space.columns.pointer, bias: b, relu: fusesReLU,
                           product, workspace: space.sparse, threads: workers > 1 ? 1 : nil, variant: variant)
                if count > 1 {
                    ungroupByChannel(product, images: count, channels: channels, plane: plane, into: target)
                }
                start += count
            }
        }
        return output
    }
}
