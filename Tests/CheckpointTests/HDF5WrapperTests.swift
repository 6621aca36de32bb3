@testable import Checkpoint
import Engine
import Foundation
import XCTest

/// The thin HDF5 layer: one generic dataset writer for every element type,
/// attributes of every kind, listing, errors that name the object, no leaked handles.
final class HDF5WrapperTests: XCTestCase {
    private var file: HDF5File!
    private var root: HDF5Group!

    override func setUpWithError() throws {
        HDF5Library.prepare()
        file = try HDF5File.createInMemory(identifier: "wrapper-test-\(name)", name: "mem.h5")
        root = try file.rootGroup()
    }

    override func tearDownWithError() throws {
        root = nil
        try file.close()
        file = nil
        XCTAssertEqual(HDF5Library.openObjectCount(), 0, "every HDF5 handle closed")
    }

    func testEveryElementTypeRoundTripsThroughTheGenericWriter() throws {
        let integers = [0, 1, 2, 127]
        for type in [HDF5ElementType.int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64] {
            let dataset = try root.createDataset("\(type)", shape: [2, 2], values: integers, fileType: type)
            XCTAssertEqual(try dataset.elementType().type, type)
            XCTAssertEqual(try dataset.shape(), [2, 2])
            XCTAssertEqual(try root.openDataset("\(type)").read(as: Int.self), integers, "\(type)")
        }
        let floats: [Float] = [0.5, -1.25, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        try root.createDataset("f32", shape: [4], values: floats)
        XCTAssertEqual(try root.openDataset("f32").read(as: Float.self), floats)
        try root.createDataset("f64", shape: [1], values: [Double.pi])
        XCTAssertEqual(try root.openDataset("f64").elementType().type, .float64)
        XCTAssertEqual(try root.openDataset("f64").read(as: Double.self), [Double.pi])
        try root.createDataset("empty", shape: [0], values: [Float]())
        XCTAssertEqual(try root.openDataset("empty").read(as: Float.self), [])
    }

    func testNarrowestUnsignedType() {
        let cases: [(Int, HDF5ElementType)] = [(0, .uint8), (255, .uint8), (256, .uint16), (65_535, .uint16),
                                                (65_536, .uint32), (4_294_967_295, .uint32), (4_294_967_296, .uint64)]
        for (maximum, type) in cases {
            XCTAssertEqual(HDF5ElementType.narrowestUnsigned(holding: maximum), type, "\(maximum)")
        }
    }

    func testCompressedLayoutIsChunkedAndSmallerForRedundantData() throws {
        let zeros = [Float](repeating: 0, count: 10_000)
        let plain = try root.createDataset("plain", shape: [100, 100], values: zeros, layout: .contiguous)
        let packed = try root.createDataset("packed", shape: [100, 100], values: zeros, layout: .compressed(level: 6))
        XCTAssertEqual(plain.storageSize(), 40_000)
        XCTAssertLessThan(packed.storageSize(), 400)
        XCTAssertEqual(try packed.read(as: Float.self), zeros)
        XCTAssertEqual(HDF5DatasetLayout.chunkShape(for: [1000, 784], elementSize: 4), [334, 784], "1 MiB chunks")
        XCTAssertEqual(HDF5DatasetLayout.chunkShape(for: [300, 784], elementSize: 1), [300, 784])
    }

    func testAttributesOfEveryKind() throws {
        try root.setAttribute("text", string: "Grüße ✓")
        try root.setAttribute("count", scalar: Int64(-3))
        try root.setAttribute("seed", scalar: UInt64.max)
        try root.setAttribute("loss", scalar: 0.125)
        try root.setAttribute("shape", array: [Int64(3), 4, 5])
        XCTAssertEqual(try root.attributeNames(), ["count", "loss", "seed", "shape", "text"])
        XCTAssertEqual(try root.stringAttribute("text"), "Grüße ✓")
        XCTAssertEqual(try root.integerAttribute("count"), -3)
        XCTAssertEqual(try root.unsignedAttribute("seed"), UInt64.max)
        XCTAssertEqual(try root.doubleAttribute("loss"), 0.125)
        XCTAssertEqual(try root.doubleAttribute("count"), -3, "integers are numbers")
        XCTAssertEqual(try root.integerArrayAttribute("shape"), [3, 4, 5])
        try root.setAttribute("text", string: "replaced")
        XCTAssertEqual(try root.stringAttribute("text"), "replaced")
        try root.removeAttribute("text")
        XCTAssertFalse(try root.hasAttribute("text"))

        let group = try root.createGroup("params")
        try group.setAttribute("shape", string: "[3, 4]")
        XCTAssertThrowsError(try group.integerArrayAttribute("shape")) { error in
            XCTAssertEqual("\(error)", "mem.h5: /params: attribute 'shape' is a string, expected an array of integers")
        }
        XCTAssertThrowsError(try root.unsignedAttribute("count")) { error in
            XCTAssertEqual("\(error)", "mem.h5: attribute 'count' is an integer, expected a non-negative integer")
        }
        XCTAssertThrowsError(try root.stringAttribute("absent")) { error in
            XCTAssertEqual((error as? CheckpointError)?.kind, .missing)
            XCTAssertEqual("\(error)", "mem.h5: attribute 'absent' is missing")
        }
    }

    func testGroupsListAndTellChildrenApart() throws {
        let params = try root.createGroup("params")
        try params.createDataset("fc1.weight", shape: [2], values: [Float(1), 2])
        _ = try params.createGroup("fc2.weight")
        XCTAssertEqual(try params.childNames(), ["fc1.weight", "fc2.weight"])
        XCTAssertEqual(try params.childKind("fc1.weight"), .dataset)
        XCTAssertEqual(try params.childKind("fc2.weight"), .group)
        XCTAssertNil(try params.childKind("fc3.weight"))
        XCTAssertThrowsError(try params.openDataset("fc2.weight")) { error in
            XCTAssertEqual("\(error)", "mem.h5: /params/fc2.weight: is not a dataset")
        }
        XCTAssertThrowsError(try root.openGroup("masks")) { error in
            XCTAssertEqual("\(error)", "mem.h5: /masks: group is missing")
        }
        try params.removeChild("fc1.weight")
        XCTAssertEqual(try params.childNames(), ["fc2.weight"])
    }

    func testHDF5FailuresNameTheObjectAndHDF5sReason() throws {
        try root.createDataset("x", shape: [1], values: [Float(1)])
        XCTAssertThrowsError(try root.createDataset("x", shape: [1], values: [Float(2)])) { error in
            let failure = error as? CheckpointError
            XCTAssertEqual(failure?.kind, .hdf5)
            XCTAssertEqual(failure?.object, "/x")
            XCTAssertTrue(failure?.message.hasPrefix("cannot create dataset (HDF5: ") == true, "\(error)")
        }
    }

    func testErrorReasonsAreOneLine() {
        let driverError = "file write failed: time = Mon Nov 23 16:33:40 2026\n, filename = 'x.tmp', file descriptor = 23, "
            + "errno = 27, error message = 'File too large', buf = 0x55, total write size = 99840"
        XCTAssertEqual(HDF5Library.oneLine(driverError), "file write failed: File too large")
        XCTAssertEqual(HDF5Library.oneLine("a\nb"), "a b")
    }

    func testSuperblockChecksumIsJenkinsLookup3() {
        // Test vectors from lookup3.c's driver (hashlittle).
        XCTAssertEqual(HDF5SuperblockChecksum.lookup3([][...]), 0xdead_beef)
        let text = Array("Four score and seven years ago".utf8)
        XCTAssertEqual(HDF5SuperblockChecksum.lookup3(text[...], initial: 0), 0x1777_0551)
        XCTAssertEqual(HDF5SuperblockChecksum.lookup3(text[...], initial: 1), 0xcd62_8161)
    }

    func testFileImageOpensAfterTheChecksumRepair() throws {
        try root.createDataset("x", shape: [3], values: [Float(1), 2, 3])
        var image = try file.image()  // repaired and verified inside
        XCTAssertEqual(Array(image.prefix(8)), [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], "HDF5 signature")
        XCTAssertEqual(image[8], 3, "superblock version 3 (HDF5 1.10 format)")
        let repaired = image
        HDF5SuperblockChecksum.repair(&image)
        XCTAssertEqual(image, repaired, "repairing twice changes nothing")
    }
}
