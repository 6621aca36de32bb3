/// Inference (evaluation mode) for a pruned `Network`, running each Linear and
/// Conv2D layer whose weight density is below its crossover through the sparse kernel.
///
/// A Linear layer `y = x Wᵀ + b` with `x [B, in]`, `W [out, in]` is computed as
///
///     yᵀ [out, B] = W [out, in] (CSR) · xᵀ [in, B] + b      (`sparseGemm`, n = B)
///
/// so the kernel vectorises over the batch. At batch 1 the product is a matrix-vector
/// product on the weight's blocked sliced-ELLPACK form (`SlicedEllpackMatrix`, built
/// from the CSR form at the first batch of 1 for the configuration's kernel build;
/// `sparseMatrixVector`), which vectorises over rows instead, or, where the
/// measured choice says it is faster (see Crossover), the CSR matrix-vector product
/// (`sparseGemm` with n = 1). Layouts: the network's layers keep
/// activations `[B, features]`; the sparse path keeps them `[features, B]` from one
/// sparse Linear to the next, so LeNet-300-100 changes layout twice per batch:
/// - into `[in, B]`: fused into the first sparse product, which transposes each
///   panel of 64 examples into cache as it goes (no separate pass);
/// - back to `[B, classes]`: one transpose of the logits (or before any layer that
///   runs through its own `forward`).
/// A ReLU right after a sparse Linear is fused into the product's epilogue; Dropout
/// is the identity in evaluation and is skipped; a Flatten feeding a Linear is a
/// view (the Linear reads `[B, product of the rest]`). At batch 1 both layouts are
/// the same memory.
///
/// A Conv2D layer below its crossover runs through `SparseConvolution` (im2col, then
/// `W [O, C·k·k]` (CSR) times the columns, bias and a following ReLU fused), which
/// takes and gives the batch-major NCHW layout `[B, C, H, W]` → `[B, O, OH, OW]`,
/// so activations are transposed back from `[features, B]` before it as before any
/// layer that runs its own `forward`. Every other layer (MaxPool2D, BatchNorm2D, ...,
/// and every Linear or Conv2D at or above its crossover) runs its own
/// `forward(_, mode: .evaluation)` on batch-major activations. In LeNet-5 or Conv-2
/// (conv, relu, [conv, relu,] maxpool, ..., flatten, fc, relu, fc, relu, fc) the
/// activations stay batch-major up to the first Linear, which reads the pooled
/// `[B, C, H, W]` as `[B, features]` transposed, and stay `[features, B]` from there.
///
/// Crossover: with `crossoverDensity` nil, measured on the machine that runs, per
/// layer and batch size: the first time a batch size is met, each pruned layer's
/// dense and sparse products are timed on its own weights (`SparseKernelChoices`,
/// which the CLI keeps in a cache file per machine), and the faster runs, so a
/// layer may run dense at batch 1 and sparse at batch 256, and never runs the
/// slower product. At batch 1 a Linear layer's two sparse forms are both timed and
/// the faster is kept with the choice (`SparseKernelChoices.MatrixVectorForm`). A number fixes the crossover for every kind and batch instead
/// (0: all dense, 1.01: all sparse); tests use that for a fixed plan.
///
/// (The tables below were measured on the AVX2 machine with the crossovers of that
/// time; docs/benchmarks.md has the figures of the measured choice on AVX-512.)
///
/// Measured 2026-11-23 on the 2-core AMD EPYC (Zen, AVX2/FMA) machine, release
/// build, best of 4 runs of 9 interleaved rounds (`InferenceComparison.measure`),
/// with the second core mostly busy with other work: LeNet-300-100, random weights
/// pruned layerwise by magnitude to the given sparsity, dense path
/// `Network.forward(_, mode: .evaluation)` (OpenBLAS sgemm as Linear calls it),
/// sparse path this class with the default crossovers (S/D: sparse or dense
/// kernel per Linear layer; the sparse products ran on one thread):
///
/// | sparsity | batch | dense ms | dense img/s | sparse ms | sparse img/s | speed-up | ideal 1/density | of ideal | fc1 fc2 fc3 |
/// |---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
/// | 0% | 1 | 0.1579 | 6,333 | 0.1539 | 6,498 | 1.03x | 1x | 103% | D D D |
/// | 0% | 256 | 4.4019 | 58,157 | 4.2568 | 60,139 | 1.03x | 1x | 103% | D D D |
/// | 50% | 1 | 0.1453 | 6,882 | 0.0801 | 12,484 | 1.81x | 2x | 91% | S S S |
/// | 50% | 256 | 4.6488 | 55,068 | 4.4074 | 58,084 | 1.05x | 2x | 53% | D D D |
/// | 80% | 1 | 0.1459 | 6,854 | 0.0362 | 27,624 | 4.03x | 5x | 81% | S S S |
/// | 80% | 256 | 4.6106 | 55,524 | 1.4889 | 171,939 | 3.10x | 5x | 62% | S S S |
/// | 90% | 1 | 0.1465 | 6,826 | 0.0183 | 54,645 | 8.01x | 10x | 80% | S S S |
/// | 90% | 256 | 4.4142 | 57,995 | 0.7992 | 320,320 | 5.52x | 10x | 55% | S S S |
/// | 95% | 1 | 0.1439 | 6,949 | 0.0102 | 98,039 | 14.11x | 20x | 71% | S S S |
/// | 95% | 256 | 4.4262 | 57,837 | 0.4093 | 625,458 | 10.81x | 20x | 54% | S S S |
/// | 98% | 1 | 0.1444 | 6,925 | 0.0059 | 169,492 | 24.47x | 50x | 49% | S S S |
/// | 98% | 256 | 4.6361 | 55,219 | 0.2251 | 1,137,272 | 20.60x | 50x | 41% | S S S |
///
/// At 0% and 50% (batch 256) every layer is above the crossover and runs dense; the
/// small gain is the skipped Flatten copy. Forcing every layer sparse there
/// (`crossoverDensity: 1.01`) gave 0.76x at 0% and 1.23x at 50%. Short of the
/// ideal: per-row and per-call overheads at batch 1 (the 98% network's three
/// products take about 6 us), and at batch 256 the transposition of the input
/// (fused into fc1's product; 55-90 us as a separate pass) and the index stream,
/// which make the kernel run at about half the speed per multiply-add of
/// OpenBLAS's dense one.
///
/// Conv-2 on 28x28x1 inputs (`rewind bench --sparse`, 2026-11-23, same machine,
/// release build, load average about 8; one-shot layerwise magnitude pruning of
/// every layer to the sparsity, so `1 / density` is also the ideal in multiply-adds;
/// 7 interleaved rounds at batch 1, 3 at batch 256). Conv-2 is 33M multiply-adds per
/// image, 89% of them in conv2 `[64, 64, 3, 3]`. Both convolutions run sparse at
/// every sparsity from 50%, by im2col (conv1) and shifted windows (conv2):
///
/// | sparsity | batch | dense ms | sparse ms | sparse img/s | speed-up | ideal 1/density | of ideal |
/// |---:|---:|---:|---:|---:|---:|---:|---:|
/// | 0% | 1 | 5.03 | 4.55 | 220 | 1.11x | 1x | 111% |
/// | 0% | 256 | 714.8 | 722.1 | 355 | 0.99x | 1x | 99% |
/// | 50% | 1 | 4.57 | 3.25 | 307 | 1.40x | 2x | 70% |
/// | 50% | 256 | 738.7 | 579.0 | 442 | 1.28x | 2x | 64% |
/// | 80% | 1 | 5.06 | 1.52 | 660 | 3.34x | 5x | 67% |
/// | 80% | 256 | 762.0 | 286.4 | 894 | 2.66x | 5x | 53% |
/// | 90% | 1 | 5.56 | 1.15 | 869 | 4.83x | 10x | 48% |
/// | 90% | 256 | 777.0 | 179.8 | 1,424 | 4.32x | 10x | 43% |
/// | 95% | 1 | 4.90 | 0.51 | 1,970 | 9.66x | 20x | 48% |
/// | 95% | 256 | 860.8 | 136.9 | 1,871 | 6.29x | 20x | 31% |
/// | 98% | 1 | 4.65 | 0.33 | 3,032 | 14.11x | 50x | 28% |
/// | 98% | 256 | 713.0 | 82.1 | 3,120 | 8.69x | 50x | 17% |
///
/// Where the time goes (one thread, 95%, batch 256): conv2 dense 515 ms; sparse by
/// im2col 103 ms, of which im2col 47 ms (46%) and the product 55 ms; by shifted
/// windows (no im2col) 61 ms, the default. conv1 (one input channel, 64 outputs):
/// 42 ms dense, 14 ms sparse by im2col, of which im2col only 1 ms: writing the
/// `[256, 64, 28, 28]` output (51 MB) bounds it. The rest of the sparse pass is the
/// 2x2 max-pool over that output size, fc1 `[256, 12544]` and, on this busy
/// machine, the second worker waiting for its core.
///
/// The weights are read once, at initialisation: build a new instance after the
/// network's weights change. Not thread-safe (buffers are reused between calls).
public final class SparseInferenceNetwork {
    /// Which product a Linear or Conv2D layer runs at a given batch size.
    public enum Kernel: String, Sendable, Equatable, Codable {
        case sparse, dense
    }

    /// A Linear or Conv2D layer as the plan sees it.
    public struct LayerSummary: Sendable, Equatable {
        /// The layer's name, its weight's name without ".weight" ("fc1", "conv1").
        public let name: String
        /// The weight's shape: `[out, in]` (Linear) or `[O, C, k, k]` (Conv2D).
        public let shape: [Int]
        /// Stored weights over all weights (the mask's density when a mask was given).
        public let density: Double
        /// Whether a ReLU follows and is fused into the sparse product.
        public let fusesReLU: Bool
        /// Dense multiply-adds per example: the weight count, times `OH·OW` for a
        /// Conv2D on the network's input shape.
        public let multiplyAddsPerExample: Int
    }

    /// The summary of a Linear layer (kept for the callers of the Linear-only plan).
    public typealias LinearSummary = LayerSummary

    public let network: Network
    /// The fixed crossover, or nil for the choices measured on this machine (`choices`).
    public let crossoverDensity: Double?
    /// The measured choices (used when `crossoverDensity` is nil); shared between
    /// networks, and with the CLI's cache file, by passing the same object.
    public let choices: SparseKernelChoices
    /// Threads, thresholds and the kernel build: `network.configuration` as of `init`.
    public let configuration: ComputeConfiguration
    /// Every Linear layer in order, with its density.
    public let linearLayers: [LayerSummary]
    /// Every Conv2D layer in order (outside residual blocks, which run dense), with its density.
    public let convolutionLayers: [LayerSummary]

    private let steps: [Step]
    private let workspace = SparseWorkspace()
    private let batchMajor = Tensor(shape: [0])   // a [features, B] activation transposed to [B, features]
    private let logits = Tensor(shape: [0])       // [B, classes] when the last layer ran sparse

    private enum Layout {
        case batchMajor    // [B, features] (or [B, C, H, W]): what layers take
        case featureMajor  // [features, B]: what the sparse Linear product takes and gives
    }

    /// A pruned Linear or Conv2D layer with the ReLU it absorbs: its sparse form (nil
    /// when too dense to ever run sparse) and, for above the crossover, the layer itself.
    private final class PrunedStep {
        let kind: SparseCrossover.LayerKind
        let layer: Layer
        let weightName: String
        let weightShape: [Int]
        let stored: Int
        /// One example's input shape (`[in]`, or `[C, H, W]`).
        let inputShape: [Int]
        let relu: ReLU?
        let density: Double
        let sparse: SparseForm?
        /// The batch size of the last decision and what was decided (nil: dense), so
        /// a steady stream of equal batches decides with one comparison.
        var decidedBatch = -1
        var decided: SparseForm?
        /// Whether a Linear at batch 1 runs its sliced-ELLPACK form (else its CSR form).
        var decidedSlicedEllpack = true

        init(kind: SparseCrossover.LayerKind, layer: Layer, weight: Parameter, stored: Int, inputShape: [Int],
             relu: ReLU?, sparse: SparseForm?) {
            self.kind = kind
            self.layer = layer
            self.weightName = weight.name
            self.weightShape = weight.value.shape
            self.stored = stored
            self.inputShape = inputShape
            self.relu = relu
            self.density = weight.value.count == 0 ? 1 : Double(stored) / Double(weight.value.count)
            self.sparse = sparse
        }
    }

    /// The sparse product of a `PrunedStep`.
    private enum SparseForm {
        /// `yᵀ [out, B] = epilogue(b + W [out, in] · xᵀ)`, written to `output`: `W` as CSR
        /// for `sparseGemm`, and at batch 1 as `vector` for `sparseMatrixVector`.
        case linear(SparseLinear)
        case convolution(SparseConvolution)
    }

    /// The sparse forms of a Linear layer's weight and its copied bias (a class: the
    /// steps hand it on by one reference, not six arrays to retain, which counts at
    /// batch 1 where the whole pass takes a few microseconds).
    private final class SparseLinear {
        let matrix: CSRMatrix
        let kernelPath: KernelVariant
        /// `matrix` in the blocked sliced-ELLPACK layout of the kernel build, built at the
        /// first batch of 1 (it stores 2-4x the entries, padding included).
        lazy var vector = SlicedEllpackMatrix(matrix, for: kernelPath)
        let bias: Tensor?
        let relu: Bool
        let output = Tensor(shape: [0])

        init(matrix: CSRMatrix, kernelPath: KernelVariant, bias: Tensor?, relu: Bool) {
            self.matrix = matrix
            self.kernelPath = kernelPath
            self.bias = bias
            self.relu = relu
        }

        /// `output [out, B] = epilogue(b + W · xᵀ)` for `x` `[B, in]` (`transposed`) or
        /// `[in, B]`; at batch 1 the two are the same memory and the product is
        /// `sparseMatrixVector`'s when `slicedEllpack`, else the CSR one. Returns `output`.
        func forward(_ x: UnsafePointer<Float>, batch: Int, transposed: Bool, slicedEllpack: Bool = true,
                     workspace: SparseWorkspace, configuration: ComputeConfiguration) -> Tensor {
            output.reshape(rows: matrix.rows, columns: batch)
            if batch == 1 && slicedEllpack {
                sparseMatrixVector(vector, x, bias: bias?.pointer, relu: relu, output.pointer,
                                   configuration: configuration)
            } else {
                sparseGemm(matrix, transposed ? .transposed : .none, n: batch, x, bias: bias?.pointer, relu: relu,
                           output.pointer, workspace: workspace, configuration: configuration)
            }
            return output
        }
    }

    private enum Step {
        case pruned(PrunedStep)
        case skip               // Dropout (identity in evaluation), Flatten feeding a Linear
        case layer(Layer)
    }

    /// Plans `network`'s layers. `masks` (by weight name, 0/1, e.g. a pruning mask's
    /// tensors) fixes the stored pattern of those weights (entries where the mask
    /// is 1, even when 0; the weights must be zero where the mask is 0, as after
    /// the mask is applied); other weights store their non-zeros.
    public init(network: Network, crossoverDensity: Double? = nil, masks: [String: Tensor] = [:],
                choices: SparseKernelChoices = SparseKernelChoices()) {
        self.network = network
        self.crossoverDensity = crossoverDensity
        self.choices = choices
        self.configuration = network.configuration
        // Layers at or above this density never run sparse: no CSR form is built.
        let largestCrossover = crossoverDensity ?? 1
        var steps: [Step] = []
        var linears: [LayerSummary] = [], convolutions: [LayerSummary] = []
        let layers = network.layers
        var exampleShape = network.architecture.inputShape   // the current layer's input, one example
        var index = 0
        while index < layers.count {
            let layer = layers[index]
            let next = index + 1 < layers.count ? layers[index + 1] : nil
            let outputShape = network.exampleShapes[index + 1]   // checked when the network was built
            defer { exampleShape = outputShape }
            let relu = next as? ReLU
            let weight: Parameter, kind: SparseCrossover.LayerKind
            if let linear = layer as? Linear {
                (weight, kind) = (linear.weight, .linear)
            } else if let convolution = layer as? Conv2D {
                (weight, kind) = (convolution.weight, .convolution)
            } else {
                steps.append(layer is Dropout || (layer is Flatten && next is Linear) ? .skip : .layer(layer))
                index += 1
                continue
            }
            let mask = masks[weight.name]
            let stored = mask?.nonZeroCount ?? weight.value.nonZeroCount
            let density = weight.value.count == 0 ? 1 : Double(stored) / Double(weight.value.count)
            var sparse: SparseForm?
            if density < largestCrossover {
                if let linear = layer as? Linear {
                    sparse = .linear(SparseLinear(matrix: CSRMatrix(weight.value, mask: mask),
                                                  kernelPath: configuration.kernelPath,
                                                  bias: linear.bias.map { Tensor(copying: $0.value) }, relu: relu != nil))
                } else if let convolution = layer as? Conv2D {
                    sparse = .convolution(SparseConvolution(layer: convolution, mask: mask, fusesReLU: relu != nil,
                                                            configuration: configuration))
                }
            }
            steps.append(.pruned(PrunedStep(kind: kind, layer: layer, weight: weight, stored: stored,
                                            inputShape: exampleShape, relu: relu, sparse: sparse)))
            let pixels = kind == .convolution ? outputShape.dropFirst().reduce(1, *) : 1
            let summary = LayerSummary(name: String(weight.name.dropLast(".weight".count)), shape: weight.value.shape,
                                       density: density, fusesReLU: relu != nil,
                                       multiplyAddsPerExample: weight.value.count * pixels)
            if kind == .linear { linears.append(summary) } else { convolutions.append(summary) }
            index += 1
            if relu != nil {   // the ReLU is part of this step; it keeps the shape
                index += 1
            }
        }
        self.steps = steps
        self.linearLayers = linears
        self.convolutionLayers = convolutions
    }

    /// Stored multiply-adds over dense ones, per example, of the Linear and Conv2D
    /// layers: the work the sparse kernels do relative to the dense network's
    /// (`1 / multiplyAddDensity` is the ideal speed-up).
    public var multiplyAddDensity: Double {
        let layers = linearLayers + convolutionLayers
        let total = layers.reduce(0.0) { $0 + Double($1.multiplyAddsPerExample) }
        let stored = layers.reduce(0.0) { $0 + $1.density * Double($1.multiplyAddsPerExample) }
        return total == 0 ? 1 : stored / total
    }

    /// Which product the Linear or Conv2D layer `name` ("fc1", "conv1") runs at
    /// `batch` (measured now if not yet known), nil if no such layer.
    public func kernel(for name: String, batch: Int) -> Kernel? {
        for step in steps {
            if case .pruned(let pruned) = step, pruned.weightName == name + ".weight" {
                return sparseForm(of: pruned, batch: batch) == nil ? .dense : .sparse
            }
        }
        return nil
    }

    /// The sparse product `step` runs at `batch`, nil when it runs dense.
    private func sparseForm(of step: PrunedStep, batch: Int) -> SparseForm? {
        if step.decidedBatch == batch { return step.decided }
        step.decidedBatch = batch
        step.decided = decide(step, batch: batch)
        return step.decided
    }

    private func decide(_ step: PrunedStep, batch: Int) -> SparseForm? {
        guard let sparse = step.sparse else { return nil }
        if let crossoverDensity { return step.density < crossoverDensity ? sparse : nil }
        let key = SparseKernelChoices.Key(kind: step.kind, shape: step.weightShape, stored: step.stored, batch: batch)
        let choice = choices.choice(for: key) { measure(step, sparse, batch: batch) }
        step.decidedSlicedEllpack = choice.matrixVectorForm != .csr
        return choice.kernel == .sparse ? sparse : nil
    }

    /// Seconds per call of `step`'s dense product (its layer's `forward`, then the
    /// ReLU) and of its sparse product (a Linear at batch 1: both its CSR and its
    /// sliced-ELLPACK form), on `batch` random inputs, timed alternately
    /// (`SparseCrossover.time`). Called before a forward pass uses any buffer.
    private func measure(_ step: PrunedStep, _ sparse: SparseForm, batch: Int) -> SparseKernelChoices.Timing {
        let input = Tensor(shape: [batch] + step.inputShape)
        var generator = SeededGenerator(seed: 0, concern: .benchmark)
        for i in 0..<input.count { input[i] = generator.nextNormal() }
        let dense = {
            let y = step.layer.forward(input, mode: .evaluation)
            if let relu = step.relu { _ = relu.forward(y, mode: .evaluation) }
        }
        switch sparse {
        case .linear(let linear):
            let forms = (batch == 1 ? [false, true] : [false]).map { slicedEllpack in {
                _ = linear.forward(input.pointer, batch: batch, transposed: true, slicedEllpack: slicedEllpack,
                                   workspace: self.workspace, configuration: self.configuration)
            } }
            let seconds = SparseCrossover.time([dense] + forms)
            return .init(dense: seconds[0], sparse: seconds[1], slicedEllpack: seconds.count > 2 ? seconds[2] : nil)
        case .convolution(let convolution):
            let seconds = SparseCrossover.time(dense: dense) { _ = convolution.forward(input) }
            return .init(dense: seconds.dense, sparse: seconds.sparse)
        }
    }

    /// Logits `[B, classes]` for a batch of normalised inputs `[B, C, H, W]` (or
    /// `[B, features]`), as `network.forward(input, mode: .evaluation)` computes them.
    /// The result is owned by this object or by the network's last layer and is
    /// overwritten by the next call.
    public func forward(_ input: Tensor) -> Tensor {
        let batch = input.shape.first ?? 0
        for step in steps {   // measure any unknown choice first: measuring reuses the layers' buffers
            if case .pruned(let pruned) = step { _ = sparseForm(of: pruned, batch: batch) }
        }
        var x = input                  // the activation
        var layout = Layout.batchMajor
        for step in steps {
            switch step {
            case .skip:
                continue
            case .layer(let layer):
                x = layer.forward(inBatchMajor(x, layout, batch: batch), mode: .evaluation)
                layout = .batchMajor
            case .pruned(let pruned):
                switch sparseForm(of: pruned, batch: batch) {
                case .linear(let linear):
                    precondition(x.count == batch * linear.matrix.columns,
                                 "SparseInferenceNetwork: \(pruned.weightName) expects \(linear.matrix.columns) features, got \(x.shape)")
                    // yᵀ[out, B] = epilogue(b + W · xᵀ); x is read transposed while still [B, in].
                    x = linear.forward(x.pointer, batch: batch, transposed: layout == .batchMajor,
                                       slicedEllpack: pruned.decidedSlicedEllpack, workspace: workspace,
                                       configuration: configuration)
                    layout = .featureMajor
                case .convolution(let convolution):
                    // y [B, O, OH, OW] = epilogue(b + W (CSR) · im2col(x)), per group of images
                    x = convolution.forward(inBatchMajor(x, layout, batch: batch))
                    layout = .batchMajor
                case nil:
                    x = pruned.layer.forward(inBatchMajor(x, layout, batch: batch), mode: .evaluation)
                    if let relu = pruned.relu { x = relu.forward(x, mode: .evaluation) }
                    layout = .batchMajor
                }
            }
        }
        guard layout == .featureMajor else { return x }
        let features = x.shape[0]
        logits.reshape(rows: batch, columns: features)
        transpose(rows: features, columns: batch, x.pointer, logits.pointer, variant: configuration.kernelPath)
        return logits
    }

    /// `x` as `[B, features]`: itself if already so, else transposed into `batchMajor`.
    /// (Only a Linear's output is ever `[features, B]`, and a Linear's output is
    /// one-dimensional per example, so the transposed activation needs no other shape.)
    private func inBatchMajor(_ x: Tensor, _ layout: Layout, batch: Int) -> Tensor {
        guard layout == .featureMajor else { return x }
        let features = x.shape[0]
        batchMajor.reshape(rows: batch, columns: features)
        transpose(rows: features, columns: batch, x.pointer, batchMajor.pointer, variant: configuration.kernelPath)
        return batchMajor
    }
}

extension Tensor {
    /// `reshape(to: [rows, columns])`, without building the shape array when the
    /// shape is already that (the batch-1 pass reshapes each buffer on every call).
    fileprivate func reshape(rows: Int, columns: Int) {
        if shape.count == 2 && shape[0] == rows && shape[1] == columns { return }
        reshape(to: [rows, columns])
    }
}
