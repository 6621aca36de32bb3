import Engine

/// How a masked parameter is stored in a sparse export: Engine's `CSRMatrix` of the
/// tensor viewed as `[shape[0], product of the rest]` (a conv weight `[out, in, kh,
/// kw]` as `[out, in*kh*kw]`, a vector `[n]` as `[n, 1]`), holding exactly the
/// entries whose mask is 1. A kept weight that happens to be 0 is stored too, so
/// the structure *is* the mask. The same type feeds the sparse kernels, so a file's
/// CSR arrays are the kernels' arrays.
enum CSRParameter {
    /// Why a tensor cannot be stored as CSR (the caller adds file and object).
    struct Problem: Error {
        let message: String
    }

    /// The CSR form of `values` under `mask`. Throws if a weight outside the mask is
    /// non-zero (the sparse form would silently drop it) or the tensor is a scalar.
    /// Whether `values` is exactly zero wherever `mask` is 0 (same shapes).
    static func isZeroOutside(_ values: Tensor, mask: Tensor) -> Bool {
        guard values.shape == mask.shape else { return false }
        for i in 0..<values.count where mask[i] == 0 && values[i] != 0 { return false }
        return true
    }

    /// The values at the mask's kept positions, in row-major (CSR) order.
    static func storedValues(_ values: Tensor, mask: Tensor) -> [Float] {
        (0..<mask.count).filter { mask[$0] != 0 }.map { values[$0] }
    }

    /// The dense tensor of `mask`'s shape holding `stored` at its kept positions (the
    /// inverse of `storedValues`); nil when the counts differ.
    static func expand(_ stored: Tensor, mask: Tensor) -> Tensor? {
        let kept = (0..<mask.count).filter { mask[$0] != 0 }
        guard stored.count == kept.count else { return nil }
        let tensor = Tensor(shape: mask.shape)
        for (j, i) in kept.enumerated() { tensor[i] = stored[j] }
        return tensor
    }

    static func encode(_ values: Tensor, mask: Tensor) throws -> CSRMatrix {
        precondition(values.shape == mask.shape, "CSRParameter: mask \(mask.shape) for tensor \(values.shape)")
        guard !values.shape.isEmpty else { throw Problem(message: "a scalar parameter cannot be stored as CSR") }
        var dropped = 0, firstDropped = -1
        for i in 0..<values.count where mask[i] == 0 && values[i] != 0 {
            if dropped == 0 { firstDropped = i }
            dropped += 1
        }
        guard dropped == 0 else {
            throw Problem(message: "\(dropped) non-zero weights lie outside the mask (first at flat index "
                          + "\(firstDropped)); the sparse format would drop them: apply the mask before exporting")
        }
        return CSRMatrix(values, mask: mask)
    }

    /// The dense tensor of `shape` (zeros outside the structure) and its mask (1 where stored).
    static func decode(_ matrix: CSRMatrix, shape: [Int]) -> (values: Tensor, mask: Tensor) {
        let values = matrix.dense()
        values.reshape(to: shape)
        let mask = Tensor(shape: shape)
        for row in 0..<matrix.rows {
            for p in Int(matrix.rowOffsets[row])..<Int(matrix.rowOffsets[row + 1]) {
                mask[row * matrix.columns + Int(matrix.columnIndices[p])] = 1
            }
        }
        return (values, mask)
    }
}
