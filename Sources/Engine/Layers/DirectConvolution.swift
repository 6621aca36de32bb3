import CKernels

/// The direct lowering of a stride-1 convolution (no im2col), for `Conv2D` at small
/// channel counts: the products run as correlations over *flattened, padded* planes
/// (the C kernels `rw_conv_correlate` and `rw_conv_weight_gradient`, AVX-512 /
/// AVX2+FMA / portable).
///
/// Each input plane is copied once into a zero-bordered plane `xp` of `Hp = H + 2p`
/// rows of `Wp = W + 2p` floats. On the "wide" output grid `q = oh·Wp + ow`
/// (`oh < OH`, `ow < Wp`: the last `Wp - OW` columns of each row are computed and
/// dropped) a stride-1 convolution is a 1-D correlation with the tap offsets
/// `ki·Wp + kj`:
///
///     wide[o, q] = sum_{c, ki, kj} W[o, c, ki, kj] · xp[c, q + ki·Wp + kj]
///     y[o, oh, ow] = bias[o] + wide[o, oh·Wp + ow]                  (ow < OW)
///
/// so the kernels run long unit-stride vectors over whole planes, with no bounds
/// tests and no lowered matrix. The backward reads beside it. The output gradient is
/// placed on the same wide grid, `dyw[o, oh·Wp + ow] = dy[o, oh, ow]` and 0 in the
/// dropped columns, inside a zero border of `k - 1` rows (`dyp`, origin
/// `(k-1)·Wp + (k-1)`), and then
///
///     dW[o, c, ki, kj] += sum_{b, q} dyw[b, o, q] · xp[b, c, q + ki·Wp + kj]
///     dxp[c, i]         = sum_{o, ki, kj} W[o, c, k-1-ki, k-1-kj] · dyp[o, i + ki·Wp + kj]
///     dx[c, h, w]       = dxp[c, (h + p)·Wp + (w + p)]
///
/// (the input gradient is the same correlation with the weights transposed and
/// flipped, `Wflip[c, o, ki, kj] = W[o, c, k-1-ki, k-1-kj]`, over the gradient's
/// zero border; reads that wrap around a row land on the zero columns). The padded
/// planes `xp` of the whole batch are kept from forward for the weight gradient.
///
/// Every buffer's strides leave `RW_CONV_SLACK` floats past the last q the kernels
/// touch (they walk whole vectors); the borders, dropped columns and slack are zeroed
/// once when the buffers are sized and never written afterwards.
struct DirectConvolution {
    let geometry: ConvolutionGeometry
    let outputs: Int
    /// `Wp = W + 2p`, the padded row: the wide grid's row too.
    let row: Int
    /// Floats per padded input plane `xp` (`Hp·Wp` plus the kernels' over-read).
    let inputStride: Int
    /// Floats per padded output-gradient plane `dyp` (`OH + 2(k-1)` rows plus over-read).
    let gradientStride: Int
    /// Floats per row of the wide scratch (forward's `[O, OH·Wp]` or backward's `[C, H·Wp]`).
    let wideStride: Int

    /// Whether `geometry` can run directly: stride 1 (the wide grid needs
    /// `ow` and `q` to advance together).
    static func supports(_ geometry: ConvolutionGeometry) -> Bool {
        geometry.stride == 1 && geometry.kernelHeight == geometry.kernelWidth
    }

    init(geometry g: ConvolutionGeometry, outputs: Int) {
        precondition(DirectConvolution.supports(g), "DirectConvolution: stride-1 square kernels only")
        geometry = g
        self.outputs = outputs
        let k = g.kernelHeight, slack = Int(RW_CONV_SLACK)
        row = g.width + 2 * g.padding
        let paddedRows = g.height + 2 * g.padding
        func roundUp(_ n: Int) -> Int { (n + slack - 1) / slack * slack }
        inputStride = roundUp(paddedRows * row + k + slack)
        gradientStride = roundUp((g.outputHeight + 2 * (k - 1)) * row + k + slack)
        wideStride = roundUp(max(g.outputHeight, g.height) * row) + slack
    }

    var kernel: Int { geometry.kernelHeight }
    /// Where `dyw`'s first q sits in `dyp`: below `k - 1` zero rows and `k - 1` zeros.
    var gradientOrigin: Int { (kernel - 1) * row + (kernel - 1) }
    /// Floats of `xp` per image, `C·inputStride`.
    var paddedImageSize: Int { geometry.channels * inputStride }
    /// Floats of `dyp` per image, `O·gradientStride`.
    var paddedGradientSize: Int { outputs * gradientStride }
    /// Floats of one worker's wide scratch.
    var wideSize: Int { max(outputs, geometry.channels) * wideStride }

    /// `xp[c, (h + p)·Wp + p + w] = x[c, h, w]` for one image (the border stays zero).
    func pad(_ x: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        let g = geometry, p = g.padding
        for c in 0..<g.channels {
            for h in 0..<g.height {
                let source = x + (c * g.height + h) * g.width
                let target = padded + c * inputStride + (h + p) * row + p
                for w in 0..<g.width { target[w] = source[w] }
            }
        }
    }

    /// One image: `y[o, oh, ow] = bias[o] + sum_{c, ki, kj} W[o, c, ki, kj] · xp[c, oh·Wp + ow + ki·Wp + kj]`.
    func forward(padded: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 wide: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>, path: KernelVariant) {
        let g = geometry
        rw_conv_correlate(Int32(outputs), Int32(g.channels), Int32(kernel), Int32(row), Int32(g.outputHeight * row),
                          padded, inputStride, weight, wide, wideStride, path.code)
        let ow = g.outputWidth, plane = g.outputPlane
        for o in 0..<outputs {
            let shift = bias?[o] ?? 0
            for oh in 0..<g.outputHeight {
                let source = wide + o * wideStride + oh * row, target = y + o * plane + oh * ow
                for j in 0..<ow { target[j] = source[j] + shift }
            }
        }
    }

    /// `dyp[o, origin + oh·Wp + ow] = dy[o, oh, ow]` for one image (the dropped
    /// columns and the border stay zero).
    func placeGradient(_ dy: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>) {
        let g = geometry, ow = g.outputWidth
        for o in 0..<outputs {
            for oh in 0..<g.outputHeight {
                let source = dy + (o * g.outputHeight + oh) * ow
                let target = padded + o * gradientStride + gradientOrigin + oh * row
                for j in 0..<ow { target[j] = source[j] }
            }
        }
    }

    /// `dW[o, c, ki, kj] += sum_{b, q} dyw[b, o, q] · xp[b, c, q + ki·Wp + kj]` over `images`
    /// consecutive images of `xp` and `dyp`.
    func addWeightGradient(images: Int, paddedInput: UnsafePointer<Float>, paddedGradient: UnsafePointer<Float>,
                           into dW: UnsafeMutablePointer<Float>, path: KernelVariant) {
        let g = geometry
        rw_conv_weight_gradient(Int32(outputs), Int32(g.channels), Int32(kernel), Int32(row),
                                Int32(g.outputHeight * row), Int32(images),
                                paddedGradient + gradientOrigin, gradientStride, paddedGradientSize,
                                paddedInput, inputStride, paddedImageSize, dW, path.code)
    }

    /// One image: `dx[c, h, w] = sum_{o, ki, kj} Wflip[c, o, ki, kj] · dyp[o, (h + p)·Wp + (w + p) + ki·Wp + kj]`
    /// with `flipped` = `Wflip` (`flip(_:into:)`).
    func inputGradient(paddedGradient: UnsafePointer<Float>, flipped: UnsafePointer<Float>,
                       wide: UnsafeMutablePointer<Float>, into dx: UnsafeMutablePointer<Float>, path: KernelVariant) {
        let g = geometry, p = g.padding
        // wide[c, h·Wp + j] = dxp[c, (h + p)·Wp + j]: the rows of the unpadded image
        rw_conv_correlate(Int32(g.channels), Int32(outputs), Int32(kernel), Int32(row), Int32(g.height * row),
                          paddedGradient + p * row, gradientStride, flipped, wide, wideStride, path.code)
        for c in 0..<g.channels {
            for h in 0..<g.height {
                let source = wide + c * wideStride + h * row + p, target = dx + (c * g.height + h) * g.width
                for w in 0..<g.width { target[w] = source[w] }
            }
        }
    }

    /// `Wflip[c, o, ki, kj] = W[o, c, k-1-ki, k-1-kj]`: the input gradient's weights.
    func flip(_ weight: UnsafePointer<Float>, into flipped: UnsafeMutablePointer<Float>) {
        let k = kernel, taps = k * k, channels = geometry.channels
        for o in 0..<outputs {
            for c in 0..<channels {
                let source = weight + (o * channels + c) * taps, target = flipped + (c * outputs + o) * taps
                for t in 0..<taps { target[taps - 1 - t] = source[t] }
            }
        }
    }
}
