import Engine
import Foundation
import ONNX
import XCTest

/// Malformed or unsupported ONNX files give one-line errors naming the file and what
/// was expected, never a crash.
final class MalformedONNXTests: XCTestCase {
    /// LeNet-300-100's export, to be broken in different ways.
    func validModel() throws -> Onnx_ModelProto {
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100"))
        network.initialize(seed: 1)
        return try ONNXExporter.model(of: network, file: "lenet.onnx")
    }

    /// The error importing `bytes` (written to a file) gives; fails if the import succeeds.
    func importError(_ bytes: Data, file name: String) throws -> String {
        let path = try PythonTool.temporaryFolder(for: self).appendingPathComponent(name).path
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try ONNXImporter.read(path)
            XCTFail("\(name): import succeeded")
            return ""
        } catch let error as ONNXError {
            let line = error.description
            XCTAssertFalse(line.contains("\n"), "one line: \(line)")
            XCTAssertTrue(line.hasPrefix(path + ": "), "names the file: \(line)")
            return line
        }
    }

    func testTruncatedAndEmptyFiles() throws {
        let bytes: Data = try validModel().serializedBytes()
        let truncated = try importError(bytes.prefix(bytes.count / 2), file: "truncated.onnx")
        XCTAssertTrue(truncated.contains("not a valid ONNX model") && truncated.contains("truncated"), truncated)
        let empty = try importError(Data(), file: "empty.onnx")
        XCTAssertTrue(empty.contains("empty file"), empty)
        let text = try importError(Data("name: model\n".utf8), file: "text.onnx")
        XCTAssertTrue(text.contains("ONNX"), text)
        XCTAssertThrowsError(try ONNXImporter.read("no-such-file.onnx")) {
            XCTAssertEqual("\($0)", "no-such-file.onnx: file not found (expected an ONNX model, e.g. from torch.onnx.export)")
        }
    }

    func testUnknownOperatorNamesTheNodeAndTheSupportedList() throws {
        var model = try validModel()
        let index = model.graph.node.firstIndex { $0.opType == "Relu" }!
        model.graph.node[index].opType = "LeakyRelu"
        let message = try importError(try model.serializedBytes(), file: "leaky.onnx")
        XCTAssertTrue(message.contains("node \(index) '\(model.graph.node[index].name)' (LeakyRelu): unsupported operator; supported: Add, AveragePool"), message)
    }

    func testShapeMismatchNamesTheLayerAndTheSizes() throws {
        var model = try validModel()
        let index = model.graph.initializer.firstIndex { $0.name == "fc2.weight" }!
        var weight = model.graph.initializer[index]
        weight.dims = [100, 299]
        weight.rawData = weight.rawData.prefix(100 * 299 * 4)
        model.graph.initializer[index] = weight
        let message = try importError(try model.serializedBytes(), file: "mismatch.onnx")
        XCTAssertTrue(message.contains("linear fc2") && message.contains("expected 299 input features, got shape [300]"), message)
    }

    func testTensorWhoseDataDoesNotFitItsShape() throws {
        var model = try validModel()
        let index = model.graph.initializer.firstIndex { $0.name == "fc1.bias" }!
        model.graph.initializer[index].rawData = model.graph.initializer[index].rawData.prefix(7)
        let message = try importError(try model.serializedBytes(), file: "short-tensor.onnx")
        XCTAssertTrue(message.contains("tensor 'fc1.bias' has 7 bytes of data; its shape [300] needs 1200"), message)
    }

    func testExternalDataMustStayBesideTheModelAndInsideItsFile() throws {
        var model = try validModel()
        let index = model.graph.initializer.firstIndex { $0.name == "fc1.weight" }!
        func external(_ entries: [(String, String)]) -> Onnx_TensorProto {
            var tensor = model.graph.initializer[index]
            tensor.clearRawData()
            tensor.dataLocation = .external
            tensor.externalData = entries.map {
                var entry = Onnx_StringStringEntryProto()
                (entry.key, entry.value) = $0
                return entry
            }
            return tensor
        }
        model.graph.initializer[index] = external([("location", "../elsewhere.bin")])
        let escaping = try importError(try model.serializedBytes(), file: "escaping.onnx")
        XCTAssertTrue(escaping.contains("tensor 'fc1.weight' has external data at '../elsewhere.bin'; expected a file name beside the model"), escaping)
        model.graph.initializer[index] = external([("location", "missing.bin")])
        let missing = try importError(try model.serializedBytes(), file: "missing-data.onnx")
        XCTAssertTrue(missing.contains("keeps its data in 'missing.bin', which cannot be read"), missing)
    }

    func testUnsupportedAttributesAreNamed() throws {
        var model = try validModel()
        var conv = Onnx_NodeProto()
        conv.opType = "Conv"
        conv.name = "grouped"
        conv.input = ["input", "fc1.weight"]
        conv.output = ["c"]
        var group = Onnx_AttributeProto()
        group.name = "group"
        group.type = .int
        group.i = 2
        conv.attribute = [group]
        model.graph.node.insert(conv, at: 0)
        let message = try importError(try model.serializedBytes(), file: "grouped.onnx")
        XCTAssertTrue(message.contains("node 0 'grouped' (Conv): group must be 1"), message)
    }
}
