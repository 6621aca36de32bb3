import CKernels

/// A sparse matrix in the blocked sliced-ELLPACK layout of the batch-1 product
/// (`sparseMatrixVector`): an in-memory form built from a `CSRMatrix` for one
/// kernel build, never stored (checkpoints keep CSR).
///
/// Rows go in slices of `lanes` (one vector of rows), columns in blocks of
/// `blockColumns` (the x values two vector registers hold). For each slice and
/// block, in order, `width` steps of `lanes` slots: slot `(s, r)` holds row
/// `q·lanes + r`'s s-th stored entry in the block, as its value and its column
/// offset within the block (a byte), or value 0 at offset 0 when the row has fewer
/// entries there:
///
///     y[q·lanes + r] = sum over blocks b, steps s of values[s, r] · x[b·blockColumns + columns[s, r]]
///
/// One step is then one vector of values times one vector of x looked up by a
/// register permute. The price is padding: a step is as long as the slice's row
/// with the most entries in the block (LeNet-300-100's fc1 at 5% density, random
/// pattern: 29.4k slots for 11.7k entries at 16 x 32, 31.6k at 8 x 16), which the
/// permute more than pays for (see `rw_sell_spmv`'s measurement).
public struct SlicedEllpackMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Rows per slice.
    public let lanes: Int
    /// Columns per block.
    public let blockColumns: Int
    /// `[slices · blocks]`: steps per (slice, block), slices outer.
    public let widths: [UInt8]
    /// `[steps · lanes]`: each step's values, lane by lane.
    public let values: [Float]
    /// `[steps · lanes]`: each slot's column offset within its block.
    public let columnOffsets: [UInt8]
    /// Stored entries of the CSR matrix it was built from (the rest of the slots are padding).
    public let nonZeroCount: Int

    /// The layout the build `variant` runs with permutes (`rw_sell_layout`):
    /// 16 x 32 on AVX-512, 8 x 16 on AVX2 and portable.
    public static func layout(for variant: KernelVariant) -> (lanes: Int, blockColumns: Int) {
        var lanes: Int32 = 0, blockColumns: Int32 = 0
        rw_sell_layout(variant.code, &lanes, &blockColumns)
        return (Int(lanes), Int(blockColumns))
    }

    /// `matrix` in the layout of the build `variant` resolves to.
    public init(_ matrix: CSRMatrix, for variant: KernelVariant) {
        let layout = Self.layout(for: variant)
        self.init(matrix, lanes: layout.lanes, blockColumns: layout.blockColumns)
    }

    /// `matrix` in slices of `lanes` rows (1...16) and blocks of `blockColumns` columns (1...32).
    public init(_ matrix: CSRMatrix, lanes: Int, blockColumns: Int) {
        precondition((1...16).contains(lanes) && (1...32).contains(blockColumns),
                     "SlicedEllpackMatrix: layout \(lanes) x \(blockColumns) outside 16 x 32")
        rows = matrix.rows
        columns = matrix.columns
        self.lanes = lanes
        self.blockColumns = blockColumns
        nonZeroCount = matrix.nonZeroCount
        let blocks = (matrix.columns + blockColumns - 1) / blockColumns
        var widths: [UInt8] = [], values: [Float] = [], offsets: [UInt8] = []
        for first in stride(from: 0, to: matrix.rows, by: lanes) {
            let slice = first..<min(first + lanes, matrix.rows)
            // Each row's next entry to place (its CSR entries ascend by column, so by block).
            var next = slice.map { Int(matrix.rowOffsets[$0]) }
            for block in 0..<blocks {
                let end = Int32((block + 1) * blockColumns)
                let counts = slice.enumerated().map { lane, row in
                    var p = next[lane]
                    while p < Int(matrix.rowOffsets[row + 1]) && matrix.columnIndices[p] < end { p += 1 }
                    return p - next[lane]
                }
                let width = counts.max() ?? 0
                widths.append(UInt8(width))
                for step in 0..<width {
                    for lane in 0..<lanes {
                        if lane < slice.count && step < counts[lane] {
                            let p = next[lane] + step
                            values.append(matrix.values[p])
                            offsets.append(UInt8(Int(matrix.columnIndices[p]) - block * blockColumns))
                        } else {
                            values.append(0)
                            offsets.append(0)
                        }
                    }
                }
                for lane in 0..<slice.count { next[lane] += counts[lane] }
            }
        }
        self.widths = widths
        self.values = values
        self.columnOffsets = offsets
    }

    /// Slots stored, padding included (`values.count`).
    public var slotCount: Int { values.count }

    /// Calls `body` with the C kernel's view; the pointers are valid only inside `body`.
    func withView<R>(_ body: (rw_sell_view) -> R) -> R {
        widths.withUnsafeBufferPointer { widths in
            values.withUnsafeBufferPointer { values in
                columnOffsets.withUnsafeBufferPointer { offsets in
                    body(rw_sell_view(rows: Int32(rows), cols: Int32(columns), lanes: Int32(lanes),
                                      block_columns: Int32(blockColumns), widths: widths.baseAddress,
                                      values: values.baseAddress, columns: offsets.baseAddress))
                }
            }
        }
    }
}

/// The sparse matrix-vector product with a fused bias and ReLU, on the
/// blocked sliced-ELLPACK form:
///
///     y[i] = epilogue(bias[i] + sum_j A[i, j] · x[j])      for i < A.rows
///
/// `x` has `A.columns` floats, `y` `A.rows`; epilogue is `max(·, 0)` when `relu`.
/// A Linear layer at batch 1 (`y = W x + b`). One thread, no allocation: the path
/// is a few microseconds. The build is `configuration.kernelPath`; a matrix in
/// another build's layout runs the portable loop.
public func sparseMatrixVector(_ a: SlicedEllpackMatrix, _ x: UnsafePointer<Float>, bias: UnsafePointer<Float>? = nil,
                               relu: Bool = false, _ y: UnsafeMutablePointer<Float>,
                               configuration: ComputeConfiguration = .default) {
    a.withView { view in
        var view = view
        rw_sell_spmv(&view, x, bias, relu ? 1 : 0, y, configuration.kernelPath.code)
    }
}
