@testable import Checkpoint
import Engine
import Foundation
import TestSupport
import XCTest

/// Each malformed file gives its own one-line error naming the file and the object.
final class CheckpointValidationTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var path: String { directory.file("checkpoint.h5") }

    override func setUpWithError() throws {
        directory = TemporaryDirectory()
        try CheckpointFile.write(try makeContents(), to: path, format: .dense)
    }

    override func tearDown() {
        XCTAssertEqual(HDF5Library.openObjectCount(), 0, "every HDF5 handle closed, also on error paths")
        directory = nil
    }

    /// Replaces dataset `name` of group `group` with `values` of `shape`.
    private func replaceDataset<T: HDF5Element>(_ group: String, _ name: String, shape: [Int], values: [T],
                                                as type: HDF5ElementType = T.defaultFileType) throws {
        try modifyCheckpoint(path) { root in
            let parent = try root.openGroup(group)
            try parent.removeChild(name)
            try parent.createDataset(name, shape: shape, values: values, fileType: type)
        }
    }

    // MARK: The file

    func testMissingFile() {
        let error = assertCheckpointError(.fileNotFound) { _ = try CheckpointFile.read(directory.file("nope.h5")) }
        XCTAssertEqual(error?.description, "\(directory.file("nope.h5")): no such file")
    }

    func testNotAnHDF5File() throws {
        let text = directory.file("notes.h5")
        try "fc1.weight: 0.1, 0.2\n".write(toFile: text, atomically: false, encoding: .utf8)
        let error = assertCheckpointError(.notHDF5) { _ = try CheckpointFile.read(text) }
        XCTAssertEqual(error?.description, "\(text): not an HDF5 file (no HDF5 signature)")
    }

    func testTruncatedFile() throws {
        let bytes = try fileBytes(path)
        for length in [bytes.count / 2, bytes.count - 1, 4096] {
            try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
            let error = assertCheckpointError(.truncated) { _ = try CheckpointFile.read(path) }
            XCTAssertEqual(error?.description, "\(path): the file is truncated: \(length) of \(bytes.count) bytes "
                           + "(an interrupted write or copy?)")
        }
    }

    /// Cut inside the superblock, HDF5 cannot learn the file's length: a checksum fails.
    func testFileCutInsideTheSuperblockIsCorrupt() throws {
        try fileBytes(path).prefix(20).write(to: URL(fileURLWithPath: path))
        let error = assertCheckpointError(.corrupt) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): HDF5 signature present but the file cannot be opened: "
                       + "cannot open the file (HDF5: incorrect metadata checksum after all read attempts)")
    }

    // MARK: Format and version

    func testWrongFormatTag() throws {
        try modifyCheckpoint(path) { try $0.setAttribute("format", string: "keras.weights") }
        let error = assertCheckpointError(.wrongFormat) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description,
                       "\(path): format is 'keras.weights', expected 'rewind.checkpoint': not a Rewind checkpoint")
    }

    func testHDF5FileWithoutFormatTag() throws {
        let other = directory.file("other.h5")
        HDF5Library.prepare()
        let file = try HDF5File.createInMemory(identifier: other, name: other)
        try file.rootGroup().createDataset("x", shape: [2], values: [Float(1), 2])
        try Data(file.image()).write(to: URL(fileURLWithPath: other))
        try file.close()
        let error = assertCheckpointError(.wrongFormat) { _ = try CheckpointFile.read(other) }
        XCTAssertTrue(error?.message.contains("not a Rewind checkpoint") == true)
    }

    func testNewerVersion() throws {
        try modifyCheckpoint(path) { try $0.setAttribute("version", scalar: Int64(2)) }
        let error = assertCheckpointError(.unsupportedVersion) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description,
                       "\(path): checkpoint version 2 is newer than this Rewind reads (version 1); upgrade Rewind")
    }

    func testUnknownVersion() throws {
        try modifyCheckpoint(path) { try $0.setAttribute("version", scalar: Int64(0)) }
        let error = assertCheckpointError(.unsupportedVersion) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): unknown checkpoint version 0; this Rewind reads version 1")
    }

    // MARK: Missing and unexpected objects

    func testMissingDataset() throws {
        try modifyCheckpoint(path) { try $0.openGroup("params").removeChild("fc2.bias") }
        let error = assertCheckpointError(.missing) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /params/fc2.bias: parameter is missing (lenet-300-100 has it)")
    }

    func testMissingAttribute() throws {
        try modifyCheckpoint(path) { try $0.removeAttribute("step") }
        let error = assertCheckpointError(.missing) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): missing root attribute 'step' (schema v1 requires architecture, normalization, step, epoch, seed)")
    }

    /// Every missing root attribute is reported at once (issue 13, item 11).
    func testMissingAttributesAreReportedTogether() throws {
        try modifyCheckpoint(path) { try $0.removeAttribute("seed"); try $0.removeAttribute("normalization") }
        let error = assertCheckpointError(.missing) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): missing root attributes 'normalization', 'seed' (schema v1 requires architecture, normalization, step, epoch, seed)")
    }

    func testMissingOptimizerAttribute() throws {
        try modifyCheckpoint(path) { try $0.openGroup("optimizer").removeAttribute("step_count") }
        let error = assertCheckpointError(.missing) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /optimizer: attribute 'step_count' is missing")
    }

    func testUnknownExtraParameter() throws {
        try modifyCheckpoint(path) { try $0.openGroup("params").createDataset("fc4.weight", shape: [2], values: [Float(0), 1]) }
        let error = assertCheckpointError(.unexpected) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.object, "/params/fc4.weight")
        XCTAssertTrue(error?.message.hasPrefix("is not a parameter of lenet-300-100") == true, "\(String(describing: error))")
    }

    func testUnknownRootGroup() throws {
        try modifyCheckpoint(path) { _ = try $0.createGroup("extras") }
        let error = assertCheckpointError(.unexpected) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.object, "/extras")
    }

    func testNonStringFreeFormAttribute() throws {
        try modifyCheckpoint(path) { try $0.setAttribute("level", scalar: Int64(3)) }
        let error = assertCheckpointError(.typeMismatch) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): attribute 'level' is an integer, expected a string")
    }

    // MARK: Shapes and types

    func testShapeNotMatchingTheArchitecture() throws {
        try replaceDataset("params", "fc1.weight", shape: [300, 15], values: [Float](repeating: 0, count: 4500))
        let error = assertCheckpointError(.shapeMismatch) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description,
                       "\(path): /params/fc1.weight: shape [300, 15] does not match the architecture's [300, 16]")
    }

    func testFloat64Parameter() throws {
        try replaceDataset("params", "fc3.bias", shape: [3], values: [Double](repeating: 0.5, count: 3))
        let error = assertCheckpointError(.typeMismatch) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /params/fc3.bias: dtype float64, expected float32")
    }

    func testMaskNotUInt8() throws {
        try replaceDataset("masks", "fc3.weight", shape: [3, 100], values: [Int](repeating: 1, count: 300), as: .uint16)
        let error = assertCheckpointError(.typeMismatch) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /masks/fc3.weight: dtype uint16, expected uint8")
    }

    func testArchitectureOfUnknownModel() throws {
        try modifyCheckpoint(path) {
            try $0.setAttribute("architecture", string: #"{"model":"vgg-19","inputShape":[3,32,32],"classes":10,"dropout":0}"#)
        }
        let error = assertCheckpointError(.invalidValue) { _ = try CheckpointFile.read(path) }
        XCTAssertTrue(error?.message.contains("unknown model 'vgg-19'") == true, "\(String(describing: error))")
    }

    /// Optional architecture fields default; a bad field is one line naming it (issue 13, item 11).
    func testArchitectureWithoutDropoutDefaultsAndBadFieldsAreOneLine() throws {
        try modifyCheckpoint(path) {
            try $0.setAttribute("architecture", string: #"{"model":"lenet-300-100","inputShape":[1,4,4],"classes":3}"#)
        }
        XCTAssertEqual(try CheckpointFile.read(path).architecture.dropout, 0)
        let cases = [
            (#"{"inputShape":[1,4,4],"classes":3}"#, "is not valid Architecture JSON: field 'model' is missing"),
            (#"{"model":"lenet-300-100","classes":"three"}"#, "is not valid Architecture JSON: field 'classes': expected Int"),
            (#"{"model":"lenet-300-100","inputShape":[1,"x",4]}"#, "is not valid Architecture JSON: field 'inputShape[1]': expected Int"),
            ("{model", "is not valid Architecture JSON: not JSON"),
        ]
        for (json, message) in cases {
            try modifyCheckpoint(path) { try $0.setAttribute("architecture", string: json) }
            let error = assertCheckpointError(.invalidValue) { _ = try CheckpointFile.read(path) }
            XCTAssertEqual(error?.description, "\(path): attribute 'architecture' \(message)", json)
        }
    }

    // MARK: Masks and their parameters (issue 14, item 9)

    func testMaskForABiasIsRefused() throws {
        try modifyCheckpoint(path) {
            try $0.openGroup("masks").createDataset("fc3.bias", shape: [3], values: [UInt8(1), 0, 1])
        }
        let error = assertCheckpointError(.unexpected) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /masks/fc3.bias: masks /params/fc3.bias, which is not prunable in "
                       + "lenet-300-100 (prunable: fc1.weight, fc2.weight, fc3.weight)")
    }

    func testWeightsOutsideTheirMaskAreRefused() throws {
        let contents = try CheckpointFile.read(path)
        var weights = contents.parameters["fc3.weight"]!.values
        let mask = contents.masks["fc3.weight"]!
        let pruned = (0..<mask.count).filter { mask[$0] == 0 }
        XCTAssertGreaterThan(pruned.count, 2)
        for i in pruned.prefix(2) { weights[i] = 0.125 }
        try replaceDataset("params", "fc3.weight", shape: [3, 100], values: weights)
        let error = assertCheckpointError(.invalidMask) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /masks/fc3.weight: 2 weights of /params/fc3.weight are non-zero where the "
                       + "mask is 0 (first at flat index \(pruned[0]): 0.125); pruned weights must be exactly 0")
    }

    // MARK: Values

    func testNaNInParameters() throws {
        var values = [Float](repeating: 0.25, count: 300)
        values[7] = .nan
        values[9] = .infinity
        try replaceDataset("params", "fc1.bias", shape: [300], values: values)
        let error = assertCheckpointError(.nonFinite) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /params/fc1.bias: 2 non-finite values (first at flat index 7: nan)")
    }

    func testInfinityInOptimizerState() throws {
        try modifyCheckpoint(path) { root in
            let slot = try root.openGroup("optimizer").openGroup("momentum")
            try slot.removeChild("fc3.bias")
            try slot.createDataset("fc3.bias", shape: [3], values: [Float(0), -.infinity, 0])
        }
        let error = assertCheckpointError(.nonFinite) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.object, "/optimizer/momentum/fc3.bias")
    }

    func testMaskValueOtherThanZeroOrOne() throws {
        var values = [UInt8](repeating: 1, count: 300)
        values[42] = 2
        try replaceDataset("masks", "fc3.weight", shape: [3, 100], values: values)
        let error = assertCheckpointError(.invalidMask) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description,
                       "\(path): /masks/fc3.weight: value 2.0 at flat index 42; masks hold only 0 and 1")
    }

    // MARK: CSR

    /// Writes the sparse form, then replaces dataset `name` of the fc3.weight CSR group.
    private func corruptCSR(_ name: String, _ change: ([Int]) -> [Int]) throws {
        try CheckpointFile.write(try makeContents(), to: path, format: .sparse)
        try modifyCheckpoint(path) { root in
            let group = try root.openGroup("params").openGroup("fc3.weight")
            let values = change(try group.openDataset(name).read(as: Int.self))
            try group.removeChild(name)
            try group.createDataset(name, shape: [values.count], values: values, fileType: .uint32)
        }
    }

    func testCSRIndptrNotMonotone() throws {
        try corruptCSR("indptr") { indptr in
            var changed = indptr
            changed[2] = indptr[1] - 1  // row 1 ends before it starts
            return changed
        }
        let error = assertCheckpointError(.invalidCSR) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /params/fc3.weight: invalid CSR matrix: row offsets decrease at row 1")
    }

    func testCSRIndexOutOfRange() throws {
        try corruptCSR("indices") { indices in
            var changed = indices
            changed[changed.count - 1] = 100
            return changed
        }
        let error = assertCheckpointError(.invalidCSR) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description, "\(path): /params/fc3.weight: invalid CSR matrix: row 2: column index 100 "
                       + "out of range or out of order")
    }

    func testCSRShapeAttributeNotMatchingTheArchitecture() throws {
        try CheckpointFile.write(try makeContents(), to: path, format: .sparse)
        try modifyCheckpoint(path) {
            try $0.openGroup("params").openGroup("fc2.weight").setAttribute("shape", array: [Int64(100), 299])
        }
        let error = assertCheckpointError(.shapeMismatch) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.description,
                       "\(path): /params/fc2.weight: shape [100, 299] does not match the architecture's [100, 300]")
    }

    func testCSRMaskStoredTwice() throws {
        try CheckpointFile.write(try makeContents(), to: path, format: .sparse)
        try modifyCheckpoint(path) {
            try $0.openGroup("masks").createDataset("fc3.weight", shape: [3, 100], values: [UInt8](repeating: 1, count: 300))
        }
        let error = assertCheckpointError(.unexpected) { _ = try CheckpointFile.read(path) }
        XCTAssertEqual(error?.object, "/masks/fc3.weight")
    }

    // MARK: Writing refuses what reading would refuse

    func testWriterRefusesInvalidContentsAndLeavesNoFile() throws {
        let contents = try makeContents()
        contents.parameters["fc2.weight"]![3] = .nan
        let target = directory.file("new.h5")
        let error = assertCheckpointError(.nonFinite) { try CheckpointFile.write(contents, to: target) }
        XCTAssertEqual(error?.object, "/params/fc2.weight")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))

        var reserved = try makeContents()
        reserved.attributes["version"] = "2"
        assertCheckpointError(.invalidValue) { try CheckpointFile.write(reserved, to: target) }

        var wrongShape = try makeContents()
        wrongShape.masks["fc1.weight"] = Tensor(shape: [16, 300], repeating: 1)
        let shapeError = assertCheckpointError(.shapeMismatch) { try CheckpointFile.write(wrongShape, to: target) }
        XCTAssertEqual(shapeError?.object, "/masks/fc1.weight")
        XCTAssertEqual(directory.contents, ["checkpoint.h5"])
    }
}
