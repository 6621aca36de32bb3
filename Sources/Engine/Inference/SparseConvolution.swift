/// Inference (evaluation mode) of a pruned `Conv2D` layer through the sparse kernel:
/// the layer's weight `W [O, C, k, k]`, read as the CSR matrix `[O, C·k·k]` (the
/// entries the mask keeps, or the non-zeros), times the lowered input, with
/// `P = OH·OW` output pixels per image:
///
///     y[i, o, p] = epilogue(b[o] + sum_r W[o, r] · cols_i[r, p])     r = (c·k + ki)·k + kj
///
/// where `cols_i[r, oh·OW + ow] = x[i, c, oh·s - pad + ki, ow·s - pad + kj]` (0 outside)
/// are the im2col columns. The kernel (`sparseGemm`) vectorises over the output
/// pixels, 64 at a time, and does `stored entries · P` multiply-adds per image against
/// `O · C·k·k · P` for the dense sgemm. The bias and, when `fusesReLU`, a following
/// ReLU (`max(·, 0)`) are applied in the product's epilogue. Two lowerings
/// (`Lowering`) present the input to the kernel:
///
/// - `.columns` (any stride): for a group of `G = ceil(minimumColumns / P)` images
///   (`ConvolutionBatchDivision`), `cols [C·k·k, G·P] = im2col(x[group])`, then
///   `Y [O, G·P] = epilogue(b + W · cols)`; a group of one image writes `Y` straight
///   into `y`, larger groups are copied from `[O, G, P]` to `[G, O, P]`
///   (`ungroupByChannel`). im2col writes `k²` floats per input float.
/// - `.shiftedWindows` (stride 1): no im2col. Each image is copied
///   once into a zero-padded buffer `x̃ [C, Hp, Wp]`, `Hp = H + 2·pad`, `Wp = W + 2·pad`;
///   then for `q = oh·Wp + ow`
///
///       cols[r, q] = x̃[c, oh + ki, ow + kj] = x̃_flat[offset(r) + q],   offset(r) = c·Hp·Wp + ki·Wp + kj
///
///   so row `r` of the lowered matrix is the window of `x̃_flat` starting at
///   `offset(r)`: `sparseGemm` runs on `W` with column indices `offset(r)` (ascending
///   with `r`) and row stride `ldb = 1`, over `n = OH·Wp` columns rounded up to 8 (no
///   tail), into `Y' [O, n]`, whose columns with `ow < OW` are copied to `y`; the
///   other `Wp - OW` per row (windows wrapping into the next row) are dropped. Extra
///   traffic: one copy of the input and of the output per image, plus the dropped
///   columns' work (`Wp / OW - 1`: 7% for a 3x3 "same" convolution on 28x28).
///
/// By default each layer takes the lowering that moves fewer floats
/// (`Lowering.cheaper`): the windows for many input channels (Conv-2's conv2, both
/// LeNet-5 convolutions), im2col for one input channel and many outputs (Conv-2's
/// conv1, whose `y` is 64 times its input) and for strides above 1.
///
/// Threads: a batch whose sparse work (`stored entries · P · B` multiply-adds)
/// reaches `configuration.sparseThreshold` is split among `configuration.threads` workers
/// by images, each lowering and multiplying its own share on one thread (so the
/// lowering runs in parallel too); otherwise one worker runs and `sparseGemm` picks
/// its own thread count (a single large image may still be split by columns).
///
/// The result equals `Conv2D.forward(_, mode: .evaluation)` (followed by ReLU when
/// `fusesReLU`) to float rounding: the same products, summed in a different order.
/// The weights are read once, at initialisation. Buffers are sized on the first call
/// for a given input shape and reused afterwards, so steady-state calls allocate
/// nothing; not thread-safe.
public final class SparseConvolution {
    /// How the input is lowered for the sparse product (see the type's notes).
    public enum Lowering: Sendable, Equatable, CustomStringConvertible {
        /// im2col columns `[C·k·k, G·P]`, any stride.
        case columns
        /// Windows of the zero-padded image, no im2col; stride 1 only.
        case shiftedWindows

        public var description: String { self == .columns ? "im2col" : "shifted windows" }

        /// The lowering that moves fewer floats per image for `layer` on `height x width`
        /// inputs: im2col writes `C·k²·OH·OW` floats (and the product writes `y`
        /// directly); the shifted windows copy `C·Hp·Wp` in and `O·OH·Wp` out. Stride 1
        /// only for the windows. Measured on Conv-2 (28x28x1, one thread, 95% sparse):
        /// conv1 [64, 1, 3, 3] (9 + 0 vs 1 + 71 floats per pixel) took 12 us by im2col
        /// and 26 us by windows; conv2 [64, 64, 3, 3] (576 vs 73 + 69) 357 us and 209 us.
        public static func cheaper(for layer: Conv2D, height: Int, width: Int) -> Lowering {
            guard layer.stride == 1 else { return .columns }
            let k = layer.kernelSize, hp = height + 2 * layer.padding, wp = width + 2 * layer.padding
            let oh = hp - k + 1, ow = wp - k + 1
            let im2col = layer.inChannels * k * k * oh * ow
            let windows = layer.inChannels * hp * wp + layer.outChannels * oh * wp
            return windows < im2col ? .shiftedWindows : .columns
        }
    }

    /// The fewest output pixels per `.columns` product: smaller images are lowered
    /// several at a time (`G = ceil(minimumColumns / P)`), so the kernel gets whole
    /// 64-column panels; larger ones one at a time, written straight into `y` (a
    /// larger group only adds the `[O, G, P]` to `[G, O, P]` copy: Conv-2's conv1 at
    /// batch 256 took 17.6 ms in groups of 37 images and about 3 ms one by one).
    public static let minimumColumns = 256

    /// The dense layer this computes (its geometry; its weights as of `init`).
    public let layer: Conv2D
    /// `W` as `[O, C·k·k]`.
    public let matrix: CSRMatrix
    /// Whether `max(·, 0)` is applied to the output (a ReLU after the layer, fused).
    public let fusesReLU: Bool
    /// How the input is lowered: the one asked for, else chosen per input size by
    /// `Lowering.cheaper` (nil before the first call).
    public var lowering: Lowering? { requestedLowering ?? geometry.map { Lowering.cheaper(for: layer, height: $0.height, width: $0.width) } }
    private let requestedLowering: Lowering?
    /// Threads, thresholds and the kernel build (`kernelPath`) this layer runs with.
    public let configuration: ComputeConfiguration

    private let bias: Tensor?                         // b [O], copied with the weights
    private var geometry: ConvolutionGeometry?        // of the last input's H, W
    private var windows: ShiftedWindows?              // for `geometry` (shifted windows only)
    private var plannedFor: (inputShape: [Int], threads: Int, threshold: Int)?
    private var division = ConvolutionBatchDivision(batch: 1, multiplyAdds: 0, columnsPerImage: 1, threads: 1,
                                                    parallelThreshold: 1, columnBudget: 1)
    private var workspaces: [Workspace] = []
    private let output = Tensor(shape: [0])           // y [B, O, OH, OW]

    /// One worker's scratch.
    private final class Workspace {
        let lowered = Tensor(shape: [0])              // cols [C·k·k, G·P], or x̃ [C, Hp, Wp] and slack
        let product = Tensor(shape: [0])              // Y [O, G·P] (G > 1), or Y' [O, n]
        let sparse = SparseWorkspace()                // the kernel's packing buffers
    }

    /// The shifted-window form of `W` for one input size.
    private struct ShiftedWindows {
        let paddedHeight: Int, paddedWidth: Int       // Hp, Wp
        let columns: Int                              // n = OH·Wp rounded up to 8
        let matrix: CSRMatrix                         // W [O, C·Hp·Wp] with column indices offset(r)
        /// Floats of x̃ and the slack the last windows read past it (zero).
        let paddedCount: Int

        init(_ matrix: CSRMatrix, geometry g: ConvolutionGeometry) {
            let k = g.kernelWidth, hp = g.height + 2 * g.padding, wp = g.width + 2 * g.padding, plane = hp * wp
            paddedHeight = hp
            paddedWidth = wp
            columns = (g.outputHeight * wp + 7) / 8 * 8
            // offset(r) = c·Hp·Wp + ki·Wp + kj for r = (c·k + ki)·k + kj; ascending in r.
            let offsets = matrix.columnIndices.map { r -> Int32 in
                let r = Int(r), c = r / (k * k), ki = r / k % k, kj = r % k
                return Int32(c * plane + ki * wp + kj)
            }
            // The largest window, offset(C·k·k - 1) + n, ends past x̃ by at most k - 1 + 7 floats.
            paddedCount = g.channels * plane + k + 8
            // Valid by construction: the offsets ascend within each row and lie in 0..<C·Hp·Wp.
            self.matrix = try! CSRMatrix(rows: matrix.rows, columns: g.channels * plane, rowOffsets: matrix.rowOffsets,
                                         columnIndices: offsets, values: matrix.values)
        }
    }

    /// `mask` (0/1, the weight's shape) fixes the stored pattern: the entries where it
    /// is 1, even when 0 (the weight must be zero where the mask is 0, as after the
    /// mask is applied); without it the non-zeros are stored. `lowering` nil picks
    /// `Lowering.cheaper` for each input size.
    public init(layer: Conv2D, mask: Tensor? = nil, fusesReLU: Bool = false, lowering: Lowering? = nil,
                configuration: ComputeConfiguration = .default) {
        precondition(lowering != .shiftedWindows || layer.stride == 1, "SparseConvolution: shifted windows need stride 1")
        self.layer = layer
        self.matrix = CSRMatrix(layer.weight.value, mask: mask)
        self.bias = layer.bias.map { Tensor(copying: $0.value) }
        self.fusesReLU = fusesReLU
        self.requestedLowering = lowering
        self.configuration = configuration
    }

    /// Stored weights over all weights.
    public var density: Double { matrix.density }

    /// Sizes the geometry, the division of work and every buffer for input
    /// `[B, C, H, W]`; does nothing when the shape and the tunables are unchanged.
    private func prepare(for x: Tensor) -> ConvolutionGeometry {
        let threads = configuration.threads, threshold = configuration.sparseThreshold
        if let plannedFor, let geometry, plannedFor.inputShape == x.shape, plannedFor.threads == threads,
           plannedFor.threshold == threshold {
            return geometry
        }
        precondition(x.shape.count == 4 && x.shape[1] == layer.inChannels,
                     "SparseConvolution: input \(x.shape) is not [B, \(layer.inChannels), H, W]")
        let g = ConvolutionGeometry(channels: layer.inChannels, height: x.shape[2], width: x.shape[3],
                                    kernelHeight: layer.kernelSize, kernelWidth: layer.kernelSize,
                                    stride: layer.stride, padding: layer.padding)
        let batch = x.shape[0]
        let lowering = requestedLowering ?? Lowering.cheaper(for: layer, height: g.height, width: g.width)
        // .columns: groups of ceil(minimumColumns / P) images (one when P >= minimumColumns);
        // shifted windows: one image at a time.
        let groupImages = lowering == .columns ? (Self.minimumColumns + g.outputPlane - 1) / g.outputPlane : 1
        division = ConvolutionBatchDivision(
            batch: batch, multiplyAdds: matrix.nonZeroCount * g.outputPlane * batch,
            columnsPerImage: g.patchSize * g.outputPlane, threads: threads,
            parallelThreshold: threshold, columnBudget: groupImages * g.patchSize * g.outputPlane)
        if lowering == .columns {
            windows = nil
        } else if g != geometry || windows == nil {
            windows = ShiftedWindows(matrix, geometry: g)
        }
        while workspaces.count < division.workers { workspaces.append(Workspace()) }
        for space in workspaces.prefix(division.workers) {
            if let windows {
                // Zero once: the copies write only the interior, so padding and slack stay zero.
                space.lowered.reshape(to: [windows.paddedCount])
                space.lowered.fill(0)
                space.product.reshape(to: [layer.outChannels, windows.columns])
            } else {
                space.lowered.reshape(to: [g.patchSize, division.imagesPerGroup * g.outputPlane])
                if division.imagesPerGroup > 1 {
                    space.product.reshape(to: [layer.outChannels, division.imagesPerGroup * g.outputPlane])
                }
            }
        }
        output.reshape(to: [batch, layer.outChannels, g.outputHeight, g.outputWidth])
        geometry = g
        plannedFor = (x.shape, threads, threshold)
        return g
    }

    /// `y [B, O, OH, OW]` for `x [B, C, H, W]`, as `layer.forward(x, mode: .evaluation)`
    /// (then ReLU when `fusesReLU`). The result is owned by this object and is
    /// overwritten by the next call.
    public func forward(_ x: Tensor) -> Tensor {
        let g = prepare(for: x)
        let batch = x.shape[0], workers = division.workers
        parallelFor(workers: workers) { worker in
            let images = share(of: batch, worker: worker, workers: workers)
            let threads = workers > 1 ? 1 : nil
            if let windows {
                forwardByShiftedWindows(x, images: images, geometry: g, windows: windows,
                                        space: workspaces[worker], threads: threads)
            } else {
                forwardByColumns(x, images: images, geometry: g, space: workspaces[worker], threads: threads)
            }
        }
        return output
    }

    /// `.columns`: `images` of `x` into `output`, `G` at a time.
    private func forwardByColumns(_ x: Tensor, images: Range<Int>, geometry g: ConvolutionGeometry,
                                  space: Workspace, threads: Int?) {
        let plane = g.outputPlane, channels = layer.outChannels
        let b = bias.map { UnsafePointer($0.pointer) }
        var start = images.lowerBound
        while start < images.upperBound {
            let count = min(division.imagesPerGroup, images.upperBound - start)
            // cols = im2col(x[start ..< start + count])                          [C·k·k, G·P]
            g.im2col(x.pointer + start * g.inputSize, images: count, into: space.lowered.pointer)
            let target = output.pointer + start * channels * plane                // [G, O, P]
            // Y[o, q] = epilogue(b[o] + sum_r W[o, r] cols[r, q]), straight into y when G = 1
            let product = count == 1 ? target : space.product.pointer
            sparseGemm(matrix, .none, n: count * plane, space.lowered.pointer, bias: b, relu: fusesReLU,
                       product, workspace: space.sparse, threads: threads, configuration: configuration)
            if count > 1 {
                ungroupByChannel(product, images: count, channels: channels, plane: plane, into: target)
            }
            start += count
        }
    }

    /// `.shiftedWindows`: `images` of `x` into `output`, one at a time.
    private func forwardByShiftedWindows(_ x: Tensor, images: Range<Int>, geometry g: ConvolutionGeometry,
                                         windows: ShiftedWindows, space: Workspace, threads: Int?) {
        let channels = layer.outChannels, oh = g.outputHeight, ow = g.outputWidth
        let hp = windows.paddedHeight, wp = windows.paddedWidth, pad = g.padding
        let b = bias.map { UnsafePointer($0.pointer) }
        let padded = space.lowered.pointer, product = space.product.pointer
        for image in images {
            // x̃[c, i + pad, j + pad] = x[image, c, i, j] (the border stays zero)
            let source = x.pointer + image * g.inputSize
            for c in 0..<g.channels {
                for i in 0..<g.height {
                    let from = source + (c * g.height + i) * g.width
                    let to = padded + (c * hp + i + pad) * wp + pad
                    for j in 0..<g.width { to[j] = from[j] }
                }
            }
            // Y'[o, q] = epilogue(b[o] + sum_r W[o, r] x̃_flat[offset(r) + q])          [O, n]
            sparseGemm(windows.matrix, .none, n: windows.columns, padded, ldb: 1, bias: b, relu: fusesReLU,
                       product, workspace: space.sparse, threads: threads, configuration: configuration)
            // y[image, o, r, 0 ..< OW] = Y'[o, r·Wp ..< r·Wp + OW]
            let target = output.pointer + image * channels * oh * ow
            for o in 0..<channels {
                for row in 0..<oh {
                    let from = product + o * windows.columns + row * wp, to = target + (o * oh + row) * ow
                    for j in 0..<ow { to[j] = from[j] }
                }
            }
        }
    }
}
