import CKernels

/// A pruned weight's pattern for training through the sparse kernels: the weight
/// read as a matrix `W [rows, columns]` (Linear `[out, in]`; Conv2D `[O, C·k·k]`)
/// in CSR form, and `Wᵀ`, for the layers' three products when the layer trains
/// sparsely (`SparseTraining`: measured, or below `ComputeConfiguration.sparseTrainingDensity`):
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

    /// The pattern of `pattern` (0/1, the weight's shape), with the weight's
    /// `survivingIndices` set to match and its gradient zeroed off the pattern: those
    /// entries are never written again, so they stay 0 (`Network.zeroGradients` then
    /// clears only the surviving ones).
    static func adopt(_ pattern: Tensor, for weight: Parameter) -> SparseWeightPattern {
        precondition(pattern.shape == weight.value.shape, "setSparsity: pattern \(pattern.shape) is not \(weight.value.shape)")
        let adopted = SparseWeightPattern(mask: pattern)
        weight.survivingIndices = adopted.survivingIndices
        let g = weight.gradient.pointer, keep = pattern.pointer
        for i in 0..<pattern.count where keep[i] == 0 { g[i] = 0 }
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
/// none) and, when the layer trains through the sparse kernels, the
/// `SparseWeightPattern` its products run through, with optimizers updating only the
/// kept weights (`Parameter.survivingIndices`). The weights must be zero where the
/// pattern is 0 (as after the mask is applied), and stay so: the sparse path never
/// writes their gradients, and the optimizer never moves them. Decided again
/// whenever the pattern or the layer's configuration changes:
///
/// - with `configuration.measuredSparseTraining` (the CLI's default): by measurement
///   (`SparseTrainingChoices`). Until the layer's first training pass it runs
///   dense; that pass first calls `decide`, which times the layer's own forward and
///   backward on both paths and asks the store, then runs on the chosen path.
///   Stable: the store returns the first choice made for a key, whatever later
///   timings say, so the same recipe takes the same path in every run, resumed run
///   and worker on the machine (and a pass through either path leaves the same
///   state: the timing passes' gradients are put back).
/// - otherwise by the fixed rule: sparse below `configuration.sparseTrainingDensity`
///   (`REWIND_SPARSE_TRAINING_DENSITY` sets it and turns measurement off).
final class SparseTraining {
    private(set) var pattern: Tensor?
    private(set) var adopted: SparseWeightPattern?
    /// The store to ask at the first training pass, while the path is undecided.
    private var pendingDecision: (any SparseTrainingDecisions)?
    private var weight: Parameter?

    func set(_ pattern: Tensor?, weight: Parameter, configuration: ComputeConfiguration) {
        self.pattern = pattern
        self.weight = weight
        adopted = nil
        weight.survivingIndices = nil
        pendingDecision = nil
        guard let pattern, pattern.nonZeroCount < pattern.count else { return }
        if let measured = configuration.measuredSparseTraining {
            pendingDecision = measured.decisions
        } else if Double(pattern.nonZeroCount) < configuration.sparseTrainingDensity * Double(pattern.count) {
            adopted = SparseWeightPattern.adopt(pattern, for: weight)
        }
    }

    /// Call first in `layer.forward(x, mode:)`: on the first training pass after an
    /// undecided `set`, decides the path (see the type's comment). Timing runs
    /// `layer`'s forward and backward once per path to warm up, then alternately
    /// three times each (the best of each kept, so load from other processes hits
    /// both alike); the parameters' gradients are saved before and put back after.
    /// The timed backward uses a fixed upstream gradient of y's shape (all 1e-3).
    func decide(_ layer: some Layer, input x: Tensor, mode: ForwardMode) {
        guard mode == .training, let decisions = pendingDecision, let pattern, let weight else { return }
        pendingDecision = nil
        let key = SparseTrainingKey(
            kind: pattern.shape.count == 4 ? "convolution" : "linear", weightShape: pattern.shape,
            inputShape: Array(x.shape.dropFirst()), batch: x.shape[0], inputGradient: layer.computesInputGradient,
            densityPercent: SparseTrainingKey.densityPercent(stored: pattern.nonZeroCount, count: pattern.count))
        let sparse = decisions.trainsSparsely(key) {
            let candidate = SparseWeightPattern(mask: pattern)   // only measuring needs it before the choice
            let saved = layer.parameters.map { Tensor(copying: $0.gradient) }
            defer { for (p, gradient) in zip(layer.parameters, saved) { p.gradient.copy(from: gradient) } }
            let upstream = Tensor(shape: [0])
            func pass(sparse: Bool) -> Double {
                adopted = sparse ? candidate : nil
                let clock = ContinuousClock(), start = clock.now
                let y = layer.forward(x, mode: .training)
                if upstream.shape != y.shape {
                    upstream.reshape(to: y.shape)
                    upstream.fill(1e-3)
                }
                _ = layer.backward(upstream)
                return (clock.now - start).seconds
            }
            _ = pass(sparse: false)
            _ = pass(sparse: true)
            var dense = Double.infinity, sparse = Double.infinity
            for _ in 0..<3 {
                dense = min(dense, pass(sparse: false))
                sparse = min(sparse, pass(sparse: true))
            }
            adopted = nil
            return SparseTrainingTiming(dense: dense, sparse: sparse)
        }
        adopted = sparse ? SparseWeightPattern.adopt(pattern, for: weight) : nil
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
