@testable import Engine
import Foundation
import XCTest

/// Sizes and shapes that come from input are checked before anything is allocated
/// or run (issue 14, items 1-3).
final class InputValidationTests: XCTestCase {
    func testElementCountIsOverflowChecked() throws {
        XCTAssertEqual(ResourceLimits.elementCount(of: [3, 4, 5]), 60)
        XCTAssertEqual(ResourceLimits.elementCount(of: []), 1)
        XCTAssertNil(ResourceLimits.elementCount(of: [1 << 32, 1 << 32]))
        XCTAssertNil(ResourceLimits.elementCount(of: [4, -1]))
        XCTAssertEqual(try ResourceLimits.checkElements([2, 3], what: "x"), 6)
        XCTAssertThrowsError(try ResourceLimits.checkElements([ResourceLimits.maximumElements + 1], what: "fc1.weight")) { error in
            XCTAssertTrue("\(error)".hasPrefix("fc1.weight of shape [\(ResourceLimits.maximumElements + 1)] needs "), "\(error)")
            XCTAssertTrue("\(error)".contains("more than the memory budget of"), "\(error)")
        }
        XCTAssertLessThanOrEqual(ResourceLimits.memoryBudget, Int(ProcessInfo.processInfo.physicalMemory) / 2 + 1)
    }

    func testNetworkRecordsEveryLayersExampleShape() throws {
        let network = try ModelZoo.build(Architecture(model: LeNet5.name))
        XCTAssertEqual(network.exampleShapes, [[1, 28, 28], [6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10],
                                               [16, 5, 5], [400], [120], [120], [84], [84], [10]])
    }

    /// Each model on an input it cannot take: the error names the layer and the shape.
    func testBuildingNamesTheLayerThatCannotTakeItsInput() {
        let cases: [(Architecture, String)] = [
            (Architecture(model: LeNet5.name, inputShape: [1, 2, 2], classes: 3),
             "layer conv2 cannot take input [6, 1, 1]: a 5x5 kernel does not fit a 1x1 input"),
            (Architecture(model: LeNet5.name, inputShape: [1, 8, 8], classes: 3),
             "layer conv2 cannot take input [6, 4, 4]: a 5x5 kernel does not fit a 4x4 input"),
            (Architecture(model: "conv-2", inputShape: [1, 1, 1], classes: 3),
             "layer MaxPool2D (layer 5) cannot take input [64, 1, 1]: a 2x2 window does not fit a 1x1 input"),
            (Architecture(model: "conv-6", inputShape: [3, 4, 4], classes: 10),
             "layer MaxPool2D (layer 15) cannot take input [256, 1, 1]: a 2x2 window does not fit a 1x1 input"),
        ]
        for (architecture, message) in cases {
            XCTAssertThrowsError(try ModelZoo.build(architecture)) { XCTAssertEqual("\($0)", message) }
        }
    }

    func testSizesFromInputAreBoundedBeforeAllocating() {
        var cases: [(Architecture, String)] = [
            (Architecture(model: LeNet300100.name, inputShape: [1, 1_000_000, 1_000_000]), "the input of shape [1, 1000000, 1000000] needs"),
            (Architecture(model: LeNet300100.name, inputShape: [1, 1 << 40, 1 << 40]), "the input of shape [1, 1099511627776, 1099511627776] has no representable size"),
            (Architecture(model: LeNet300100.name, inputShape: [1, 28, 28], classes: 1 << 40), "the class count of shape [1099511627776] needs"),
            (Architecture(model: LeNet300100.name, inputShape: [1, 20_000, 20_000], classes: 10), "fc1.weight of shape [300, 1, 20000, 20000] needs"),
        ]
        // Input channels that fit the budget, but not conv1's 16·C·3·3 weights.
        let channels = ResourceLimits.maximumElements / 16 + 1
        cases.append((Architecture(model: "resnet-20", inputShape: [channels, 1, 1], classes: 10), "conv1.weight of shape [16, \(channels), 3, 3] needs"))
        for (architecture, start) in cases {
            XCTAssertThrowsError(try ModelZoo.build(architecture)) { XCTAssertTrue("\($0)".hasPrefix(start), "\($0)") }
        }
    }

    func testDataMustHaveTheNetworksInputShape() throws {
        let network = try ModelZoo.build(Architecture(model: LeNet300100.name, inputShape: [1, 4, 4], classes: 3))
        XCTAssertNoThrow(try network.checkInput(exampleShape: [1, 4, 4], batchSize: 60, source: "data"))
        XCTAssertThrowsError(try network.checkInput(exampleShape: [1, 28, 28], batchSize: 60, source: "/data/fashion")) {
            XCTAssertEqual("\($0)", "/data/fashion: examples of shape [1, 28, 28], but this lenet-300-100 takes [1, 4, 4]")
        }
        XCTAssertThrowsError(try network.checkInput(exampleShape: [1, 4, 4], batchSize: ResourceLimits.maximumElements, source: "data")) {
            XCTAssertTrue("\($0)".hasPrefix("data: a batch of \(ResourceLimits.maximumElements)'s largest activation of shape"), "\($0)")
        }
    }

    func testBatchNormalisedPlanesNeedTwoValuesPerBatch() throws {
        let network = try ModelZoo.build(Architecture(model: "resnet-20", inputShape: [3, 4, 4], classes: 3))
        XCTAssertNoThrow(try network.checkTrainingBatches(examples: 64, batchSize: 8, source: "data"))
        XCTAssertThrowsError(try network.checkTrainingBatches(examples: 65, batchSize: 8, source: "data")) {
            XCTAssertEqual("\($0)", "layer layer3.0 cannot take input [32, 2, 2]: batch normalisation of 1x1 planes needs batches of at "
                           + "least 2 examples, but data's 65 training examples in batches of 8 leave a last batch of 1")
        }
        let wide = try ModelZoo.build(Architecture(model: "resnet-20", inputShape: [3, 8, 8], classes: 3))
        XCTAssertNoThrow(try wide.checkTrainingBatches(examples: 65, batchSize: 8, source: "data"), "2x2 planes: 4 values from one example")
    }

    // MARK: IDX files

    private func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    private func idx(_ dimensions: [UInt32], data: Int) -> Data {
        var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
        for d in dimensions { bytes += [UInt8(d >> 24), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return Data(bytes + [UInt8](repeating: 1, count: data))
    }

    func testIDXHeaderIsBoundedByTheFilesSize() throws {
        let file = try temporaryFolder().appendingPathComponent("x")
        try idx([0xFFFF_FFFF, 28, 28], data: 64).write(to: file)
        XCTAssertThrowsError(try IDXReader.read(file.path)) {
            XCTAssertEqual("\($0)", "\(file.path): header dimensions [4294967295, 28, 28] need 3367254359280 data bytes, more than the 64 the file holds")
        }
        try idx(Array(repeating: 0xFFFF_FFFF, count: 3), data: 0).write(to: file)
        XCTAssertThrowsError(try IDXReader.read(file.path)) {
            XCTAssertEqual("\($0)", "\(file.path): header dimensions [4294967295, 4294967295, 4294967295] overflow")
        }
        try idx([2, 3], data: 7).write(to: file)
        XCTAssertThrowsError(try IDXReader.read(file.path)) {
            XCTAssertEqual("\($0)", "\(file.path): holds more data bytes than the header's 6")
        }
        try idx([2, 3], data: 6).write(to: file)
        XCTAssertEqual(try IDXReader.read(file.path).bytes, [1, 1, 1, 1, 1, 1])
    }

    func testEmptyIDXSetsAreRefusedNamingTheFile() throws {
        let folder = try temporaryFolder()
        for (name, data) in [("train-images-idx3-ubyte", idx([0, 28, 28], data: 0)), ("train-labels-idx1-ubyte", idx([0], data: 0)),
                             ("t10k-images-idx3-ubyte", idx([2, 28, 28], data: 2 * 784)), ("t10k-labels-idx1-ubyte", idx([2], data: 2))] {
            try data.write(to: folder.appendingPathComponent(name))
        }
        XCTAssertThrowsError(try IDXDatasets.load(directory: folder.path)) {
            XCTAssertEqual("\($0)", "\(folder.path)/train-images-idx3-ubyte: holds no images (dimensions [0, 28, 28]); expected at least one")
        }
    }

    func testMissingMNISTSaysHowToGetIt() throws {
        let folder = try temporaryFolder()
        var settings = DataSettings(dataset: .mnist)
        settings.path = folder.path
        let message = try XCTUnwrap(settings.missingFile).description
        XCTAssertTrue(message.hasPrefix("\(folder.path)/train-images-idx3-ubyte.gz: file not found (Debian has no MNIST package: "
                                        + "download the four IDX files (train-images-idx3-ubyte.gz, "), message)
        XCTAssertTrue(message.contains(") into \(folder.path), or set data.path"), message)
    }

    func testSyntheticSizesAreCheckedBeforeAllocating() {
        var settings = DataSettings(dataset: .synthetic)
        XCTAssertNil(settings.syntheticSizeProblem)
        settings.syntheticSide = 3_000_000_000
        XCTAssertEqual(settings.syntheticSizeProblem?.dimensions, [768, 1, 3_000_000_000, 3_000_000_000])
        settings.syntheticSide = 8
        settings.syntheticTrain = Int.max
        XCTAssertEqual(settings.syntheticSizeProblem?.dimensions.first, -1, "the sum overflows")
        XCTAssertThrowsError(try settings.loadRaw()) { XCTAssertTrue("\($0)".hasPrefix("data.synthetic: the synthetic images"), "\($0)") }
    }
}
