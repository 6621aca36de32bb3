import CBLAS

/// How the CPU work of one network is divided: threads, the size thresholds from
/// which work is split among them, and which build of the hand-written kernels runs.
///
/// One value replaces what used to be process-wide mutable settings, so that
/// independent workers (the chains of a parallel comparison) never fight over them.
/// The CLI builds it ONCE per process from the environment and its options
/// (`ComputeConfiguration(environment:)`), gives it to every network it makes
/// (`Network.configuration`, which hands it to each layer through `Layer.configure`)
/// and to the optimizers (`kernelPath`). Library users and tests get `.default`
/// unless they set one.
///
/// OpenBLAS itself always runs on one thread: `gemm` splits products of
/// `gemmThreads(forMultiplyAdds:)` threads over the engine's worker pool
/// (`parallelFor`), the same pool that runs the layers' own parallel regions, so
/// no call changes a process-wide thread count.
public struct ComputeConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// The most threads one network may use (the parts of a split product, workers
    /// of a split convolution, pooling or normalisation). At least 1.
    public var threads: Int
    /// Multiply-adds `m·n·k` from which a dense product is split among `threads`
    /// instead of running on one (measured: a second thread slows small products,
    /// a 60x100x10 product ran at half speed; `rewind bench --gemm` re-measures).
    public var gemmThreshold: Int
    /// Multiply-adds (stored entries times columns) from which a sparse product is
    /// split among `threads` (see `sparseThreads(multiplyAdds:columns:)`).
    public var sparseThreshold: Int
    /// The elements a Conv2D worker's lowered matrix `cols` aims at (whole images, at
    /// least one): cache-resident, since im2col is memory-bound otherwise.
    public var convolutionColumnBudget: Int
    /// Multiply-adds per Conv2D forward pass from which its batch is split among workers.
    public var convolutionParallelThreshold: Int
    /// Input elements from which MaxPool2D and AvgPool2D split their planes among workers.
    public var poolingParallelThreshold: Int
    /// Elements per forward pass from which BatchNorm2D splits its channels among workers.
    public var batchNormParallelThreshold: Int
    /// Which build of the hand-written kernels runs (`.automatic`: the best this CPU has).
    public var kernelPath: KernelVariant
    /// Weight density below which a pruned Linear or Conv2D layer trains through the
    /// sparse kernels when `measuredSparseTraining` is nil (`setSparsity(pattern:)`;
    /// default `measuredSparseTrainingDensity`).
    public var sparseTrainingDensity: Double
    /// Where each pruned Linear and Conv2D layer's sparse-or-dense choice for
    /// retraining is measured and kept (`SparseTrainingChoices`; the CLI's per-machine
    /// cache file); nil: the fixed rule `sparseTrainingDensity` decides (library
    /// default, and what `REWIND_SPARSE_TRAINING_DENSITY` selects).
    public var measuredSparseTraining: MeasuredSparseTraining?

    /// Density below which pruned Linear and Conv2D layers retrain faster sparse than
    /// dense, measured on the 2-core AMD EPYC Zen 4 (AVX-512, OpenBLAS Cooperlake
    /// kernels), release build, batch 60, SGD (`rewind bench --sparse-training`;
    /// docs/benchmarks.md). On one thread, what each worker of a parallel comparison
    /// runs, LeNet-300-100 epochs at 51% of the weights ran 0.43x through the sparse
    /// kernels, at 21% 0.96x (a tie), at 5.6% 2.63x and at 3.6% 3.27x; on two threads
    /// (busy machine) 21% gained 1.24x (LeNet-5 1.72x) and 51% lost. Hence 0.2, just
    /// under the tie. The CLI measures per layer instead (`measuredSparseTraining`);
    /// this rule applies without it, and `REWIND_SPARSE_TRAINING_DENSITY` sets it.
    public static let measuredSparseTrainingDensity = 0.2

    /// The defaults, measured on the 2-core machines Rewind runs on (docs/benchmarks.md):
    /// every core OpenBLAS sees, gemm threshold 400,000, sparse threshold 4,000,000,
    /// convolution column budget 2¹⁸ and parallel threshold 2²⁰, pooling 2¹⁶,
    /// batch normalisation 2¹⁸, automatic kernel path, sparse training below the
    /// measured `measuredSparseTrainingDensity`.
    public init(threads: Int = Int(openblas_get_num_procs()), gemmThreshold: Int = 400_000,
                sparseThreshold: Int = 4_000_000, convolutionColumnBudget: Int = 1 << 18,
                convolutionParallelThreshold: Int = 1 << 20, poolingParallelThreshold: Int = 1 << 16,
                batchNormParallelThreshold: Int = 1 << 18, kernelPath: KernelVariant = .automatic,
                sparseTrainingDensity: Double = ComputeConfiguration.measuredSparseTrainingDensity,
                measuredSparseTraining: MeasuredSparseTraining? = nil) {
        self.threads = max(1, threads)
        self.gemmThreshold = gemmThreshold
        self.sparseThreshold = sparseThreshold
        self.convolutionColumnBudget = convolutionColumnBudget
        self.convolutionParallelThreshold = convolutionParallelThreshold
        self.poolingParallelThreshold = poolingParallelThreshold
        self.batchNormParallelThreshold = batchNormParallelThreshold
        self.kernelPath = kernelPath
        self.sparseTrainingDensity = sparseTrainingDensity
        self.measuredSparseTraining = measuredSparseTraining
    }

    /// The defaults (see `init`).
    public static let `default` = ComputeConfiguration()

    /// The same configuration on one thread: what a worker of a parallel comparison runs.
    public var singleThreaded: ComputeConfiguration {
        var copy = self
        copy.threads = 1
        return copy
    }

    /// Threads (parts, see `gemm`) for a dense product of `multiplyAdds` multiply-adds:
    /// `threads` from `gemmThreshold` on, else 1.
    public func gemmThreads(forMultiplyAdds multiplyAdds: Int) -> Int {
        multiplyAdds >= gemmThreshold ? threads : 1
    }

    /// Threads for a sparse product of `multiplyAdds` over `columns` columns: all
    /// `threads` from `sparseThreshold` on when each gets a 64-column panel, else 1.
    public func sparseThreads(multiplyAdds: Int, columns: Int) -> Int {
        multiplyAdds >= sparseThreshold && columns >= 64 * threads ? threads : 1
    }

    /// Workers for `elements` of independent work split in `units` (planes, channels)
    /// from `threshold` elements on.
    func workers(elements: Int, threshold: Int, units: Int) -> Int {
        elements >= threshold ? max(1, min(threads, units)) : 1
    }

    public var description: String {
        "\(threads) thread\(threads == 1 ? "" : "s"), gemm threshold \(gemmThreshold), sparse threshold \(sparseThreshold), "
            + "conv columns \(convolutionColumnBudget), conv parallel \(convolutionParallelThreshold), kernels \(kernelPath), "
            + (measuredSparseTraining == nil ? "sparse training below \(sparseTrainingDensity * 100)% of the weights"
                                             : "sparse training where measured faster")
    }
}

extension ComputeConfiguration {
    /// The environment variables read by `init(environment:base:)`, with what each sets.
    public static let environmentVariables: [(name: String, meaning: String)] = [
        ("REWIND_THREADS", "threads"),
        ("REWIND_GEMM_THRESHOLD", "gemm threshold (multiply-adds)"),
        ("REWIND_SPARSE_THRESHOLD", "sparse threshold (multiply-adds)"),
        ("REWIND_CONV_COLUMNS", "convolution column budget (elements)"),
        ("REWIND_CONV_PARALLEL", "convolution parallel threshold (multiply-adds)"),
        ("REWIND_KERNELS", "kernel path (automatic, portable, avx2, avx512)"),
        ("REWIND_SPARSE_TRAINING_DENSITY", "density below which pruned Linear and Conv2D layers train sparsely (0 to 1; replaces the per-layer measurement)"),
    ]

    /// `base` with the settings `environment` overrides (names in `environmentVariables`).
    /// A value that is not a positive integer (thresholds may be 0), or an unknown
    /// kernel path, throws a one-line error naming the variable and what was expected.
    public init(environment: [String: String], base: ComputeConfiguration = .default) throws {
        self = base
        func integer(_ name: String, minimum: Int) throws -> Int? {
            guard let raw = environment[name] else { return nil }
            guard let value = Int(raw), value >= minimum else {
                throw ComputeConfigurationError(variable: name, value: raw,
                                                expected: minimum > 0 ? "an integer >= \(minimum)" : "an integer >= 0")
            }
            return value
        }
        if let value = try integer("REWIND_THREADS", minimum: 1) { threads = value }
        if let value = try integer("REWIND_GEMM_THRESHOLD", minimum: 0) { gemmThreshold = value }
        if let value = try integer("REWIND_SPARSE_THRESHOLD", minimum: 0) { sparseThreshold = value }
        if let value = try integer("REWIND_CONV_COLUMNS", minimum: 1) { convolutionColumnBudget = value }
        if let value = try integer("REWIND_CONV_PARALLEL", minimum: 0) { convolutionParallelThreshold = value }
        if let raw = environment["REWIND_SPARSE_TRAINING_DENSITY"] {
            guard let value = Double(raw), value >= 0, value <= 1 else {
                throw ComputeConfigurationError(variable: "REWIND_SPARSE_TRAINING_DENSITY", value: raw,
                                                expected: "a number from 0 to 1")
            }
            sparseTrainingDensity = value
            measuredSparseTraining = nil
        }
        if let raw = environment["REWIND_KERNELS"] {
            guard let path = KernelVariant(name: raw) else {
                throw ComputeConfigurationError(variable: "REWIND_KERNELS", value: raw,
                                                expected: KernelVariant.allCases.map(\.description).joined(separator: ", "))
            }
            kernelPath = path
        }
    }
}

/// An environment variable that does not hold what `ComputeConfiguration` expects.
public struct ComputeConfigurationError: Error, CustomStringConvertible, Equatable {
    public let variable: String
    public let value: String
    public let expected: String

    public var description: String { "environment variable \(variable): expected \(expected), got '\(value)'" }
}
