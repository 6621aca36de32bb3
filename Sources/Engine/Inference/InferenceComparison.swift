/// Dense against sparse inference time of one network at one batch size: what
/// `rewind bench` reports and how `SparseInferenceNetwork`'s figures were measured.
public struct InferenceComparison: Sendable {
    /// Examples per forward pass.
    public let batch: Int
    /// Stored multiply-adds over dense ones, per example, of the Linear and Conv2D
    /// layers (`SparseInferenceNetwork.multiplyAddDensity`; for a network of Linear
    /// layers, stored weights over all weights).
    public let density: Double
    /// Seconds per batch through `Network.forward(_, mode: .evaluation)` (best round).
    public let denseSeconds: Double
    /// Seconds per batch through `SparseInferenceNetwork.forward` (best round).
    public let sparseSeconds: Double

    public var denseImagesPerSecond: Double { Double(batch) / denseSeconds }
    public var sparseImagesPerSecond: Double { Double(batch) / sparseSeconds }
    /// Dense time over sparse time.
    public var speedUp: Double { denseSeconds / sparseSeconds }
    /// `1 / density`: the speed-up if time were proportional to the multiply-adds
    /// of the Linear and Conv2D layers (an upper bound the per-call and per-row
    /// overheads, and work the sparse path does not shrink — im2col, pooling —
    /// keep it under).
    public var idealSpeedUp: Double { 1 / density }
    /// The fraction of the ideal speed-up reached.
    public var efficiency: Double { speedUp / idealSpeedUp }

    public init(batch: Int, density: Double, denseSeconds: Double, sparseSeconds: Double) {
        self.batch = batch
        self.density = density
        self.denseSeconds = denseSeconds
        self.sparseSeconds = sparseSeconds
    }

    /// Times `network` on `batch` random inputs both ways, interleaving the two in
    /// each of `repeats` rounds so that load from other processes hits both alike,
    /// and keeping each path's best round. `sparse` defaults to a
    /// `SparseInferenceNetwork` with the measured crossover defaults.
    public static func measure(network: Network, batch: Int, sparse: SparseInferenceNetwork? = nil,
                               repeats: Int = 7, minimumSeconds: Double = 0.05, seed: UInt64 = 0) -> InferenceComparison {
        let sparse = sparse ?? SparseInferenceNetwork(network: network)
        let input = Tensor(shape: [batch] + network.architecture.inputShape)
        var generator = SeededGenerator(seed: seed, concern: .benchmark)
        for i in 0..<input.count { input[i] = generator.nextNormal() }
        var dense = Double.infinity, sparseTime = Double.infinity
        for round in 0..<max(repeats, 1) {
            // Dense first in even rounds, sparse first in odd ones, so neither path
            // always runs right after the other (with both paths on the same dense
            // layers, dense-first rounds gave 0.82-1.00x).
            for path in round % 2 == 0 ? [0, 1] : [1, 0] {
                if path == 0 {
                    dense = min(dense, bestSecondsPerCall(repeats: 1, minimumSeconds: minimumSeconds) {
                        _ = network.forward(input, mode: .evaluation)
                    })
                } else {
                    sparseTime = min(sparseTime, bestSecondsPerCall(repeats: 1, minimumSeconds: minimumSeconds) {
                        _ = sparse.forward(input)
                    })
                }
            }
        }
        return InferenceComparison(batch: batch, density: sparse.multiplyAddDensity,
                                   denseSeconds: dense, sparseSeconds: sparseTime)
    }
}
