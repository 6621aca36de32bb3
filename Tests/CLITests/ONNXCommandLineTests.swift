import Foundation
import XCTest

/// `rewind import` and `rewind export --onnx` as a user runs them: a network declared
/// in a recipe is trained, pruned, exported to ONNX and imported back with its masks
/// and normalisation; a damaged ONNX file is a one-line error that writes nothing.
final class ONNXCommandLineTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-onnx-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private let recipe = """
    name: cli-declared
    data: {dataset: synthetic, synthetic: {train: 192, test: 96, classes: 3, side: 6, noise: 1.2}}
    model:
      init: glorot-normal
      layers: [flatten, {linear: 24}, relu, {linear: 3}]
    train: {optimizer: sgd, lr: 0.05, momentum: 0.9, batch_size: 16, epochs: 3, rewind_epoch: 1}
    """

    private func json(_ result: RewindProcess.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.output.split(separator: "\n").last!.utf8)) as! [String: Any]
    }

    func testDeclaredNetworkTrainsPrunesExportsAndImportsBack() throws {
        try recipe.write(to: folder.appendingPathComponent("declared.yaml"), atomically: true, encoding: .utf8)
        let train = try RewindProcess.run(["train", "declared.yaml", "--json"], in: folder)
        XCTAssertEqual(train.status, 0, train.error)
        XCTAssertGreaterThan(try json(train)["test_accuracy"] as! Double, 0.6)
        let final = try json(train)["checkpoint"] as! String
        let prune = try RewindProcess.run(["prune", "--from", final, "--to", "0.75", "--fraction", "0.5", "--strategy", "lr-rewind",
                                           "--out", "pruned.h5", "--json"], in: folder)
        XCTAssertEqual(prune.status, 0, prune.error)

        let export = try RewindProcess.run(["export", "--onnx", "--from", "pruned.h5", "--out", "pruned.onnx"], in: folder)
        XCTAssertEqual(export.status, 0, export.error)
        XCTAssertTrue(export.output.contains("ONNX opset 17") && export.output.contains("75.00% of masked weights pruned"), export.output)
        let back = try RewindProcess.run(["import", "pruned.onnx", "--out", "back.h5"], in: folder)
        XCTAssertEqual(back.status, 0, back.error)
        XCTAssertTrue(back.output.contains("4 nodes (flatten, linear, relu)") && back.output.contains("2 masks"), back.output)

        let before = try json(try RewindProcess.run(["inspect", "pruned.h5", "--json"], in: folder))
        let after = try json(try RewindProcess.run(["inspect", "back.h5", "--json"], in: folder))
        XCTAssertEqual(after["sparsity"] as! Double, 0.75, accuracy: 1e-4)
        XCTAssertEqual(after["normalization"] as! NSDictionary, before["normalization"] as! NSDictionary)
        XCTAssertEqual(after["architecture"] as! NSDictionary, before["architecture"] as! NSDictionary)
        let tensors = { (info: [String: Any]) in (info["tensors"] as! [[String: Any]]).map { "\($0["name"]!) \($0["shape"]!) \($0["nonzeros"]!)" }.sorted() }
        XCTAssertEqual(tensors(after), tensors(before))
    }

    func testDamagedONNXIsOneLineErrorAndWritesNothing() throws {
        try Data([0x08, 0x07, 0x12, 0x40, 0x01]).write(to: folder.appendingPathComponent("damaged.onnx"))
        let result = try RewindProcess.run(["import", "damaged.onnx", "--out", "model.h5"], in: folder)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertFalse(result.crashed)
        let lines = result.error.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.error)
        XCTAssertTrue(lines.first?.hasPrefix("Error: damaged.onnx: not a valid ONNX model") ?? false, result.error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.h5").path))
        let badShape = try RewindProcess.run(["import", "damaged.onnx", "--out", "model.h5", "--input-shape", "1,28"], in: folder)
        XCTAssertNotEqual(badShape.status, 0)
        XCTAssertTrue(badShape.error.contains("--input-shape: expected C,H,W"), badShape.error)
    }
}
