import Checkpoint
import Engine
import Foundation
import ONNX
import XCTest

/// Models defined in PyTorch that are not in the zoo — a 784-512-256-10 MLP with
/// dropout, a small CNN with BatchNorm and a residual block (and the same CNN with
/// BatchNorm folded into its convolutions by the exporter) — trained briefly on a
/// Fashion-MNIST slice, exported with `torch.onnx.export`, imported, and evaluated on
/// the same test slice (read back from the .npz the script wrote): the same accuracy
/// as PyTorch. With onnxscript installed, also the default (dynamo) exporter's file,
/// whose weights are in an external data file.
final class PyTorchImportTests: XCTestCase {
    struct Accuracies: Decodable {
        let mlp: Double, cnn: Double, cnnFolded: Double, testCount: Int
        /// The dynamo exporter's file (external weights), when onnxscript is installed.
        let cnnDynamo: Double?
        enum CodingKeys: String, CodingKey { case mlp, cnn, cnnFolded = "cnn-folded", cnnDynamo = "cnn-dynamo", testCount = "test_count" }
    }

    func testPyTorchModelsImportWithPyTorchsAccuracy() throws {
        try PythonTool.require(["onnx", "torch", "numpy"])
        let idx = IDXDatasets.defaultFashionMNISTDirectory
        if let missing = IDXDatasets.missingFile(directory: idx) { throw XCTSkip("needs Fashion-MNIST: \(missing)") }
        let folder = try PythonTool.temporaryFolder(for: self)
        let torch = try PythonTool.json(Accuracies.self, script: "torch_models.py", [idx, folder.path])
        let data = try NPZDatasets.load(path: folder.appendingPathComponent("data.npz").path)
        XCTAssertEqual(data.test.count, torch.testCount)
        XCTAssertEqual(data.test.exampleShape, [1, 28, 28])
        let normalization = Normalization(mean: [0.2860], std: [0.3530])
        if torch.cnnDynamo == nil { print("note: onnxscript is not installed, so the dynamo exporter's file (external data) is not tested") }
        let models = [("mlp", torch.mlp), ("cnn", torch.cnn), ("cnn-folded", torch.cnnFolded)] + (torch.cnnDynamo.map { [("cnn-dynamo", $0)] } ?? [])
        for (name, expected) in models {
            let imported = try ONNXImporter.read(folder.appendingPathComponent("\(name).onnx").path, normalization: normalization)
            let contents = CheckpointContents(architecture: imported.architecture, normalization: imported.normalization,
                                              parameters: imported.parameters, buffers: imported.buffers)
            let network = try contents.makeNetwork()
            let accuracy = evaluate(network, on: data.test.normalized(by: network.normalization)).accuracy
            print("\(name): PyTorch \(expected), Rewind \(accuracy) on \(data.test.count) images; nodes \(imported.architecture.graph!.nodes.map(\.op.rawValue))")
            XCTAssertGreaterThan(expected, 0.5, "\(name): the PyTorch model should have learned something")
            XCTAssertEqual(accuracy, expected, accuracy: 0.5 / Double(data.test.count), name)
        }
        // The names are the state_dict's.
        let cnn = try ONNXImporter.read(folder.appendingPathComponent("cnn.onnx").path, normalization: normalization)
        for name in ["conv1.weight", "conv1.bias", "bn1.weight", "layer1.conv1.weight", "layer1.bn2.bias", "fc.weight"] {
            XCTAssertNotNil(cnn.parameters[name], name)
        }
        XCTAssertEqual(Set(cnn.buffers.keys), ["bn1.running_mean", "bn1.running_var", "layer1.bn1.running_mean", "layer1.bn1.running_var",
                                               "layer1.bn2.running_mean", "layer1.bn2.running_var"])
        let mlp = try ONNXImporter.read(folder.appendingPathComponent("mlp.onnx").path)
        XCTAssertEqual(mlp.parameters["fc1.weight"]?.shape, [512, 784])
        XCTAssertEqual(mlp.architecture.inputShape, [1, 28, 28])
    }
}
