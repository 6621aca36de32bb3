/// Where the batch-1 time of a pruned network's Linear layers goes (`rewind bench
/// --sparse`): per Linear layer, on its own weights (the mask's pattern when given),
/// timed alternately on the same input, best of `repeats` rounds of 5 ms each:
///
///     dense   = Linear.forward(_, mode: .evaluation)          (bias copy, OpenBLAS sgemv/sgemm)
///     csr     = sparseGemm with n = 1                          (the CSR matrix-vector product)
///     ellpack = sparseMatrixVector on the SlicedEllpackMatrix  (what the sparse path runs)
///
/// and for the whole network, `SparseInferenceNetwork.forward` with every Linear
/// sparse (`crossoverDensity` 1.01): its time minus the sum of the `ellpack` products
/// is the per-call overhead (the steps loop, reshapes, the ReLU of a dense layer, ...).
public struct SparseLinearProfile: Sendable {
    public struct Layer: Sendable, CustomStringConvertible {
        public let name: String
        public let shape: [Int]
        /// Stored entries, and slots of the sliced-ELLPACK form (padding included).
        public let stored: Int, slots: Int
        public let denseSeconds: Double, csrSeconds: Double, ellpackSeconds: Double

        public var description: String {
            String(format: "batch 1, %@ %@, %d entries (%d slots, %.2fx): dense %.2f us, CSR %.2f us, sliced ELLPACK %.2f us (%.2fx CSR)",
                   name, shape.description, stored, slots, Double(slots) / Double(max(stored, 1)), denseSeconds * 1e6,
                   csrSeconds * 1e6, ellpackSeconds * 1e6, csrSeconds / ellpackSeconds)
        }
    }

    public let layers: [Layer]
    /// `SparseInferenceNetwork.forward` at batch 1, every Linear sparse.
    public let networkSeconds: Double

    /// The network's time beyond its sliced-ELLPACK products.
    public var overheadSeconds: Double { networkSeconds - layers.reduce(0) { $0 + $1.ellpackSeconds } }

    public var summary: String {
        String(format: "batch 1, whole sparse forward %.2f us = products %.2f us + other %.2f us",
               networkSeconds * 1e6, (networkSeconds - overheadSeconds) * 1e6, overheadSeconds * 1e6)
    }

    /// Profiles `network`'s Linear layers (masks by weight name, as for `SparseInferenceNetwork`).
    public static func measure(network: Network, masks: [String: Tensor] = [:], repeats: Int = 7) -> SparseLinearProfile {
        let configuration = network.configuration
        var generator = SeededGenerator(seed: 0, concern: .benchmark)
        var layers: [Layer] = []
        for (layer, shape) in zip(network.layers, network.exampleShapes) {
            guard let linear = layer as? Linear else { continue }
            let x = Tensor(shape: [1, shape.reduce(1, *)])
            for i in 0..<x.count { x[i] = generator.nextNormal() }
            let matrix = CSRMatrix(linear.weight.value, mask: masks[linear.weight.name])
            let ellpack = SlicedEllpackMatrix(matrix, for: configuration.kernelPath)
            let bias = linear.bias?.value.pointer
            let y = Tensor(shape: [matrix.rows])
            let workspace = SparseWorkspace()
            var dense = Double.infinity, csr = Double.infinity, sliced = Double.infinity
            for _ in 0..<max(repeats, 1) {
                dense = min(dense, bestSecondsPerCall(repeats: 1, minimumSeconds: 0.005) {
                    _ = linear.forward(x, mode: .evaluation)
                })
                csr = min(csr, bestSecondsPerCall(repeats: 1, minimumSeconds: 0.005) {
                    sparseGemm(matrix, .none, n: 1, x.pointer, bias: bias, y.pointer, workspace: workspace,
                               configuration: configuration)
                })
                sliced = min(sliced, bestSecondsPerCall(repeats: 1, minimumSeconds: 0.005) {
                    sparseMatrixVector(ellpack, x.pointer, bias: bias, y.pointer, configuration: configuration)
                })
            }
            layers.append(Layer(name: String(linear.weight.name.dropLast(".weight".count)), shape: linear.weight.value.shape,
                                stored: matrix.nonZeroCount, slots: ellpack.slotCount, denseSeconds: dense,
                                csrSeconds: csr, ellpackSeconds: sliced))
        }
        let sparse = SparseInferenceNetwork(network: network, crossoverDensity: 1.01, masks: masks)
        let input = Tensor(shape: [1] + network.architecture.inputShape)
        for i in 0..<input.count { input[i] = generator.nextNormal() }
        let whole = bestSecondsPerCall(repeats: max(repeats, 1), minimumSeconds: 0.005) { _ = sparse.forward(input) }
        return SparseLinearProfile(layers: layers, networkSeconds: whole)
    }
}
