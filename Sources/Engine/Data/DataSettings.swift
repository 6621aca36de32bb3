/// Which data a run uses, as a recipe's `data:` section gives it.
public struct DataSettings: Codable, Equatable, Sendable {
    public enum Source: String, Codable, Sendable, CaseIterable {
        case fashionMNIST = "fashion-mnist", mnist, synthetic
    }

    public var dataset: Source = .fashionMNIST
    /// Folder of the dataset's files (IDX for MNIST-like sets).
    public var path: String?
    /// Use only the first N training / test examples (quick runs, tests).
    public var trainLimit: Int?
    public var testLimit: Int?
    /// Synthetic data: examples, classes, image side, noise, seed.
    public var syntheticTrain = 512
    public var syntheticTest = 256
    public var syntheticClasses = 4
    public var syntheticSide = 8
    public var syntheticNoise: Float = 1.0

    public init(dataset: Source = .fashionMNIST) { self.dataset = dataset }

    /// Where the files are looked for.
    public var directory: String {
        path ?? (dataset == .fashionMNIST ? IDXDatasets.defaultFashionMNISTDirectory : "/usr/share/datasets/mnist")
    }

    /// One example's shape `[C, H, W]` and the class count.
    public var exampleShape: [Int] {
        dataset == .synthetic ? [1, syntheticSide, syntheticSide] : [1, 28, 28]
    }
    public var classes: Int { dataset == .synthetic ? syntheticClasses : 10 }

    /// Loads the raw (unnormalised) training and test sets.
    public func loadRaw() throws -> DatasetPair {
        let pair: DatasetPair
        switch dataset {
        case .fashionMNIST, .mnist:
            pair = try IDXDatasets.load(directory: directory)
        case .synthetic:
            let all = SyntheticDataset.make(count: syntheticTrain + syntheticTest, classes: syntheticClasses,
                                            shape: exampleShape, noise: syntheticNoise, seed: 0)
            pair = DatasetPair(train: all.prefix(syntheticTrain), test: all.suffix(from: syntheticTrain))
        }
        return DatasetPair(train: pair.train.prefix(trainLimit), test: pair.test.prefix(testLimit))
    }

    /// Loads both sets normalised by the training set's per-channel mean and std,
    /// and returns that normalisation (to be kept with the model).
    public func load() throws -> (data: DatasetPair, normalization: Normalization) {
        let raw = try loadRaw()
        let normalization = raw.train.channelStatistics()
        return (DatasetPair(train: raw.train.normalized(by: normalization), test: raw.test.normalized(by: normalization)),
                normalization)
    }
}
