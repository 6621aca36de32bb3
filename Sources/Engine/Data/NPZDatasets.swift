import Foundation

/// A labelled image set from a NumPy `.npz` archive (`np.savez`/`np.savez_compressed`)
/// holding `x_train`, `y_train`, `x_test`, `y_test`:
///
/// - `x_*`: uint8 (pixels, scaled by 1/255 to [0, 1], as the IDX sets) or float32 (used
///   as they are), shaped `[N, D]` (read as `[N, 1, 1, D]`) or `[N, C, H, W]`;
///   both splits the same example shape;
/// - `y_*`: integers in `0 ..< classes`, shaped `[N]`; `classes` is the largest
///   label + 1 (at least 2).
public enum NPZDatasets {
    public static let arrayNames = ["x_train", "y_train", "x_test", "y_test"]

    /// Both splits of the archive at `path`.
    public static func load(path: String) throws -> DatasetPair {
        let archive = try ZipArchive(path: path)
        var arrays: [String: NPYArray] = [:]
        for name in arrayNames {
            guard let data = try archive.member("\(name).npy") else {
                throw DataError.malformed(path: path, reason: "no array '\(name)' (has \(archive.names.map { $0.replacingOccurrences(of: ".npy", with: "") }.joined(separator: ", "))); expected x_train, y_train, x_test, y_test")
            }
            arrays[name] = try NPYArray(data, name: "\(path): \(name)")
        }
        func fail(_ name: String, _ why: String) -> DataError { .malformed(path: path, reason: "array '\(name)' \(why)") }
        var labels: [String: [Int32]] = [:]
        var largest = 1
        for split in ["train", "test"] {
            let name = "y_\(split)", y = arrays[name]!
            guard y.type.isInteger else { throw fail(name, "has dtype \(y.type); expected integer labels") }
            guard y.shape.count == 1 else { throw fail(name, "has shape \(y.shape); expected [N]") }
            var values: [Int32] = []
            values.reserveCapacity(y.count)
            for i in 0..<y.count {
                let label = y.element(i)
                guard label >= 0, label < 65_536 else { throw fail(name, "holds label \(Int(label)) at index \(i); expected 0 ... 65535") }
                values.append(Int32(label))
                largest = max(largest, Int(label))
            }
            labels[split] = values
        }
        let classes = largest + 1
        let train = try images(arrays["x_train"]!, name: "x_train", labels: labels["train"]!, classes: classes, fail: fail)
        let test = try images(arrays["x_test"]!, name: "x_test", labels: labels["test"]!, classes: classes, fail: fail)
        guard train.exampleShape == test.exampleShape else {
            throw fail("x_test", "has examples of shape \(test.exampleShape); x_train's are \(train.exampleShape)")
        }
        return DatasetPair(train: train, test: test)
    }

    private static func images(_ x: NPYArray, name: String, labels: [Int32], classes: Int,
                               fail: (String, String) -> DataError) throws -> Dataset {
        guard x.type == .uint8 || x.type == .float32 else { throw fail(name, "has dtype \(x.type); expected uint8 or float32") }
        let shape: [Int]
        switch x.shape.count {
        case 2: shape = [x.shape[0], 1, 1, x.shape[1]]
        case 4: shape = x.shape
        default: throw fail(name, "has shape \(x.shape); expected [N, D] or [N, C, H, W]")
        }
        guard shape[0] == labels.count else { throw fail(name, "has \(shape[0]) examples but its labels \(labels.count)") }
        guard shape.dropFirst().allSatisfy({ $0 > 0 }) else { throw fail(name, "has an empty example shape \(Array(shape.dropFirst()))") }
        let tensor = Tensor(shape: shape)
        x.bytes.withUnsafeBytes { raw in
            if x.type == .uint8 {
                for i in 0..<tensor.count { tensor[i] = Float(raw[i]) / 255 }
            } else {
                for i in 0..<tensor.count { tensor[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            }
        }
        guard tensor.isFinite else { throw fail(name, "holds NaN or infinite values") }
        return Dataset(images: tensor, labels: labels, classes: classes)
    }
}
