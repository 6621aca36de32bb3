import CKernels

/// A pruned Linear layer's forward and backward through the sparse kernels, for
/// retraining below the crossover density (`ComputeConfiguration.sparseTrainingDensity`).
///
/// The pattern (the pruning mask's surviving positions) is fixed; the values are
/// gathered from the dense weight `W [out, in]` at each pass, so the dense
/// `Parameter` stays the one source of truth (checkpoints, masks, optimizers).
/// With `x [B, in]`, `dy [B, out]`, `W` zero off the pattern (as the mask keeps it):
///
///     forward:   yᵀ [out, B] = W (CSR) · xᵀ + b           then y = (yᵀ)ᵀ      (`sparseGemm`)
///     backward:  dW[o, i] += sum_b dyᵀ[o, b] xᵀ[i, b]      only where the pattern is 1
///                                                           (sampled dense-dense product)
///                dxᵀ [in, B] = Wᵀ (CSR) · dyᵀ              then dx = (dxᵀ)ᵀ    (`sparseGemm`)
///
/// which equal the masked dense path's `y = x Wᵀ + b`, `dW = (dyᵀ x) ⊙ mask`,
/// `dx = dy W` up to float rounding (the sums run in another order). The optimizer
/// then updates only the surviving weights (`Parameter.survivingIndices`), where the
/// masked dense path updates all and the mask zeroes the rest again. Work per step:
/// `3 · stored · B` multiply-adds against `3 · out · in · B`.
final class SparseLinearTraining {
    /// `W [out, in]`'s pattern, values refreshed from the weight each pass.
    private var weightMatrix: CSRMatrix
    /// `Wᵀ [in, out]`'s pattern, values refreshed from the weight each backward.
    private var transposedMatrix: CSRMatrix
    /// For each entry of `transposedMatrix`, its flat index `o·in + i` in `W`.
    private let transposedSource: [Int32]
    /// For each entry of `weightMatrix` (row-major order), its flat index in `W`:
    /// the surviving weights, ascending.
    let survivingIndices: [Int32]

    private let workspace = SparseWorkspace()
    private let outputTransposed = Tensor(shape: [0])          // yᵀ [out, B]
    private let inputTransposed = Tensor(shape: [0])           // xᵀ [in, B]
    private let outputGradientTransposed = Tensor(shape: [0])  // dyᵀ [out, B]
    private let inputGradientTransposed = Tensor(shape: [0])   // dxᵀ [in, B]

    /// The pattern of `mask` (0/1, `[out, in]`): the entries where it is 1.
    init(mask: Tensor) {
        precondition(mask.shape.count == 2, "SparseLinearTraining: mask \(mask.shape) is not [out, in]")
        let rows = mask.shape[0], columns = mask.shape[1]
        weightMatrix = CSRMatrix(mask, mask: mask)
        var surviving: [Int32] = []
        surviving.reserveCapacity(weightMatrix.nonZeroCount)
        for row in 0..<rows {
            for p in Int(weightMatrix.rowOffsets[row])..<Int(weightMatrix.rowOffsets[row + 1]) {
                surviving.append(Int32(row * columns) + weightMatrix.columnIndices[p])
            }
        }
        survivingIndices = surviving
        // Wᵀ's rows are W's columns: count per column, then fill scanning W row by row,
        // so each row of Wᵀ lists its columns (W's rows) ascending.
        var offsets = [Int32](repeating: 0, count: columns + 1)
        for column in weightMatrix.columnIndices { offsets[Int(column) + 1] += 1 }
        for i in 0..<columns { offsets[i + 1] += offsets[i] }
        var next = offsets, transposedColumns = [Int32](repeating: 0, count: surviving.count)
        var source = [Int32](repeating: 0, count: surviving.count)
        for (entry, flat) in surviving.enumerated() {
            let row = Int(flat) / columns, column = Int(weightMatrix.columnIndices[entry])
            let q = Int(next[column])
            next[column] += 1
            transposedColumns[q] = Int32(row)
            source[q] = flat
        }
        transposedSource = source
        // Valid by construction: offsets from counts, columns ascending per row.
        transposedMatrix = try! CSRMatrix(rows: columns, columns: rows, rowOffsets: offsets,
                                          columnIndices: transposedColumns, values: [Float](repeating: 0, count: surviving.count))
    }

    /// Stored entries over all entries.
    var density: Double { weightMatrix.density }

    /// `output [B, out] = x Wᵀ + b` for `x [B, in]`.
    func forward(_ x: Tensor, batch: Int, weight: Tensor, bias: Tensor?, into output: Tensor,
                 configuration: ComputeConfiguration) {
        refresh(&weightMatrix.values, from: weight, at: survivingIndices)
        let rows = weightMatrix.rows
        outputTransposed.reshape(to: [rows, batch])
        sparseGemm(weightMatrix, batch > 1 ? .transposed : .none, n: batch, x.pointer, bias: bias?.pointer,
                   outputTransposed.pointer, workspace: workspace, configuration: configuration)
        output.reshape(to: [batch, rows])
        transpose(rows: rows, columns: batch, outputTransposed.pointer, output.pointer, variant: configuration.kernelPath)
    }

    /// Adds dL/dW at the pattern's positions into `weightGradient` and, when
    /// `inputGradient` is given, writes dL/dx `[B, in]` into it.
    func backward(_ dy: Tensor, input x: Tensor, batch: Int, weight: Tensor, weightGradient: Tensor,
                  inputGradient: Tensor?, configuration: ComputeConfiguration) {
        let rows = weightMatrix.rows, columns = weightMatrix.columns, variant = configuration.kernelPath
        // dyᵀ [out, B] and xᵀ [in, B]: rows of B contiguous floats for the dot products.
        outputGradientTransposed.reshape(to: [rows, batch])
        transpose(rows: batch, columns: rows, dy.pointer, outputGradientTransposed.pointer, variant: variant)
        inputTransposed.reshape(to: [columns, batch])
        transpose(rows: batch, columns: columns, x.pointer, inputTransposed.pointer, variant: variant)
        // dW[o, i] += dot(dyᵀ[o, :], xᵀ[i, :]) at the pattern (sampled dense-dense product)
        weightMatrix.withView { view in
            var view = view
            rw_sampled_dense_dense(&view, Int32(batch), outputGradientTransposed.pointer, inputTransposed.pointer,
                                   weightGradient.pointer, columns, variant.code)
        }
        guard let inputGradient else { return }
        // dxᵀ [in, B] = Wᵀ · dyᵀ, then dx [B, in]
        refresh(&transposedMatrix.values, from: weight, at: transposedSource)
        inputGradientTransposed.reshape(to: [columns, batch])
        sparseGemm(transposedMatrix, .none, n: batch, outputGradientTransposed.pointer, inputGradientTransposed.pointer,
                   workspace: workspace, configuration: configuration)
        inputGradient.reshape(to: [batch, columns])
        transpose(rows: columns, columns: batch, inputGradientTransposed.pointer, inputGradient.pointer, variant: variant)
    }

    /// `values[p] = weight[indices[p]]`, in place.
    private func refresh(_ values: inout [Float], from weight: Tensor, at indices: [Int32]) {
        let w = weight.pointer
        values.withUnsafeMutableBufferPointer { values in
            indices.withUnsafeBufferPointer { indices in
                for p in 0..<indices.count { values[p] = w[Int(indices[p])] }
            }
        }
    }
}

extension Network {
    /// Gives every Linear layer whose weight `patterns` names its pattern (0/1, the
    /// weight's shape: a pruning mask), and every other Linear layer none (see
    /// `Linear.setSparsity(pattern:)`). Call it where a mask is applied to the network.
    public func setSparsity(patterns: [String: Tensor]) {
        for case let linear as Linear in layers { linear.setSparsity(pattern: patterns[linear.weight.name]) }
    }
}
