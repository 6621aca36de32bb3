import CKernels

/// A pruned weight's pattern for training through the sparse kernels: the weight
/// read as a matrix `W [rows, columns]` (Linear `[out, in]`; Conv2D `[O, C·k·k]`)
/// in CSR form, and `Wᵀ`, for the layers' three products below the crossover
/// density (`ComputeConfiguration.sparseTrainingDensity`):
///
///     forward         Y  = W · X                  (`sparseGemm` with `matrix`)
///     weight grad     dW += dY · Xᵀ at the pattern only   (`sampledProduct`)
///     input grad      dX = Wᵀ · dY                (`sparseGemm` with `transposed`)
///
/// (`X [columns, n]`, `Y [rows, n]`; a Linear layer's `n` is the batch, a
/// convolution's the output pixels of a group of images.) With `W` zero off the
/// pattern, as the mask keeps it, these equal the masked dense products
/// `W·X`, `(dY·Xᵀ) ⊙ mask` and `Wᵀ·dY` up to float rounding. Work per step:
/// `3 · stored · n` multiply-adds against `3 · rows · columns · n`.
///
/// The pattern (the mask's kept positions) is fixed; the values are gathered from
/// the dense weight before each use (`refresh`), so the dense `Parameter` stays the
/// one source of truth (checkpoints, masks, optimizers), and optimizers update only
/// the kept weights (`Parameter.survivingIndices`, set by `adopt`).
final class SparseWeightPattern {
    /// `W`'s pattern; values as of the last `refresh`.
    private(set) var matrix: CSRMatrix
    /// `Wᵀ`'s pattern; values as of the last `refreshTransposed`.
    private(set) var transposed: CSRMatrix
    /// For each entry of `transposed`, its flat index in `W`.
    private let transposedSource: [Int32]
    /// For each entry of `matrix` (row-major order), its flat index in `W`: the kept
    /// weights, ascending.
    let survivingIndices: [Int32]

    /// The pattern of `mask` (0/1, the weight's shape): the entries where it is 1.
    init(mask: Tensor) {
        matrix = CSRMatrix(mask, mask: mask)
        let rows = matrix.rows, columns = matrix.columns
        var surviving: [Int32] = []
        surviving.reserveCapacity(matrix.nonZeroCount)
        for row in 0..<rows {
            for p in Int(matrix.rowOffsets[row])..<Int(matrix.rowOffsets[row + 1]) {
                surviving.append(Int32(row * columns) + matrix.columnIndices[p])
            }
        }
        survivingIndices = surviving
        // Wᵀ's rows are W's columns: count per column, then fill scanning W row by row,
        // so each row of Wᵀ lists its columns (W's rows) ascending.
        var offsets = [Int32](repeating: 0, count: columns + 1)
        for column in matrix.columnIndices { offsets[Int(column) + 1] += 1 }
        for i in 0..<columns { offsets[i + 1] += offsets[i] }
        var next = offsets, transposedColumns = [Int32](repeating: 0, count: surviving.count)
        var source = [Int32](repeating: 0, count: surviving.count)
        for (entry, flat) in surviving.enumerated() {
            let column = Int(matrix.columnIndices[entry])
            let q = Int(next[column])
            next[column] += 1
            transposedColumns[q] = Int32(Int(flat) / columns)
            source[q] = flat
        }
        transposedSource = source
        // Valid by construction: offsets from counts, columns ascending per row.
        transposed = try! CSRMatrix(rows: columns, columns: rows, rowOffsets: offsets, columnIndices: transposedColumns,
                                    values: [Float](repeating: 0, count: surviving.count))
    }

    /// The pattern a layer with `weight` trains through under `configuration`, or nil
    /// to train dense: `pattern` (nil for none) must keep fewer than
    /// `configuration.sparseTrainingDensity` of the weights. Sets the weight's
    /// `survivingIndices` to match.
    static func adopt(_ pattern: Tensor?, for weight: Parameter, configuration: ComputeConfiguration) -> SparseWeightPattern? {
        guard let pattern,
              Double(pattern.nonZeroCount) < configuration.sparseTrainingDensity * Double(pattern.count) else {
            weight.survivingIndices = nil
            return nil
        }
        precondition(pattern.shape == weight.value.shape, "setSparsity: pattern \(pattern.shape) is not \(weight.value.shape)")
        let adopted = SparseWeightPattern(mask: pattern)
        weight.survivingIndices = adopted.survivingIndices
        return adopted
    }

    /// `matrix`'s values from the dense weight.
    func refresh(from weight: Tensor) { gather(&matrix.values, from: weight, at: survivingIndices) }

    /// `transposed`'s values from the dense weight.
    func refreshTransposed(from weight: Tensor) { gather(&transposed.values, from: weight, at: transposedSource) }

    /// `c[i, j] += sum_t x[i, t] · y[j, t]` at the pattern's entries (i, j): the weight
    /// gradient `dW += dY · Xᵀ` from `dY [rows, n]` (`x`) and `Xᵀ [columns, n]` (`y`),
    /// into `c` with row stride `columns`.
    func sampledProduct(n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                        variant: KernelVariant) {
        matrix.withView { view in
            var view = view
            rw_sampled_dense_dense(&view, Int32(n), x, y, c, matrix.columns, variant.code)
        }
    }

    /// `values[p] = weight[indices[p]]`, in place.
    private func gather(_ values: inout [Float], from weight: Tensor, at indices: [Int32]) {
        let w = weight.pointer
        values.withUnsafeMutableBufferPointer { values in
            indices.withUnsafeBufferPointer { indices in
                for p in 0..<indices.count { values[p] = w[Int(indices[p])] }
            }
        }
    }
}

/// A Linear or Conv2D layer's sparse-training state: the pattern it was given
/// (`setSparsity(pattern:)`: 0/1, the weight's shape, the pruning mask; nil for
/// none) and, when that pattern keeps fewer than `configuration.sparseTrainingDensity`
/// of the weights, the `SparseWeightPattern` its products then run through, with
/// optimizers updating only the kept weights (`Parameter.survivingIndices`). The
/// weights must be zero where the pattern is 0 (as after the mask is applied), and
/// stay so: the sparse path never writes their gradients, and the optimizer never
/// moves them. Decided again whenever the layer's configuration changes.
final class SparseTraining {
    private(set) var pattern: Tensor?
    private(set) var adopted: SparseWeightPattern?

    func set(_ pattern: Tensor?, weight: Parameter, configuration: ComputeConfiguration) {
        self.pattern = pattern
        adopted = SparseWeightPattern.adopt(pattern, for: weight, configuration: configuration)
    }
}

extension Network {
    /// Gives every Linear and Conv2D layer whose weight `patterns` names its pattern
    /// (0/1, the weight's shape: a pruning mask), and every other one none (see
    /// `Linear.setSparsity(pattern:)`, `Conv2D.setSparsity(pattern:)`). Call it where
    /// a mask is applied to the network. (Layers inside residual blocks train dense.)
    public func setSparsity(patterns: [String: Tensor]) {
        for layer in layers {
            if let linear = layer as? Linear { linear.setSparsity(pattern: patterns[linear.weight.name]) }
            if let convolution = layer as? Conv2D { convolution.setSparsity(pattern: patterns[convolution.weight.name]) }
        }
    }
}
