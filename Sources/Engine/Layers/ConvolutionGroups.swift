/// How a lowered convolution (im2col, then one product per group of images) walks
/// a batch `[B, C, H, W]`: the batch is split among `workers` threads, each taking a
/// contiguous share of the images (`share(of:worker:workers:)`), and each worker
/// lowers and multiplies `imagesPerGroup` images at a time into its own scratch.
///
/// Shared by the dense `Conv2D` and the sparse `SparseConvolution`, so both lower
/// the same groups:
/// - workers: all `threads` (at most one per image) when the whole batch costs at
///   least `parallelThreshold` multiply-adds, else one;
/// - a group: `G = columnBudget / (C·k·k·P)` images, at least 1 and at most the
///   worker's share, so the lowered matrix `cols [C·k·k, G·P]` stays near
///   `columnBudget` elements (cache-resident: im2col is bound by memory bandwidth
///   otherwise).
struct ConvolutionBatchDivision: Equatable {
    let workers: Int
    /// `G`, the images lowered and multiplied at once.
    let imagesPerGroup: Int

    /// `columnsPerImage`: elements of one image's lowered matrix, `C·k·k·P`;
    /// `multiplyAdds`: the products' work over the whole batch.
    init(batch: Int, multiplyAdds: Int, columnsPerImage: Int, threads: Int,
         parallelThreshold: Int, columnBudget: Int) {
        workers = multiplyAdds >= parallelThreshold ? max(1, min(threads, batch)) : 1
        let share = (batch + workers - 1) / workers
        imagesPerGroup = max(1, min(share, columnBudget / max(columnsPerImage, 1)))
    }
}

/// A group's product `[O, G·P]` (output channel major, the images side by side)
/// into the images' NCHW block `[G, O, P]`, adding `bias[o]` when given:
///
///     target[(i·O + o)·P + p] = grouped[(o·G + i)·P + p] + bias[o]
///
/// (The inverse of `groupByChannel`.)
func ungroupByChannel(_ grouped: UnsafePointer<Float>, images: Int, channels: Int, plane: Int,
                      adding bias: UnsafePointer<Float>? = nil, into target: UnsafeMutablePointer<Float>) {
    for o in 0..<channels {
        let shift = bias?[o] ?? 0
        for i in 0..<images {
            let source = grouped + (o * images + i) * plane
            let row = target + (i * channels + o) * plane
            for p in 0..<plane { row[p] = source[p] + shift }
        }
    }
}

/// The images' NCHW block `[G, O, P]` into the grouped layout `[O, G·P]`:
///
///     grouped[(o·G + i)·P + p] = source[(i·O + o)·P + p]
///
/// (The inverse of `ungroupByChannel` without bias.)
func groupByChannel(_ source: UnsafePointer<Float>, images: Int, channels: Int, plane: Int,
                    into grouped: UnsafeMutablePointer<Float>) {
    for o in 0..<channels {
        for i in 0..<images {
            let from = source + (i * channels + o) * plane
            let row = grouped + (o * images + i) * plane
            for p in 0..<plane { row[p] = from[p] }
        }
    }
}
