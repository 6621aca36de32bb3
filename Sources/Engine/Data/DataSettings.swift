/// Which data a run uses, as a recipe's `data:` section gives it.
public struct DataSettings: Codable, Equatable, Sendable {
    public enum Source: String, Codable, Sendable, CaseIterable {
        case fashionMNIST = "fashion-mnist", mnist, cifar10 = "cifar-10", synthetic
        /// A NumPy `.npz` archive named by `path` (`NPZDatasets`).
        case npz
    }

    public var dataset: Source = .fashionMNIST
    /// Folder of the dataset's files (IDX for MNIST-like sets, the binary batches for CIFAR-10).
    public var path: String?
    /// Augment training epochs with a random crop (4-pixel padding) and a horizontal
    /// flip, as He et al. 2016 train CIFAR ResNets (`Augmentation.cifar`). Optional
    /// (nil = no) so that recipes without the key keep the run-folder hash they had.
    public var augment: Bool?
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
        if let path { return path }
        switch dataset {
        case .fashionMNIST: return IDXDatasets.defaultFashionMNISTDirectory
        case .mnist: return "/usr/share/datasets/mnist"
        case .cifar10: return CIFAR10.defaultDirectory
        case .synthetic: return ""
        case .npz: return path ?? ""
        }
    }

    /// One example's shape `[C, H, W]` and the class count.
    public var exampleShape: [Int] {
        switch dataset {
        case .synthetic: return [1, syntheticSide, syntheticSide]
        case .cifar10: return CIFAR10.exampleShape
        case .fashionMNIST, .mnist: return [1, 28, 28]
        case .npz: return (try? NPZDatasets.load(path: directory))?.train.exampleShape ?? [1, 28, 28]
        }
    }
    public var classes: Int {
        switch dataset {
        case .synthetic: return syntheticClasses
        case .npz: return (try? NPZDatasets.load(path: directory))?.train.classes ?? 10
        default: return 10
        }
    }

    /// The error loading would throw for the dataset's first missing file (naming it
    /// and how to get it), or nil when every file is there.
    public var missingFile: DataError? {
        switch dataset {
        case .synthetic: return nil
        case .cifar10: return CIFAR10.missingFile(directory: directory)
        case .fashionMNIST, .mnist: return IDXDatasets.missingFile(directory: directory, missingHint: idxMissingHint)
        case .npz:
            do { _ = try NPZDatasets.load(path: directory) } catch let error as DataError { return error } catch {}
            return nil
        }
    }

    /// How to get this IDX set when its files are missing.
    private var idxMissingHint: String {
        dataset == .mnist ? IDXDatasets.mnistHint(directory: directory) : IDXDatasets.fashionMNISTHint
    }

    /// Why the synthetic set cannot be made (its images or its class prototypes
    /// overflow or exceed the memory budget), or nil: checked before anything is allocated.
    public var syntheticSizeProblem: ResourceLimitError? {
        let (total, overflow) = syntheticTrain.addingReportingOverflow(syntheticTest)
        if !overflow, total > ResourceLimits.maximumExamples {
            return ResourceLimitError(what: "the synthetic images (more than \(ResourceLimits.maximumExamples) examples)",
                                      dimensions: [total] + exampleShape)
        }
        for (shape, what) in [([overflow ? -1 : total] + exampleShape, "the synthetic images"),
                              ([syntheticClasses] + exampleShape, "the synthetic class prototypes")] {
            do { try ResourceLimits.checkElements(shape, what: what) } catch let error as ResourceLimitError { return error } catch {}
        }
        return nil
    }

    /// Loads the raw (unnormalised) training and test sets.
    public func loadRaw() throws -> DatasetPair {
        let pair: DatasetPair
        switch dataset {
        case .fashionMNIST, .mnist:
            pair = try IDXDatasets.load(directory: directory, missingHint: idxMissingHint)
        case .cifar10:
            pair = try CIFAR10.load(directory: directory)
        case .npz:
            pair = try NPZDatasets.load(path: directory)
        case .synthetic:
            if let problem = syntheticSizeProblem { throw DataError.malformed(path: "data.synthetic", reason: problem.description) }
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

    /// The training augmentation for data normalised by `normalization` (nil unless
    /// `augment`): padded pixels get `-mean/std`, i.e. black before normalisation, as
    /// torchvision's `RandomCrop(padding=4)` pads raw images.
    public func augmentation(normalization: Normalization) -> Augmentation? {
        guard augment == true else { return nil }
        var augmentation = Augmentation.cifar
        augmentation.fill = zip(normalization.mean, normalization.std).map { -$0 / $1 }
        return augmentation
    }
}
