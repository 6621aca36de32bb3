import Engine
import Foundation
import XCTest

/// `data: {npz: file}`: NumPy archives written by numpy itself (stored and deflated
/// members), and one-line errors for wrong keys, dtypes, shapes and labels.
final class NPZDatasetTests: XCTestCase {
    struct Written: Decodable { let written: Int }

    func archives() throws -> URL {
        try PythonTool.require(["numpy"])
        let folder = try PythonTool.temporaryFolder(for: self)
        XCTAssertEqual(try PythonTool.json(Written.self, script: "make_npz.py", [folder.path]).written, 8)
        return folder
    }

    func testCompressedUInt8ImagesAndStoredFloatFeatures() throws {
        let folder = try archives()
        let images = try NPZDatasets.load(path: folder.appendingPathComponent("good-compressed.npz").path)
        XCTAssertEqual(images.train.images.shape, [6, 1, 2, 3])
        XCTAssertEqual(images.train.images[35], 35 / 255, accuracy: 1e-7)
        XCTAssertEqual(images.train.labels, [0, 1, 2, 0, 1, 4])
        XCTAssertEqual(images.train.classes, 5)
        XCTAssertEqual(images.test.count, 2)
        let features = try NPZDatasets.load(path: folder.appendingPathComponent("good-stored.npz").path)
        XCTAssertEqual(features.train.images.shape, [4, 1, 1, 5], "[N, D] is read as [N, 1, 1, D]")
        XCTAssertEqual(features.train.images.values, (0..<20).map { Float($0) / 10 })
        XCTAssertEqual(features.test.labels, [1, 0, 1, 0])
        XCTAssertEqual(features.train.classes, 2)
    }

    func testBadArchivesGiveOneLineErrors() throws {
        let folder = try archives()
        let expectations = [
            "missing-key.npz": "no array 'x_test' (has x_train, y_train, y_test); expected x_train, y_train, x_test, y_test",
            "float64.npz": "array 'x_train' has dtype float64; expected uint8 or float32",
            "negative-label.npz": "array 'y_train' holds label -1 at index 1; expected 0 ... 65535",
            "count-mismatch.npz": "array 'x_train' has 3 examples but its labels 2",
            "fortran.npz": "fortran_order is True; expected C order",
            "truncated.npz": "no end of central directory record",
        ]
        for (name, expected) in expectations {
            let path = folder.appendingPathComponent(name).path
            XCTAssertThrowsError(try NPZDatasets.load(path: path), name) { error in
                let line = "\(error)"
                XCTAssertTrue(line.hasPrefix(path), "names the file: \(line)")
                XCTAssertTrue(line.contains(expected), "\(name): \(line)")
                XCTAssertFalse(line.contains("\n"), line)
            }
        }
    }

    func testDataSettingsReadTheArchive() throws {
        let folder = try archives()
        var settings = DataSettings(dataset: .npz)
        settings.path = folder.appendingPathComponent("good-compressed.npz").path
        XCTAssertNil(settings.missingFile)
        XCTAssertEqual(settings.exampleShape, [1, 2, 3])
        XCTAssertEqual(settings.classes, 5)
        XCTAssertEqual(try settings.loadRaw().train.count, 6)
        settings.path = folder.appendingPathComponent("float64.npz").path
        XCTAssertNotNil(settings.missingFile, "a malformed archive is reported before training")
    }
}
