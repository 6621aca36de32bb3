import Engine

/// Recomputes every BatchNorm layer's running statistics of a network from training
/// batches (as PyTorch's `torch.optim.swa_utils.update_bn` does).
///
/// An interpolated network θ(α) = (1 − α) θ_a + α θ_b has never seen data: its
/// activations' mean and variance are not the mix of the endpoints' running
/// statistics (the variance is not even linear in the weights), so evaluating it
/// with interpolated or endpoint statistics measures the statistics' mismatch, not
/// the loss landscape. This sets, per BN layer and channel,
///
///     running_mean = (1/B) Σ_b μ_b,    running_var = (1/B) Σ_b σ²_b · n_b/(n_b − 1)
///
/// over the B batches of a pass over the training set in order (no shuffling, no
/// augmentation), μ_b and σ²_b being the batch statistics a training-mode forward
/// normalises with: the cumulative average PyTorch uses with `momentum=None`.
///
/// Each batch's statistics are read back through the layer's own running update:
/// with the buffers zeroed before the forward, `running ← (1 − m)·0 + m·stat`, so
/// `stat = running / m`.
public enum BatchNormRecomputation {
    /// The BatchNorm layers of `network`, including those inside residual blocks.
    /// (A layer with momentum 0 never updates its statistics, so they cannot be read
    /// back: such layers are left as they are.)
    public static func layers(of network: Network) -> [BatchNorm2D] {
        network.layers.flatMap { layer -> [BatchNorm2D] in
            if let norm = layer as? BatchNorm2D { return [norm] }
            if let block = layer as? ResidualBlock { return [block.bn1, block.bn2] + (block.shortcut.map { [$0.norm] } ?? []) }
            return []
        }
    }

    /// Recomputes the running statistics of every BN layer of `network` from `dataset`
    /// in batches of `batchSize`; does nothing when the network has no BN layer.
    public static func recompute(_ network: Network, on dataset: Dataset, batchSize: Int) {
        let norms = layers(of: network).filter { $0.momentum > 0 }
        guard !norms.isEmpty, dataset.count > 0 else { return }
        var meanSums = norms.map { [Double](repeating: 0, count: $0.channels) }
        var varianceSums = meanSums
        let loader = BatchLoader(dataset: dataset, batchSize: batchSize)
        loader.startEpoch(seed: nil, epoch: 0)
        var batches = 0
        for batch in 0..<loader.batchesPerEpoch {
            loader.load(batch: batch)
            // A batch of one example has no variance to estimate; it is left out.
            if loader.currentBatchSize < 2 && batches > 0 { continue }
            for norm in norms { norm.runningMean.fill(0); norm.runningVariance.fill(0) }
            _ = network.forward(loader.inputs, mode: .training)
            for (index, norm) in norms.enumerated() {
                let m = Double(norm.momentum)
                for c in 0..<norm.channels {
                    meanSums[index][c] += Double(norm.runningMean[c]) / m
                    varianceSums[index][c] += Double(norm.runningVariance[c]) / m
                }
            }
            batches += 1
        }
        for (index, norm) in norms.enumerated() {
            for c in 0..<norm.channels {
                norm.runningMean[c] = Float(meanSums[index][c] / Double(batches))
                norm.runningVariance[c] = Float(varianceSums[index][c] / Double(batches))
            }
        }
    }
}
