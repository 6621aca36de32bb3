/// Serves a dataset in batches in a seeded order, into buffers it reuses.
///
/// The order of epoch `e` is a Fisher–Yates permutation from the generator
/// `(seed, .dataOrder, stream: e)`: resuming at any epoch sees the same order as an
/// uninterrupted run. The last batch holds the remainder (not dropped).
public final class BatchLoader {
    public let dataset: Dataset
    public let batchSize: Int
    /// `[B, C, H, W]`, refilled by `load(batch:)`.
    public let inputs: Tensor
    /// The labels of the loaded batch (first `currentBatchSize` entries).
    public private(set) var labels: [Int32]
    public private(set) var currentBatchSize = 0
    private var order: [Int32]

    public init(dataset: Dataset, batchSize: Int) {
        precondition(batchSize > 0)
        self.dataset = dataset
        self.batchSize = batchSize
        inputs = Tensor(shape: [min(batchSize, dataset.count)] + dataset.exampleShape)
        labels = [Int32](repeating: 0, count: batchSize)
        order = Array(0..<Int32(dataset.count))
    }

    /// Batches per pass over the data, counting a final partial batch.
    public var batchesPerEpoch: Int { (dataset.count + batchSize - 1) / batchSize }

    /// Sets the order for an epoch: shuffled from `(seed, epoch)`, or sequential if `seed` is nil.
    public func startEpoch(seed: UInt64?, epoch: Int) {
        if let seed {
            var generator = SeededGenerator(seed: seed, concern: .dataOrder, stream: UInt64(epoch))
            generator.permutation(into: &order, count: dataset.count)
        } else {
            for i in 0..<dataset.count { order[i] = Int32(i) }
        }
    }

    /// Copies batch `index` of the current order into `inputs` and `labels`.
    public func load(batch index: Int) {
        let start = index * batchSize
        let size = min(batchSize, dataset.count - start)
        currentBatchSize = size
        let exampleSize = dataset.exampleSize
        if inputs.shape[0] != size { inputs.reshape(to: [size] + dataset.exampleShape) }
        for row in 0..<size {
            let source = Int(order[start + row])
            (inputs.pointer + row * exampleSize).update(from: dataset.images.pointer + source * exampleSize, count: exampleSize)
            labels[row] = dataset.labels[source]
        }
    }
}
