/// A labelled image set held in memory: images `[N, C, H, W]` and labels in `0..<classes`.
public struct Dataset {
    /// `[N, C, H, W]` float images (raw or normalised; see `normalized(by:)`).
    public let images: Tensor
    /// One label per image.
    public let labels: [Int32]
    /// Number of classes.
    public let classes: Int

    public init(images: Tensor, labels: [Int32], classes: Int) {
        precondition(images.shape.count == 4 && images.shape[0] == labels.count,
                     "Dataset: images \(images.shape) and \(labels.count) labels")
        self.images = images
        self.labels = labels
        self.classes = classes
    }

    public var count: Int { labels.count }
    /// One example's shape, `[C, H, W]`.
    public var exampleShape: [Int] { Array(images.shape.dropFirst()) }
    /// Elements per example.
    public var exampleSize: Int { exampleShape.reduce(1, *) }

    /// Per-channel mean and standard deviation over the whole set (population std).
    public func channelStatistics() -> Normalization {
        let channels = images.shape[1], plane = images.shape[2] * images.shape[3]
        var sums = [Double](repeating: 0, count: channels), squares = sums
        for n in 0..<count {
            for c in 0..<channels {
                let base = images.pointer + (n * channels + c) * plane
                var s = 0.0, q = 0.0
                for i in 0..<plane { let v = Double(base[i]); s += v; q += v * v }
                sums[c] += s; squares[c] += q
            }
        }
        let total = Double(count * plane)
        let mean = sums.map { $0 / total }
        let std = zip(squares, mean).map { max($0 / total - $1 * $1, 1e-12).squareRoot() }
        return Normalization(mean: mean.map(Float.init), std: std.map(Float.init))
    }

    /// A copy with `x' = (x - mean[c]) / std[c]` applied.
    public func normalized(by normalization: Normalization) -> Dataset {
        let result = Tensor(copying: images)
        let channels = images.shape[1], plane = images.shape[2] * images.shape[3]
        precondition(normalization.mean.count == channels, "normalisation has \(normalization.mean.count) channels, data \(channels)")
        for n in 0..<count {
            for c in 0..<channels {
                let base = result.pointer + (n * channels + c) * plane
                let mean = normalization.mean[c], inverseStd = 1 / normalization.std[c]
                for i in 0..<plane { base[i] = (base[i] - mean) * inverseStd }
            }
        }
        return Dataset(images: result, labels: labels, classes: classes)
    }

    /// The first `limit` examples (all if `limit` is nil or larger).
    public func prefix(_ limit: Int?) -> Dataset {
        guard let limit, limit < count else { return self }
        return examples(0..<limit)
    }

    /// The examples from `start` on.
    public func suffix(from start: Int) -> Dataset { examples(start..<count) }

    /// A copy of the examples in `range`.
    public func examples(_ range: Range<Int>) -> Dataset {
        let result = Tensor(shape: [range.count] + exampleShape)
        result.pointer.update(from: images.pointer + range.lowerBound * exampleSize, count: result.count)
        return Dataset(images: result, labels: Array(labels[range]), classes: classes)
    }
}

/// A training set and a test set.
public struct DatasetPair {
    public let train: Dataset
    public let test: Dataset
    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }
}

/// Errors reading data, each naming the file and what was expected.
public enum DataError: Error, CustomStringConvertible, Equatable {
    case missingFile(path: String, hint: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path, hint): return "\(path): file not found (\(hint))"
        case let .malformed(path, reason): return "\(path): \(reason)"
        }
    }
}
