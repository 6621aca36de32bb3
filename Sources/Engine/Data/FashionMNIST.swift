import Foundation

/// Loaders for the IDX datasets: MNIST and Fashion-MNIST (28x28 grey images, 10 classes).
///
/// Pixels are scaled to [0, 1]; normalisation by the training set's mean and std is
/// applied by the caller (`Dataset.normalized(by:)`) so it can be kept with the model.
public enum IDXDatasets {
    /// Debian's `dataset-fashion-mnist` installs here.
    public static let defaultFashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// Reads `train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]` and the
    /// `t10k-` pair from `directory`; a missing file's error carries `missingHint`
    /// (how to get the set: `fashionMNISTHint` or `mnistHint(directory:)`).
    public static func load(directory: String, missingHint: String = fashionMNISTHint) throws -> DatasetPair {
        DatasetPair(train: try loadSplit(directory: directory, prefix: "train", missingHint: missingHint),
                    test: try loadSplit(directory: directory, prefix: "t10k", missingHint: missingHint))
    }

    /// How to get Fashion-MNIST.
    public static let fashionMNISTHint =
        "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set data.path to a folder with the IDX files"

    /// How to get MNIST into `directory`: Debian packages no MNIST.
    public static func mnistHint(directory: String) -> String {
        "Debian has no MNIST package: download the four IDX files (\(fileNames.map { "\($0).gz" }.joined(separator: ", ")), "
            + "e.g. from https://ossci-datasets.s3.amazonaws.com/mnist/) into \(directory), or set data.path to the folder holding them"
    }

    /// One split, refused when it holds no images (an empty set would train on
    /// nothing or report 0% accuracy on nothing).
    static func loadSplit(directory: String, prefix: String, missingHint: String = fashionMNISTHint) throws -> Dataset {
        let imagesPath = try locate(directory: directory, name: "\(prefix)-images-idx3-ubyte", hint: missingHint)
        let labelsPath = try locate(directory: directory, name: "\(prefix)-labels-idx1-ubyte", hint: missingHint)
        let (imageDims, pixels) = try IDXReader.read(imagesPath)
        let (labelDims, labelBytes) = try IDXReader.read(labelsPath)
        guard imageDims.count == 3 else {
            throw DataError.malformed(path: imagesPath, reason: "expected 3 dimensions [N, H, W], found \(imageDims)")
        }
        guard imageDims[0] > 0, imageDims[1] > 0, imageDims[2] > 0 else {
            throw DataError.malformed(path: imagesPath, reason: "holds no images (dimensions \(imageDims)); expected at least one")
        }
        guard imageDims[0] <= ResourceLimits.maximumExamples else {
            throw DataError.malformed(path: imagesPath, reason: "\(imageDims[0]) images; Rewind reads at most \(ResourceLimits.maximumExamples)")
        }
        guard labelDims == [imageDims[0]] else {
            throw DataError.malformed(path: labelsPath, reason: "expected \(imageDims[0]) labels, found shape \(labelDims)")
        }
        if labelBytes.contains(where: { $0 >= 10 }) {
            throw DataError.malformed(path: labelsPath, reason: "label outside 0...9")
        }
        let images = Tensor(shape: [imageDims[0], 1, imageDims[1], imageDims[2]])
        let scale: Float = 1 / 255
        for i in 0..<pixels.count { images[i] = Float(pixels[i]) * scale }
        return Dataset(images: images, labels: labelBytes.map { Int32($0) }, classes: 10)
    }

    /// The four files of a set, each plain or gzipped.
    static let fileNames = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]

    /// The error `load(directory:)` would throw for the first file missing from
    /// `directory`, or nil when all four are there.
    public static func missingFile(directory: String, missingHint: String = fashionMNISTHint) -> DataError? {
        for name in fileNames {
            do { _ = try locate(directory: directory, name: name, hint: missingHint) } catch let error as DataError { return error } catch {}
        }
        return nil
    }

    static func locate(directory: String, name: String, hint: String) throws -> String {
        for candidate in ["\(directory)/\(name).gz", "\(directory)/\(name)"]
        where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw DataError.missingFile(path: "\(directory)/\(name).gz", hint: hint)
    }
}
