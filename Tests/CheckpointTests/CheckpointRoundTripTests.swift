@testable import Checkpoint
import Engine
import TestSupport
import XCTest

/// Write, read, compare every field value for value, in both formats.
final class CheckpointRoundTripTests: XCTestCase {
    func testDenseRoundTripKeepsEveryField() throws {
        let directory = TemporaryDirectory()
        let contents = try makeContents(optimizer: "sgd")
        try CheckpointFile.write(contents, to: directory.file("dense.h5"), format: .dense)
        assertEqualContents(contents, try CheckpointFile.read(directory.file("dense.h5")))
        XCTAssertEqual(directory.contents, ["dense.h5"], "no temporary file left")
        XCTAssertEqual(HDF5Library.openObjectCount(), 0, "every HDF5 handle closed")
    }

    func testSparseRoundTripKeepsEveryField() throws {
        let directory = TemporaryDirectory()
        let contents = try makeContents(optimizer: "adam")
        try CheckpointFile.write(contents, to: directory.file("sparse.h5"), format: .sparse)
        assertEqualContents(contents, try CheckpointFile.read(directory.file("sparse.h5")))
        XCTAssertEqual(HDF5Library.openObjectCount(), 0, "every HDF5 handle closed")
    }

    func testOptionalFieldsStayAbsent() throws {
        let directory = TemporaryDirectory()
        let network = try ModelZoo.build(tinyArchitecture)
        network.initialize(seed: 4)
        let contents = CheckpointContents(network: network)
        for format in CheckpointFormat.allCases {
            let path = directory.file("\(format).h5")
            try CheckpointFile.write(contents, to: path, format: format)
            let read = try CheckpointFile.read(path)
            assertEqualContents(contents, read)
            XCTAssertNil(read.optimizer)
            XCTAssertNil(read.schedule)
            XCTAssertNil(read.recipe)
            XCTAssertTrue(read.masks.isEmpty && read.metrics.isEmpty && read.attributes.isEmpty)
        }
    }

    func testSparseLayoutIsCSRWithNarrowestIndexTypes() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("sparse.h5")
        let contents = try makeContents(density: 0.3)
        try CheckpointFile.write(contents, to: path, format: .sparse)
        HDF5Library.prepare()
        let file = try HDF5File.open(at: path, name: path)
        let root = try file.rootGroup()
        XCTAssertEqual(try root.stringAttribute("format"), "rewind.checkpoint")
        XCTAssertEqual(try root.integerAttribute("version"), 1)
        let params = try root.openGroup("params")
        XCTAssertEqual(try params.childKind("fc1.bias"), .dataset)
        XCTAssertEqual(try root.openGroup("masks").childNames(), [], "CSR structure is the mask")
        // fc1 [300, 16]: indices < 16 fit uint8; fc2 [100, 300]: uint16; indptr up to nnz.
        let expected: [(String, [Int], HDF5ElementType)] = [
            ("fc1.weight", [300, 16], .uint8), ("fc2.weight", [100, 300], .uint16), ("fc3.weight", [3, 100], .uint8),
        ]
        for (name, shape, indexType) in expected {
            let group = try params.openGroup(name)
            XCTAssertEqual(try group.stringAttribute("format"), "csr")
            XCTAssertEqual(try group.integerArrayAttribute("shape"), shape)
            let stored = Int(contents.masks[name]!.buffer.reduce(0, +))
            let data = try group.openDataset("data")
            XCTAssertEqual(try data.shape(), [stored], "\(name): one datum per mask one")
            XCTAssertEqual(try data.elementType().type, .float32)
            XCTAssertEqual(try group.openDataset("indices").elementType().type, indexType, name)
            XCTAssertEqual(try group.openDataset("indptr").elementType().type,
                           HDF5ElementType.narrowestUnsigned(holding: stored), name)
            XCTAssertEqual(try group.openDataset("indptr").shape(), [shape[0] + 1])
        }
    }

    /// Weights non-zero where their mask is 0 would make the dense and sparse paths
    /// disagree: neither format writes them (issue 14, item 9; the reader refuses them too).
    func testWritersRefuseWeightsOutsideTheMask() throws {
        let directory = TemporaryDirectory()
        let contents = try makeContents()
        let mask = contents.masks["fc2.weight"]!
        let outside = (0..<mask.count).first { mask[$0] == 0 }!
        contents.parameters["fc2.weight"]![outside] = 0.5
        for format in [CheckpointFormat.sparse, .dense] {
            let error = assertCheckpointError(.invalidMask) {
                try CheckpointFile.write(contents, to: directory.file("s.h5"), format: format)
            }
            XCTAssertEqual(error?.object, "/masks/fc2.weight")
            XCTAssertEqual(error?.message, "1 weights of /params/fc2.weight are non-zero where the mask is 0 "
                           + "(first at flat index \(outside): 0.5); pruned weights must be exactly 0")
            XCTAssertEqual(directory.contents, [], "nothing written")
        }
    }

    func testOverwritingReplacesTheOldCheckpoint() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("c.h5")
        try CheckpointFile.write(try makeContents(seed: 1), to: path)
        let newer = try makeContents(seed: 2)
        try CheckpointFile.write(newer, to: path, format: .sparse)
        assertEqualContents(newer, try CheckpointFile.read(path))
        XCTAssertEqual(directory.contents, ["c.h5"])
    }
}
