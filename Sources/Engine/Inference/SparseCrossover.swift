/// The weight density below which a Linear layer runs faster through the sparse
/// kernel (`sparseGemm`) than through Engine's dense path (`Linear.forward`, an
/// OpenBLAS sgemm), by batch size.
///
/// The sparse product costs about `a + b · density · out · in · batch`, the dense one
/// `out · in · batch` at gemm speed, so the crossover is the density where the two
/// times meet. It depends on the machine and on the batch: at batch 1 the dense
/// path is a matrix-vector product bound by streaming the whole weight matrix,
/// while OpenBLAS reaches full speed only on large batches.
///
/// `measure(rows:columns:batch:)` finds it on the running machine. The defaults
/// below were measured with it on the 2-core AMD EPYC (Zen, AVX2/FMA) machine
/// Rewind is developed on, OpenBLAS 0.3.21, release build, 2026-11-23, for the layer
/// shapes of LeNet-300-100: three runs, the median per shape, and as the default the
/// smallest of the three shapes, so a layer runs sparse only where it wins for every
/// shape measured. The second core was busy with other work during the runs (the
/// usual state of this shared machine); with both cores free OpenBLAS runs large
/// products on two threads and the crossover at large batches is lower.
///
/// | batch | [300, 784] | [100, 300] | [10, 100] | default |
/// |------:|-----------:|-----------:|----------:|--------:|
/// | 1 | 0.97 | 0.90 | 1.00 | 0.90 |
/// | 2 | 0.78 | 0.44 | 0.36 | 0.36 |
/// | 4 | 1.00 | 0.42 | 0.50 | 0.42 |
/// | 8 | 1.00 | 0.72 | 1.00 | 0.72 |
/// | 16 | 0.62 | 0.84 | 1.00 | 0.62 |
/// | 32 | 0.64 | 0.72 | 1.00 | 0.64 |
/// | 64 | 0.78 | 0.61 | 1.00 | 0.61 |
/// | 128 | 0.54 | 0.62 | 1.00 | 0.54 |
/// | 256 | 0.50 | 0.57 | 0.97 | 0.50 |
/// | 1024 | 0.34 | 0.49 | 1.00 | 0.34 |
///
/// (1.00: the sparse kernel was faster even on a fully dense matrix. At batch 1
/// OpenBLAS's sgemm is a matrix-vector product at about 4 GFLOP/s; at batch 256
/// it reaches about 30 GFLOP/s against the sparse kernel's 15.)
public enum SparseCrossover {
    /// `(batch, density)`, ascending in batch: the measured defaults (see above).
    public static let measuredDefaults: [(batch: Int, density: Double)] = [
        (1, 0.90), (2, 0.36), (4, 0.42), (8, 0.72), (16, 0.62),
        (32, 0.64), (64, 0.61), (128, 0.54), (256, 0.50), (1024, 0.34),
    ]

    /// The default crossover for `batch`: the entry of the largest measured batch at
    /// or below `batch` (the first entry for smaller batches).
    public static func defaultDensity(batch: Int) -> Double {
        measuredDefaults.last { $0.batch <= batch }?.density ?? measuredDefaults[0].density
    }

    /// The largest default crossover over all batches.
    public static var maximumDefaultDensity: Double { measuredDefaults.map(\.density).max() ?? 0 }

    /// Measures the crossover density for a Linear layer `[rows, columns]` at `batch`
    /// on this machine.
    ///
    /// The dense time is `Linear.forward` (bias copy and sgemm, with OpenBLAS's thread
    /// choice). The sparse time is `sparseGemm` with bias on a random mask of the
    /// probed density, activations in the `[features, batch]` layout the sparse
    /// inference path keeps between layers. The density where the two meet is found by
    /// bisection (8 steps, to 1/256) on the sparse time, which grows monotonically
    /// with density; 1 when the sparse kernel wins even fully dense, 0 when it
    /// loses even with a single entry. Each probe times both products alternately,
    /// `repeats` rounds of at least 5 ms each, and compares their best rounds.
    public static func measure(rows: Int, columns: Int, batch: Int, repeats: Int = 5,
                               variant: KernelVariant = .automatic, seed: UInt64 = 0) -> Double {
        precondition(rows > 0 && columns > 0 && batch > 0, "SparseCrossover.measure: empty shape")
        let layer = Linear(name: "probe", inputFeatures: columns, outputFeatures: rows)
        var generator = SeededGenerator(seed: seed, concern: .benchmark)
        for p in layer.parameters { Initializer.normal(sigma: 0.1).fill(p.value, using: &generator) }
        let x = Tensor(shape: [batch, columns])            // [B, in]
        for i in 0..<x.count { x[i] = generator.nextNormal() }
        let xT = Tensor(shape: [columns, batch])           // [in, B]
        transpose(rows: batch, columns: columns, x.pointer, xT.pointer)
        let y = Tensor(shape: [rows, batch])               // yᵀ [out, B]
        let workspace = SparseWorkspace()
        let bias = layer.bias!.value.pointer

        /// Whether the sparse product at `density` beats the dense layer: the two are
        /// timed alternately for `repeats` rounds (so load from other processes hits
        /// both alike) and each keeps its best round.
        func sparseWins(at density: Double) -> Bool {
            let mask = Tensor(shape: [rows, columns])
            for i in 0..<mask.count { mask[i] = generator.nextDouble() < density ? 1 : 0 }
            if mask.nonZeroCount == 0 { mask[0] = 1 }
            let matrix = CSRMatrix(layer.weight.value, mask: mask)
            var dense = Double.infinity, sparse = Double.infinity
            for _ in 0..<max(repeats, 1) {
                dense = min(dense, bestSecondsPerCall(repeats: 1, minimumSeconds: 0.005) {
                    _ = layer.forward(x, mode: .evaluation)
                })
                sparse = min(sparse, bestSecondsPerCall(repeats: 1, minimumSeconds: 0.005) {
                    sparseGemm(matrix, .none, n: batch, xT.pointer, bias: bias, y.pointer,
                               workspace: workspace, variant: variant)
                })
            }
            return sparse < dense
        }
        if sparseWins(at: 1) { return 1 }
        if !sparseWins(at: 0) { return 0 }
        var low = 0.0, high = 1.0
        for _ in 0..<8 {
            let middle = (low + high) / 2
            if sparseWins(at: middle) { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }
}
