/// The geometry of a sliding `kernelHeight x kernelWidth` window over one NCHW image
/// of `channels x height x width`, with zero padding and a stride (PyTorch's
/// convention, floor mode):
///
///     outputHeight = (height + 2 * padding - kernelHeight) / stride + 1
///     outputWidth  = (width  + 2 * padding - kernelWidth)  / stride + 1
///
/// Output pixel `(oh, ow)` with kernel offset `(ki, kj)` reads input pixel
///
///     ih = oh * stride - padding + ki,   iw = ow * stride - padding + kj
///
/// which is zero when it falls outside the image. For each offset the outputs that
/// read inside the image form one contiguous range, precomputed here, so the
/// lowering loops below never test bounds per element.
public struct ConvolutionGeometry: Equatable, Sendable {
    public let channels: Int, height: Int, width: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let stride: Int, padding: Int
    public let outputHeight: Int, outputWidth: Int
    /// `validRows[ki]`: the `oh` with `0 <= oh * stride - padding + ki < height`.
    let validRows: [Range<Int>]
    /// `validColumns[kj]`: the `ow` with `0 <= ow * stride - padding + kj < width`.
    let validColumns: [Range<Int>]

    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int,
                stride: Int, padding: Int) {
        precondition(stride >= 1 && padding >= 0 && kernelHeight >= 1 && kernelWidth >= 1,
                     "convolution: kernel \(kernelHeight)x\(kernelWidth), stride \(stride), padding \(padding)")
        precondition(height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
                     "convolution: \(kernelHeight)x\(kernelWidth) kernel larger than padded \(height)x\(width) input")
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
        let outputHeight = (height + 2 * padding - kernelHeight) / stride + 1
        let outputWidth = (width + 2 * padding - kernelWidth) / stride + 1
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        validRows = (0..<kernelHeight).map {
            ConvolutionGeometry.validOutputs(offset: $0, size: height, outputs: outputHeight, stride: stride, padding: padding)
        }
        validColumns = (0..<kernelWidth).map {
            ConvolutionGeometry.validOutputs(offset: $0, size: width, outputs: outputWidth, stride: stride, padding: padding)
        }
    }

    /// Rows of the lowered matrix: one per (channel, ki, kj), `C * kh * kw`.
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Output pixels per channel, `OH * OW`.
    public var outputPlane: Int { outputHeight * outputWidth }
    /// Input elements per image, `C * H * W`.
    public var inputSize: Int { channels * height * width }

    /// The `o` in `0..<outputs` with `0 <= o * stride - padding + offset < size`:
    /// `o >= ceil((padding - offset) / stride)` and `o <= floor((size - 1 + padding - offset) / stride)`.
    static func validOutputs(offset: Int, size: Int, outputs: Int, stride: Int, padding: Int) -> Range<Int> {
        let low = padding - offset <= 0 ? 0 : (padding - offset + stride - 1) / stride
        let last = size - 1 + padding - offset
        let high = last < 0 ? 0 : min(outputs, last / stride + 1)
        return low < high ? low..<high : 0..<0
    }
}

// MARK: - im2col and its adjoint

extension ConvolutionGeometry {
    /// Whether output pixel `q = oh·OW + ow` reads input pixel `q + shift` for every
    /// kernel offset (stride 1 and `OW == W`, i.e. "same" padding `kw = 2·padding + 1`):
    /// then the valid part of each lowered row is one contiguous run of the input plane.
    var isContiguous: Bool { stride == 1 && outputWidth == width }

    /// Lowers `images` consecutive NCHW images to the matrix `columns`
    /// `[C·kh·kw, images·OH·OW]` (row-major), so that a convolution is one product
    /// `W[O, C·kh·kw] · columns`:
    ///
    ///     columns[(c·kh + ki)·kw + kj, g·OH·OW + oh·OW + ow]
    ///         = x[g, c, oh·stride - padding + ki, ow·stride - padding + kj]   (0 outside)
    ///
    /// `x` points at the first image, `[images, C, H, W]`. Every element of `columns` is
    /// written. For each row and image the output rows `validRows[ki]` and columns
    /// `validColumns[kj]` read inside the image; everything else is padding. With
    /// stride 1 and `OW == W` the valid block is a single shifted copy of the plane
    /// (`isContiguous`), after which the few wrapped-around entries are zeroed.
    public func im2col(_ x: UnsafePointer<Float>, images: Int, into columns: UnsafeMutablePointer<Float>) {
        let plane = outputPlane, ow = outputWidth, inputPlane = height * width
        for c in 0..<channels {
            for ki in 0..<kernelHeight {
                let rows = validRows[ki]
                for kj in 0..<kernelWidth {
                    let cols = validColumns[kj]
                    let row = columns + ((c * kernelHeight + ki) * kernelWidth + kj) * images * plane
                    for g in 0..<images {
                        let source = x + (g * channels + c) * inputPlane
                        let target = row + g * plane
                        // Output rows whose window row falls in the top or bottom padding.
                        target.update(repeating: 0, count: rows.lowerBound * ow)
                        (target + rows.upperBound * ow).update(repeating: 0, count: (outputHeight - rows.upperBound) * ow)
                        if rows.isEmpty || cols.isEmpty {
                            (target + rows.lowerBound * ow).update(repeating: 0, count: rows.count * ow)
                            continue
                        }
                        if isContiguous {
                            // target[q] = source[q + shift] for q from the first to the last valid pixel
                            let first = rows.lowerBound * ow + cols.lowerBound
                            let last = (rows.upperBound - 1) * ow + cols.upperBound
                            let shift = (ki - padding) * width + (kj - padding)
                            copy(source + first + shift, to: target + first, count: last - first)
                            // the entries of invalid columns read the neighbouring row: zero them
                            for oh in rows {
                                let out = target + oh * ow
                                for o in 0..<cols.lowerBound { out[o] = 0 }
                                for o in cols.upperBound..<ow { out[o] = 0 }
                            }
                        } else {
                            for oh in rows {
                                let out = target + oh * ow
                                let input = source + (oh * stride - padding + ki) * width + (cols.lowerBound * stride - padding + kj)
                                for o in 0..<cols.lowerBound { out[o] = 0 }
                                if stride == 1 {
                                    copy(input, to: out + cols.lowerBound, count: cols.count)
                                } else {
                                    for i in 0..<cols.count { out[cols.lowerBound + i] = input[i * stride] }
                                }
                                for o in cols.upperBound..<ow { out[o] = 0 }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col` (col2im): scatters `columns` `[C·kh·kw, images·OH·OW]`
    /// back onto the images, *adding* every entry to the input pixel it was read from:
    ///
    ///     dx[g, c, oh·stride - padding + ki, ow·stride - padding + kj]
    ///         += dcolumns[(c·kh + ki)·kw + kj, g·OH·OW + oh·OW + ow]
    ///
    /// Entries that `im2col` read from the padding are dropped; in the contiguous case
    /// (see `im2col`) they are first set to zero in `columns`, which is therefore
    /// clobbered. `dx` `[images, C, H, W]` must hold the values to add to (zero for a
    /// fresh gradient).
    public func col2im(_ columns: UnsafeMutablePointer<Float>, images: Int, into dx: UnsafeMutablePointer<Float>) {
        let plane = outputPlane, ow = outputWidth, inputPlane = height * width
        for c in 0..<channels {
            for ki in 0..<kernelHeight {
                let rows = validRows[ki]
                for kj in 0..<kernelWidth {
                    let cols = validColumns[kj]
                    if rows.isEmpty || cols.isEmpty { continue }
                    let row = columns + ((c * kernelHeight + ki) * kernelWidth + kj) * images * plane
                    for g in 0..<images {
                        let target = dx + (g * channels + c) * inputPlane
                        let source = row + g * plane
                        if isContiguous {
                            // drop the wrapped-around entries, then dx[q + shift] += dcolumns[q] in one run
                            for oh in rows {
                                let entries = source + oh * ow
                                for o in 0..<cols.lowerBound { entries[o] = 0 }
                                for o in cols.upperBound..<ow { entries[o] = 0 }
                            }
                            let first = rows.lowerBound * ow + cols.lowerBound
                            let last = (rows.upperBound - 1) * ow + cols.upperBound
                            let shift = (ki - padding) * width + (kj - padding)
                            add(source + first, to: target + first + shift, count: last - first)
                        } else {
                            for oh in rows {
                                let entries = source + oh * ow + cols.lowerBound
                                let pixel = target + (oh * stride - padding + ki) * width + (cols.lowerBound * stride - padding + kj)
                                if stride == 1 {
                                    add(entries, to: pixel, count: cols.count)
                                } else {
                                    for i in 0..<cols.count { pixel[i * stride] += entries[i] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `target[i] = source[i]` for `i < count`, as a loop the compiler vectorises (rows
/// here are tens of elements, too short to amortise a `memmove` call).
@inline(__always)
private func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { target[i] = source[i] }
}

/// `target[i] += source[i]` for `i < count`.
@inline(__always)
private func add(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { target[i] += source[i] }
}
