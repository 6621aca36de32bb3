import CKernels

/// A sparse matrix `[rows, columns]` in compressed sparse row (CSR) form, the layout
/// of `scipy.sparse.csr_matrix((values, columnIndices, rowOffsets), shape)`:
///
///     A[i, columnIndices[p]] = values[p]    for rowOffsets[i] <= p < rowOffsets[i + 1]
///
/// and every other entry is zero. Within a row the column indices ascend. Indices
/// and offsets are `Int32` (the kernels' index type; a matrix may hold at most
/// `Int32.max` entries), which halves the index bytes the kernels stream.
///
/// A Linear weight `[out, in]` is a CSR matrix as is; a convolution weight
/// `[out, in, kh, kw]` is read as `[out, in·kh·kw]`, the matrix its im2col product uses.
public struct CSRMatrix: Equatable, Sendable {
    /// Number of rows (a layer's output features or channels).
    public let rows: Int
    /// Number of columns (a layer's input features, or `in·kh·kw`).
    public let columns: Int
    /// `[rows + 1]`: row `i`'s entries are `rowOffsets[i] ..< rowOffsets[i + 1]`.
    public let rowOffsets: [Int32]
    /// `[nonZeroCount]`: the column of each stored entry, ascending within a row.
    public let columnIndices: [Int32]
    /// `[nonZeroCount]`: the value of each stored entry (Engine refreshes them in place
    /// when a sparsely trained layer's weights change; the pattern never changes).
    public internal(set) var values: [Float]

    /// A matrix from its three CSR arrays (e.g. read from a checkpoint), validated:
    /// offsets start at 0, never decrease and end at the entry count; column indices
    /// lie in `0..<columns` and ascend within each row.
    public init(rows: Int, columns: Int, rowOffsets: [Int32], columnIndices: [Int32], values: [Float]) throws {
        guard rows >= 0, columns >= 0, columns <= Int(Int32.max) else {
            throw CSRMatrixError.invalidShape(rows: rows, columns: columns)
        }
        guard rowOffsets.count == rows + 1 else {
            throw CSRMatrixError.inconsistent("\(rowOffsets.count) row offsets for \(rows) rows (expected \(rows + 1))")
        }
        guard columnIndices.count == values.count else {
            throw CSRMatrixError.inconsistent("\(columnIndices.count) column indices but \(values.count) values")
        }
        guard rowOffsets.first == 0, Int(rowOffsets.last!) == values.count else {
            throw CSRMatrixError.inconsistent("row offsets must run from 0 to the entry count \(values.count)")
        }
        for row in 0..<rows where rowOffsets[row] > rowOffsets[row + 1] {
            throw CSRMatrixError.inconsistent("row offsets decrease at row \(row)")
        }
        for row in 0..<rows {
            let start = Int(rowOffsets[row]), end = Int(rowOffsets[row + 1])
            var previous: Int32 = -1
            for p in start..<end {
                let column = columnIndices[p]
                guard column > previous, Int(column) < columns else {
                    throw CSRMatrixError.inconsistent("row \(row): column index \(column) out of range or out of order")
                }
                previous = column
            }
        }
        self.rows = rows
        self.columns = columns
        self.rowOffsets = rowOffsets
        self.columnIndices = columnIndices
        self.values = values
    }

    /// The CSR form of the row-major dense matrix `dense [rows, columns]`.
    ///
    /// Without a mask, the non-zero entries are stored. With a 0/1 `mask` of the same
    /// shape (a pruning mask), exactly the entries where `mask == 1` are stored, even
    /// those whose value is 0, so the stored pattern is the mask's.
    public init(rows: Int, columns: Int, dense: UnsafeBufferPointer<Float>, mask: UnsafeBufferPointer<Float>? = nil) {
        precondition(rows >= 0 && columns >= 0 && columns <= Int(Int32.max), "CSRMatrix: invalid shape [\(rows), \(columns)]")
        precondition(dense.count == rows * columns, "CSRMatrix: \(dense.count) values for [\(rows), \(columns)]")
        precondition(mask.map { $0.count == dense.count } ?? true, "CSRMatrix: mask size differs from the matrix")
        var offsets: [Int32] = [0]
        var indices: [Int32] = []
        var stored: [Float] = []
        offsets.reserveCapacity(rows + 1)
        for row in 0..<rows {
            let base = row * columns
            for column in 0..<columns {
                let keep = mask.map { $0[base + column] != 0 } ?? (dense[base + column] != 0)
                if keep {
                    indices.append(Int32(column))
                    stored.append(dense[base + column])
                }
            }
            precondition(stored.count <= Int(Int32.max), "CSRMatrix: more than Int32.max entries")
            offsets.append(Int32(stored.count))
        }
        self.rows = rows
        self.columns = columns
        self.rowOffsets = offsets
        self.columnIndices = indices
        self.values = stored
    }

    /// The CSR form of a weight tensor, read as `[shape[0], product of the rest]`
    /// (Linear `[out, in]`; Conv2D `[out, in, kh, kw]` as `[out, in·kh·kw]`), keeping
    /// the entries where `mask` (same element count, 0/1) is 1, or the non-zeros.
    public init(_ weight: Tensor, mask: Tensor? = nil) {
        let rows = weight.shape.first ?? 1
        let columns = rows == 0 ? 0 : weight.count / rows
        if let mask {
            precondition(mask.count == weight.count, "CSRMatrix: mask \(mask.shape) does not match weight \(weight.shape)")
            self.init(rows: rows, columns: columns, dense: UnsafeBufferPointer(weight.buffer),
                      mask: UnsafeBufferPointer(mask.buffer))
        } else {
            self.init(rows: rows, columns: columns, dense: UnsafeBufferPointer(weight.buffer))
        }
    }

    /// The number of stored entries.
    public var nonZeroCount: Int { values.count }

    /// Stored entries over all entries, in [0, 1] (1 for an empty shape).
    public var density: Double {
        rows * columns == 0 ? 1 : Double(nonZeroCount) / Double(rows * columns)
    }

    /// The dense row-major matrix `[rows, columns]`.
    public func dense() -> Tensor {
        let result = Tensor(shape: [rows, columns])
        for row in 0..<rows {
            for p in Int(rowOffsets[row])..<Int(rowOffsets[row + 1]) {
                result[row * columns + Int(columnIndices[p])] = values[p]
            }
        }
        return result
    }

    /// Calls `body` with the C kernels' view of the matrix; the pointers are valid
    /// only inside `body`.
    func withView<Result>(_ body: (rw_csr_view) throws -> Result) rethrows -> Result {
        try rowOffsets.withUnsafeBufferPointer { offsets in
            try columnIndices.withUnsafeBufferPointer { indices in
                try values.withUnsafeBufferPointer { stored in
                    try body(rw_csr_view(rows: Int32(rows), cols: Int32(columns), row_offsets: offsets.baseAddress!,
                                         column_indices: indices.baseAddress, values: stored.baseAddress))
                }
            }
        }
    }
}

/// Why three CSR arrays do not form a valid matrix.
public enum CSRMatrixError: Error, CustomStringConvertible, Equatable {
    case invalidShape(rows: Int, columns: Int)
    case inconsistent(String)

    public var description: String {
        switch self {
        case let .invalidShape(rows, columns): return "invalid CSR shape [\(rows), \(columns)]"
        case .inconsistent(let why): return "invalid CSR matrix: \(why)"
        }
    }
}
