import Foundation

/// Loader for CIFAR-10's binary version (Krizhevsky 2009; "CIFAR-10 binary version
/// (suitable for C programs)", `cifar-10-binary.tar.gz`): 32x32 RGB images in 10 classes,
/// 50,000 for training in `data_batch_1.bin` … `data_batch_5.bin` and 10,000 for
/// testing in `test_batch.bin`.
///
/// Each file is a sequence of 3,073-byte records: one label byte (0…9), then 3,072
/// pixel bytes — the red, green and blue planes of 32x32 pixels, each row-major —
/// which is exactly one CHW image. Pixels are scaled to [0, 1]; normalisation is left
/// to the caller (`Dataset.normalized(by:)`), as for the IDX sets.
public enum CIFAR10 {
    /// Where Rewind looks when a recipe gives no `data.path`.
    public static let defaultDirectory = "/usr/share/datasets/cifar-10"
    /// The training files, in the order their records are concatenated.
    public static let trainingFiles = (1...5).map { "data_batch_\($0).bin" }
    public static let testFile = "test_batch.bin"
    /// One image's shape, `[3, 32, 32]`.
    public static let exampleShape = [3, 32, 32]
    /// Bytes per record: 1 label + 3·32·32 pixels.
    public static let recordSize = 1 + 3 * 32 * 32

    /// Reads the training and test sets from `directory` (the extracted
    /// `cifar-10-batches-bin` folder, or a folder that contains it).
    public static func load(directory: String) throws -> DatasetPair {
        if let error = missingFile(directory: directory) { throw error }
        let folder = resolve(directory)
        return DatasetPair(train: try loadFiles(trainingFiles.map { "\(folder)/\($0)" }),
                           test: try loadFiles(["\(folder)/\(testFile)"]))
    }

    /// The error `load(directory:)` throws for the first file missing from `directory`,
    /// or nil when all six are there.
    public static func missingFile(directory: String) -> DataError? {
        let folder = resolve(directory)
        guard let name = (trainingFiles + [testFile]).first(where: { !FileManager.default.fileExists(atPath: "\(folder)/\($0)") })
        else { return nil }
        return .missingFile(path: "\(folder)/\(name)", hint: missingHint(directory: directory))
    }

    /// Reads and concatenates the records of `paths`, in order.
    public static func loadFiles(_ paths: [String]) throws -> Dataset {
        var contents: [Data] = []
        var records = 0
        for path in paths {
            // Bounded before reading: the records become 4-byte Floats.
            if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber {
                records += size.intValue / recordSize
                do { try ResourceLimits.checkElements([records] + exampleShape, what: "the images up to this file") }
                catch let error as ResourceLimitError { throw DataError.malformed(path: path, reason: error.description) }
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DataError.missingFile(path: path, hint: missingHint(directory: (path as NSString).deletingLastPathComponent))
            }
            guard !data.isEmpty, data.count % recordSize == 0 else {
                throw DataError.malformed(path: path, reason: "\(data.count) bytes is not a whole number of \(recordSize)-byte CIFAR-10 records")
            }
            contents.append(data)
        }
        let count = contents.reduce(0) { $0 + $1.count / recordSize }
        let images = Tensor(shape: [count] + exampleShape)
        var labels = [Int32](repeating: 0, count: count)
        let pixels = recordSize - 1, scale: Float = 1 / 255
        var n = 0
        for (path, data) in zip(paths, contents) {
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let bytes = raw.bindMemory(to: UInt8.self)
                for record in 0..<data.count / recordSize {
                    let base = record * recordSize
                    guard bytes[base] < 10 else {
                        throw DataError.malformed(path: path, reason: "record \(record) has label \(bytes[base]), expected 0…9")
                    }
                    labels[n] = Int32(bytes[base])
                    let image = images.pointer + n * pixels
                    for i in 0..<pixels { image[i] = Float(bytes[base + 1 + i]) * scale }
                    n += 1
                }
            }
        }
        return Dataset(images: images, labels: labels, classes: 10)
    }

    /// `directory`, or its `cifar-10-batches-bin` subfolder when the archive was
    /// extracted inside it.
    static func resolve(_ directory: String) -> String {
        let nested = "\(directory)/cifar-10-batches-bin"
        return FileManager.default.fileExists(atPath: "\(nested)/\(testFile)") ? nested : directory
    }

    static func missingHint(directory: String) -> String {
        "CIFAR-10 is not in \(directory): download the binary version (cifar-10-binary.tar.gz from "
            + "https://www.cs.toronto.edu/~kriz/cifar.html), extract it, and set the recipe's data.path to the "
            + "cifar-10-batches-bin folder holding data_batch_1.bin … data_batch_5.bin and test_batch.bin"
    }
}
