/// Serves a dataset in batches in a seeded order, into buffers it reuses.
///
/// The order of epoch `e` is a Fisher–Yates permutation from the generator
/// `(seed, .dataOrder, stream: e)`: resuming at any epoch sees the same order as an
/// uninterrupted run. The last batch holds the remainder (not dropped).
///
/// With `augmentation` set, shuffled epochs (`startEpoch(seed:epoch:)` with a seed,
/// i.e. training) are augmented: the epoch's draws come from `(seed, .augmentation,
/// stream: epoch)` and example `i` of the epoch's order gets draw `i`. Sequential
/// passes (evaluation, `seed: nil`) are never augmented.
public final class BatchLoader {
    public let dataset: Dataset
    public let batchSize: Int
    /// `[B, C, H, W]`, refilled by `load(batch:)`.
    public let inputs: Tensor
    /// The labels of the loaded batch (first `currentBatchSize` entries).
    public private(set) var labels: [Int32]
    public private(set) var currentBatchSize = 0
    private var order: [Int32]
    /// Random crop and flip for training epochs (nil: none). Takes effect at the next `startEpoch`.
    public var augmentation: Augmentation?
    private var draws: [Augmentation.Draw] = []       // this epoch's, by position in `order`
    private let exampleShape: [Int]                     // [C, H, W]

    public init(dataset: Dataset, batchSize: Int) {
        precondition(batchSize > 0)
        self.dataset = dataset
        self.batchSize = batchSize
        exampleShape = dataset.exampleShape
        inputs = Tensor(shape: [min(batchSize, dataset.count)] + dataset.exampleShape)
        labels = [Int32](repeating: 0, count: min(batchSize, dataset.count))   // a batch never holds more
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
        if let augmentation, let seed {
            augmentation.draws(into: &draws, count: dataset.count, seed: seed, epoch: epoch)
        } else {
            draws.removeAll(keepingCapacity: true)
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
            let image = dataset.images.pointer + source * exampleSize, target = inputs.pointer + row * exampleSize
            if let augmentation, !draws.isEmpty {
                augmentation.apply(draws[start + row], shape: exampleShape, from: image, to: target)
            } else {
                target.update(from: image, count: exampleSize)
            }
            labels[row] = dataset.labels[source]
        }
    }
}
