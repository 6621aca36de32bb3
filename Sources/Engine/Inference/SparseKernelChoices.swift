import CBLAS
import CKernels

/// Which product, sparse or dense, each pruned layer runs at each batch size on
/// this machine: measured once (`SparseInferenceNetwork` times both on the layer's
/// own weights the first time it meets a batch size) and kept here, so the
/// crossover comes from the machine that runs, for its kernel builds and its
/// OpenBLAS, and a layer never runs the slower product.
///
/// A choice holds for the machine it was measured on: `machineKey` names it (CPU
/// model, kernel build, OpenBLAS core type, threads, batch-1 sliced-ELLPACK layout), and the CLI keeps one set of
/// choices per key in its cache file. Not thread-safe.
public final class SparseKernelChoices {
    /// One measured situation: a layer kind and weight shape with `stored` entries, at `batch`.
    public struct Key: Hashable, Codable, Sendable {
        public let kind: String        // "linear" or "convolution"
        public let shape: [Int]        // the weight's shape
        public let stored: Int         // stored (surviving) entries
        public let batch: Int

        public init(kind: SparseCrossover.LayerKind, shape: [Int], stored: Int, batch: Int) {
            self.kind = kind == .linear ? "linear" : "convolution"
            self.shape = shape
            self.stored = stored
            self.batch = batch
        }
    }

    /// The two forms of a Linear layer's sparse product at batch 1: the CSR
    /// matrix-vector product (`sparseGemm`, n = 1) or the sliced-ELLPACK one
    /// (`sparseMatrixVector`). Neither wins everywhere: the sliced-ELLPACK form pads
    /// each step to the slice's longest row in the block, which at very low density
    /// can cost more than its permutes save (AVX2, fc1 of LeNet-300-100 at 98%:
    /// 2.2 us against 1.9 us for CSR; at 95% 3.0 against 4.1 us).
    public enum MatrixVectorForm: String, Codable, Sendable, Equatable {
        case csr
        case slicedEllpack = "sliced-ellpack"
    }

    /// One measured choice, as stored.
    public struct Entry: Codable, Sendable, Equatable {
        public let key: Key
        public let kernel: SparseInferenceNetwork.Kernel
        /// Dense time over the faster sparse form's time when measured (> 1: sparse was faster).
        public let speedUp: Double
        /// The faster sparse form, when two were timed (a Linear layer at batch 1).
        public let matrixVectorForm: MatrixVectorForm?

        public init(key: Key, kernel: SparseInferenceNetwork.Kernel, speedUp: Double,
                    matrixVectorForm: MatrixVectorForm? = nil) {
            self.key = key
            self.kernel = kernel
            self.speedUp = speedUp
            self.matrixVectorForm = matrixVectorForm
        }
    }

    /// Seconds per call of a layer's dense product, of its sparse product (the CSR
    /// form), and of its sliced-ELLPACK form when it has one (a Linear layer at batch 1).
    struct Timing {
        let dense: Double
        let sparse: Double
        var slicedEllpack: Double? = nil
    }

    private var choices: [Key: Entry] = [:]
    /// Whether a choice was measured since `init` (the CLI then saves them).
    public private(set) var measuredNew = false

    public init(entries: [Entry] = []) {
        for entry in entries { choices[entry.key] = entry }
    }

    /// Every choice, in a stable order.
    public var entries: [Entry] {
        choices.values.sorted { ($0.key.kind, $0.key.shape.description, $0.key.stored, $0.key.batch)
            < ($1.key.kind, $1.key.shape.description, $1.key.stored, $1.key.batch) }
    }

    /// The choice for `key`, measuring it with `measure` the first time: sparse when
    /// the faster sparse form beat the dense product, and which form that was.
    func choice(for key: Key, measure: () -> Timing) -> Entry {
        if let known = choices[key] { return known }
        let timing = measure()
        let form = timing.slicedEllpack.map { $0 < timing.sparse ? MatrixVectorForm.slicedEllpack : .csr }
        let sparse = min(timing.sparse, timing.slicedEllpack ?? .infinity)
        let entry = Entry(key: key, kernel: sparse < timing.dense ? .sparse : .dense, speedUp: timing.dense / sparse,
                          matrixVectorForm: form)
        choices[key] = entry
        measuredNew = true
        return entry
    }

    /// What a set of choices is valid for: "<CPU model> | kernels <build> | OpenBLAS
    /// <core> | <threads> threads | batch-1 sliced ELLPACK <lanes>x<block columns>"
    /// (the last names the layout the batch-1 sparse product runs, so choices timed
    /// with another batch-1 kernel are measured again).
    public static func machineKey(configuration: ComputeConfiguration) -> String {
        var brand = [CChar](repeating: 0, count: 49)
        rw_cpu_brand(&brand)
        let model = String(decoding: brand.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let layout = SlicedEllpackMatrix.layout(for: configuration.kernelPath)
        let core = openblas_get_corename().map { String(cString: $0) } ?? "unknown"
        return "\(model.trimmedSpaces) | kernels \(configuration.kernelPath.resolvedPath) | OpenBLAS \(core) | "
            + "\(configuration.threads) threads | batch-1 sliced ELLPACK \(layout.lanes)x\(layout.blockColumns)"
    }
}

extension String {
    /// Without leading and trailing spaces (cpuid pads the brand string).
    fileprivate var trimmedSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
