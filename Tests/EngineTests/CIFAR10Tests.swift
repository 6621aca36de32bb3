import Engine
import Foundation
import TestSupport
import XCTest

/// The CIFAR-10 binary loader on small files written here in the same format.
final class CIFAR10Tests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-cifar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Record `n` of file `file`: label `(file + n) % 10`, pixel `i` = `(file·7 + n·3 + i) % 256`.
    private func record(file: Int, index n: Int) -> [UInt8] {
        [UInt8((file + n) % 10)] + (0..<3072).map { UInt8((file * 7 + n * 3 + $0) % 256) }
    }

    private func writeFiles(recordsPerFile: Int, in folder: URL? = nil) throws {
        let folder = folder ?? directory!
        for file in 0..<6 {
            let name = file < 5 ? "data_batch_\(file + 1).bin" : "test_batch.bin"
            let bytes = (0..<recordsPerFile).flatMap { record(file: file, index: $0) }
            try Data(bytes).write(to: folder.appendingPathComponent(name))
        }
    }

    func testLoadsRecordsAsScaledCHWImages() throws {
        try writeFiles(recordsPerFile: 3)
        let pair = try CIFAR10.load(directory: directory.path)
        XCTAssertEqual(pair.train.images.shape, [15, 3, 32, 32])
        XCTAssertEqual(pair.test.images.shape, [3, 3, 32, 32])
        XCTAssertEqual(pair.train.classes, 10)
        // training records are the five files in order
        XCTAssertEqual(pair.train.labels, (0..<15).map { Int32(($0 / 3 + $0 % 3) % 10) })
        XCTAssertEqual(pair.test.labels, [5, 6, 7])
        // image 4 = file 1 (data_batch_2), record 1: red plane first, row-major
        let image = 4 * 3072
        for (c, h, w) in [(0, 0, 0), (0, 0, 31), (1, 5, 7), (2, 31, 31)] {
            let i = c * 1024 + h * 32 + w
            XCTAssertEqual(pair.train.images[image + i], Float((7 + 3 + i) % 256) / 255, "pixel c\(c) h\(h) w\(w)")
        }
        XCTAssertEqual(pair.test.images[0], Float(35 % 256) / 255)
        XCTAssertTrue(pair.train.images.buffer.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    func testFindsTheExtractedSubfolder() throws {
        let nested = directory.appendingPathComponent("cifar-10-batches-bin")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        try writeFiles(recordsPerFile: 1, in: nested)
        XCTAssertEqual(try CIFAR10.load(directory: directory.path).train.count, 5)
    }

    func testMissingFilesSayWhereToPutThem() throws {
        try writeFiles(recordsPerFile: 1)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("data_batch_3.bin"))
        XCTAssertThrowsError(try CIFAR10.load(directory: directory.path)) { error in
            guard case let DataError.missingFile(path, hint) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("data_batch_3.bin"), path)
            XCTAssertTrue(hint.contains("data.path"), hint)
            XCTAssertTrue(hint.contains("cifar-10-binary.tar.gz"), hint)
            XCTAssertTrue("\(error)".contains(self.directory.path))
        }
        XCTAssertThrowsError(try CIFAR10.load(directory: directory.appendingPathComponent("absent").path)) { error in
            guard case DataError.missingFile = error else { return XCTFail("\(error)") }
        }
    }

    func testMalformedFilesAreRejected() throws {
        try writeFiles(recordsPerFile: 2)
        let truncated = directory.appendingPathComponent("test_batch.bin")
        try Data(record(file: 5, index: 0) + [1, 2, 3]).write(to: truncated)
        XCTAssertThrowsError(try CIFAR10.load(directory: directory.path)) { error in
            guard case let DataError.malformed(path, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("test_batch.bin"))
            XCTAssertTrue(reason.contains("3073"), reason)
        }
        var bad = record(file: 5, index: 0)
        bad[0] = 10
        try Data(bad).write(to: truncated)
        XCTAssertThrowsError(try CIFAR10.load(directory: directory.path)) { error in
            guard case let DataError.malformed(_, reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("label 10"), reason)
        }
    }
}
