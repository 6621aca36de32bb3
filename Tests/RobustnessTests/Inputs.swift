@testable import Checkpoint
import Foundation

/// Generators of the suite's inputs: recipes, IDX files and (mal)formed checkpoints,
/// all written by code.
enum Inputs {
    /// A small valid recipe on synthetic data; cases replace one line of it.
    static func recipe(name: String = "tiny", data: String = "{dataset: synthetic, synthetic: {train: 64, test: 32, classes: 3, side: 4}}",
                       model: String = "lenet-300-100", train: String = "{optimizer: sgd, lr: 0.05, batch_size: 16, epochs: 1, rewind_epoch: 0}",
                       extra: String = "") -> String {
        "name: \(name)\ndata: \(data)\nmodel: \(model)\ntrain: \(train)\n\(extra)"
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// An IDX file of unsigned bytes: magic `0 0 8 rank`, big-endian UInt32
    /// dimensions, then `dataBytes` bytes (default: as many as the dimensions say),
    /// each `value(i)`.
    static func idx(_ dimensions: [UInt32], dataBytes: Int? = nil, value: (Int) -> UInt8 = { UInt8($0 % 10) }) -> Data {
        var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
        for d in dimensions { bytes += [UInt8(d >> 24), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        let count = dataBytes ?? dimensions.reduce(1) { $0 * Int($1) }
        bytes += (0..<count).map(value)
        return Data(bytes)
    }

    /// The four IDX files of an MNIST-like set in `folder`: `train` and `test`
    /// images of `side`x`side` (header dimensions overridable per file).
    static func idxSet(in folder: URL, train: UInt32 = 20, test: UInt32 = 10, side: UInt32 = 28,
                       override: [String: Data] = [:]) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let files = [
            "train-images-idx3-ubyte": idx([train, side, side]), "train-labels-idx1-ubyte": idx([train]),
            "t10k-images-idx3-ubyte": idx([test, side, side]), "t10k-labels-idx1-ubyte": idx([test]),
        ].merging(override) { _, new in new }
        for (name, data) in files { try data.write(to: folder.appendingPathComponent(name)) }
    }

    /// Opens the checkpoint at `url` read-write and runs `change` on its root group.
    static func modifyCheckpoint(_ url: URL, _ change: (HDF5Group) throws -> Void) throws {
        HDF5Library.prepare()
        let file = try HDF5File.open(at: url.path, name: url.path, writable: true)
        try change(file.rootGroup())
        try file.close()
    }

    /// Replaces the root attribute `architecture` of the checkpoint at `url`.
    static func setArchitecture(_ json: String, in url: URL) throws {
        try modifyCheckpoint(url) { try $0.setAttribute("architecture", string: json) }
    }

    /// A `/masks/<name>` dataset of `values` added to the checkpoint at `url`.
    static func addMask(_ name: String, shape: [Int], values: [UInt8], to url: URL) throws {
        try modifyCheckpoint(url) { root in
            let masks = try root.contains("masks") ? try root.openGroup("masks") : try root.createGroup("masks")
            try masks.createDataset(name, shape: shape, values: values, fileType: .uint8)
        }
    }

    /// The checkpoint at `url` with the stored size of its first global-heap object
    /// (a variable-length string attribute) set to 2^44: libhdf5 copies that many
    /// bytes and segfaults (the global heap has no checksum).
    static func corruptGlobalHeap(_ url: URL) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        guard let start = (0..<bytes.count - 4).first(where: { bytes[$0..<$0 + 4].elementsEqual("GCOL".utf8) }) else {
            throw CocoaError(.fileReadCorruptFile)
        }
        // "GCOL", version, 3 reserved, collection size (8); then object 1: index (2),
        // reference count (2), reserved (4), size (8).
        let sizeField = start + 16 + 8
        for (i, byte) in withUnsafeBytes(of: UInt64(1 << 44).littleEndian, Array.init).enumerated() { bytes[sizeField + i] = byte }
        try Data(bytes).write(to: url)
    }

    /// The pid of a process that has just finished (for stale temporaries).
    static func deadPID() throws -> Int32 {
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/sh")
        finished.arguments = ["-c", "exit 0"]
        try finished.run()
        finished.waitUntilExit()
        return finished.processIdentifier
    }
}
