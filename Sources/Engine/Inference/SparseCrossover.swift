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
/// `measure(rows:columns:batch:)` finds it on the running machine (`rewind bench
/// --sparse --crossover`). `SparseInferenceNetwork` does not use fixed tables any
/// more: the crossovers moved with the machine (on AVX-512, where OpenBLAS's dense
/// path got much faster, the AVX2 table below made LeNet-300-100 at 50% run sparse
/// at batch 1 at 0.3x of dense), so it times each layer's two products on the
/// machine that runs (`SparseKernelChoices`). The table below, for the record, was
/// measured on the 2-core AMD EPYC (Zen 3, AVX2/FMA) machine
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
///
/// Convolutions (`SparseConvolution` against `Conv2D.forward`) have their own
/// crossovers: both paths lower the input with the same
/// im2col, and the product's `n` is `G·P` output pixels (784 per 28x28 image), so
/// even batch 1 is a large product; see `measureConvolution` for the table.
public enum SparseCrossover {
    /// The layers with a sparse path, each with its own crossover.
    public enum LayerKind: Sendable, Equatable {
        case linear, convolution
    }

    /// Measures the crossover density for a Linear layer `[rows, columns]` at `batch`
    /// on this machine.
    ///
    /// The dense time is `Linear.forward` (bias copy and sgemm, with OpenBLAS's thread
    /// choice). The sparse time is `sparseGemm` with bias on a random mask of the
    /// probed density, activations in the `[features, batch]` layout the sparse
    /// inference path keeps between layers (at batch 1 `sparseMatrixVector` on the
    /// sliced-ELLPACK form, as the sparse inference path runs it). The density where
    /// the two meet is found by `bisect`.
    public static func measure(rows: Int, columns: Int, batch: Int, repeats: Int = 5,
                               configuration: ComputeConfiguration = .default, seed: UInt64 = 0) -> Double {
        precondition(rows > 0 && columns > 0 && batch > 0, "SparseCrossover.measure: empty shape")
        let layer = Linear(name: "probe", inputFeatures: columns, outputFeatures: rows)
        layer.configure(configuration)
        var generator = SeededGenerator(seed: seed, concern: .benchmark)
        for p in layer.parameters { Initializer.normal(sigma: 0.1).fill(p.value, using: &generator) }
        let x = Tensor(shape: [batch, columns])            // [B, in]
        for i in 0..<x.count { x[i] = generator.nextNormal() }
        let xT = Tensor(shape: [columns, batch])           // [in, B]
        transpose(rows: batch, columns: columns, x.pointer, xT.pointer)
        let y = Tensor(shape: [rows, batch])               // yᵀ [out, B]
        let workspace = SparseWorkspace()
        let bias = layer.bias!.value.pointer
        return bisect { density in
            let matrix = CSRMatrix(layer.weight.value, mask: randomMask(layer.weight.value.shape, density: density,
                                                                        using: &generator))
            let vector = batch == 1 ? SlicedEllpackMatrix(matrix, for: configuration.kernelPath) : nil
            return sparseIsFaster(repeats: repeats, dense: { _ = layer.forward(x, mode: .evaluation) }, sparse: {
                if let vector {
                    sparseMatrixVector(vector, xT.pointer, bias: bias, y.pointer, configuration: configuration)
                } else {
                    sparseGemm(matrix, .none, n: batch, xT.pointer, bias: bias, y.pointer,
                               workspace: workspace, configuration: configuration)
                }
            })
        }
    }

    /// Measures the crossover density for a Conv2D layer (`inChannels` to `outChannels`,
    /// `kernelSize`², `stride`, `padding`) on a batch of `batch` images
    /// `[inChannels, height, width]` on this machine: `Conv2D.forward(_, mode: .evaluation)`
    /// (im2col and sgemm) against `SparseConvolution.forward` (the same im2col and
    /// `sparseGemm`, bias fused) on a random mask of the probed density, by `bisect`.
    ///
    /// Measured with it (`rewind bench --sparse --crossover`, two runs) on the
    /// 2-core AMD EPYC Zen 3 (AVX2) machine, release build,
    /// 2026-11-23, for the convolutions of Conv-2 and LeNet-5 on 28x28x1 inputs, the
    /// sparse path with its default lowering (`SparseConvolution.Lowering.cheaper`:
    /// im2col for Conv-2's conv1, shifted windows for the others), with the second
    /// core busy with other work (load average about 8). Per shape the smaller of the
    /// two runs (the runs in brackets), and as the default per batch the smallest over
    /// the shapes:
    ///
    /// | batch | conv-2 conv1 [64,1,3,3] | conv-2 conv2 [64,64,3,3] | lenet-5 conv1 [6,1,5,5] | lenet-5 conv2 [16,6,5,5] | default |
    /// |------:|------:|------:|------:|------:|------:|
    /// | 1 | 1.00 | 1.00 (1.00, 1.00) | 1.00 (1.00, 1.00) | 0.81 (1.00, 0.81) | 0.81 |
    /// | 16 | 1.00 | 0.76 (0.76, 1.00) | 1.00 (1.00, 1.00) | 0.70 (0.70, 0.74) | 0.70 |
    /// | 256 | 1.00 | 0.79 (0.89, 0.79) | 1.00 (1.00, 1.00) | 0.75 (0.99, 0.75) | 0.75 |
    ///
    /// (1.00: the sparse path was faster even on a fully dense weight; a layer at
    /// density 1 still runs dense, as the rule is `density < crossover`.) Much higher
    /// than Linear's: the dense path pays im2col (`k²` floats written per input
    /// float) while the shifted windows copy the input once, and the layers with one
    /// input channel (`C·k·k` = 9 or 25 rows) make poor sgemm shapes. Between runs
    /// the figures are noisy (up to 0.25 apart); with a free second core OpenBLAS
    /// gains more from its two threads than the sparse path, and the crossover at
    /// large batches is likely lower.
    public static func measureConvolution(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                                          padding: Int = 0, height: Int, width: Int, batch: Int, repeats: Int = 5,
                                          configuration: ComputeConfiguration = .default, seed: UInt64 = 0) -> Double {
        precondition(batch > 0, "SparseCrossover.measureConvolution: empty batch")
        let layer = Conv2D(name: "probe", inChannels: inChannels, outChannels: outChannels, kernelSize: kernelSize,
                           stride: stride, padding: padding)
        layer.configure(configuration)
        var generator = SeededGenerator(seed: seed, concern: .benchmark)
        for p in layer.parameters { Initializer.normal(sigma: 0.1).fill(p.value, using: &generator) }
        let x = Tensor(shape: [batch, inChannels, height, width])
        for i in 0..<x.count { x[i] = generator.nextNormal() }
        let weight = Tensor(copying: layer.weight.value)
        return bisect { density in
            let mask = randomMask(weight.shape, density: density, using: &generator)
            for i in 0..<weight.count { layer.weight.value[i] = mask[i] * weight[i] }
            let sparse = SparseConvolution(layer: layer, mask: mask, configuration: configuration)
            return sparseIsFaster(repeats: repeats, dense: { _ = layer.forward(x, mode: .evaluation) },
                                  sparse: { _ = sparse.forward(x) })
        }
    }

    /// The density where `sparseWins` (is the sparse product faster at this
    /// density?) turns false, by bisection (8 steps, to 1/256) on the sparse time,
    /// which grows monotonically with density; 1 when the sparse path wins even
    /// fully dense, 0 when it loses even with (almost) no entries.
    static func bisect(_ sparseWins: (Double) -> Bool) -> Double {
        if sparseWins(1) { return 1 }
        if !sparseWins(0) { return 0 }
        var low = 0.0, high = 1.0
        for _ in 0..<8 {
            let middle = (low + high) / 2
            if sparseWins(middle) { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// Whether `sparse` runs faster than `dense` (see `time`).
    static func sparseIsFaster(repeats: Int, dense: () -> Void, sparse: () -> Void) -> Bool {
        let (denseTime, sparseTime) = time(repeats: repeats, dense: dense, sparse: sparse)
        return sparseTime < denseTime
    }

    /// Seconds per call of `dense` and of `sparse`: the two are timed alternately for
    /// `repeats` rounds of at least 5 ms each (so load from other processes hits
    /// both alike) and each keeps its best round.
    static func time(repeats: Int = 3, dense: () -> Void, sparse: () -> Void) -> (dense: Double, sparse: Double) {
        withoutActuallyEscaping(dense) { dense in
            withoutActuallyEscaping(sparse) { sparse in
                let seconds = time(repeats: repeats, [dense, sparse])
                return (seconds[0], seconds[1])
            }
        }
    }

    /// Seconds per call of each of `bodies`, timed in turn for `repeats` rounds of at
    /// least 5 ms each, each keeping its best round.
    static func time(repeats: Int = 3, _ bodies: [() -> Void]) -> [Double] {
        var best = [Double](repeating: .infinity, count: bodies.count)
        for _ in 0..<max(repeats, 1) {
            for (index, body) in bodies.enumerated() {
                best[index] = min(best[index], bestSecondsPerCall(repeats: 1, minimumSeconds: 0.005, body))
            }
        }
        return best
    }

    /// A 0/1 tensor of `shape` with each entry 1 with probability `density` (at least one).
    static func randomMask(_ shape: [Int], density: Double, using generator: inout SeededGenerator) -> Tensor {
        let mask = Tensor(shape: shape)
        for i in 0..<mask.count { mask[i] = generator.nextDouble() < density ? 1 : 0 }
        if mask.nonZeroCount == 0 && mask.count > 0 { mask[0] = 1 }
        return mask
    }
}
