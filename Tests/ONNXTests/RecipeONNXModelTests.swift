import Engine
import Foundation
import ONNX
import Pruning
import Recipes
import XCTest

/// `model: {onnx: file}`: the recipe's network is the ONNX graph, the same architecture
/// `rewind import` records (so `rewind prune --recipe` accepts the imported checkpoint).
final class RecipeONNXModelTests: XCTestCase {
    func testRecipeReadsTheGraphRewindImportRecords() throws {
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100"))
        network.initialize(seed: 2)
        let path = try PythonTool.temporaryFolder(for: self).appendingPathComponent("mlp.onnx").path
        try ONNXFile.write(try ONNXExporter.model(of: network, file: path), to: path)
        let text = { (model: String) in
            "name: imported\ndata: {dataset: synthetic, synthetic: {side: 28, classes: 10}}\nmodel: \(model)\ntrain: {optimizer: adam, lr: 0.001, batch_size: 8, epochs: 2}\n"
        }
        let recipe = try Recipe.parse(text("{onnx: \(path)}"), file: "r.yaml")
        XCTAssertEqual(recipe.architecture, try ONNXImporter.read(path).architecture)
        XCTAssertEqual(try ModelZoo.build(recipe.architecture).parameters.map(\.name), network.parameters.map(\.name))
        let fresh = try Recipe.parse(text("{onnx: \(path), init: fresh}"), file: "r.yaml")
        XCTAssertEqual(fresh.architecture, recipe.architecture)
        // The dense runs start from the file's weights unless the recipe says init: fresh;
        // the file's bytes are part of the run's hash.
        XCTAssertEqual(recipe.importedWeights, path)
        XCTAssertNil(fresh.importedWeights)
        XCTAssertNotEqual(recipe.hash, fresh.hash)
        XCTAssertEqual(try Recipe.parse(text("{onnx: \(path), init: imported}"), file: "r.yaml").hash, recipe.hash)
        XCTAssertThrowsError(try Recipe.parse(text("{onnx: \(path), init: pretrained}"), file: "r.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("r.yaml:3: model.init: expected imported"), "\($0)")
        }
        XCTAssertThrowsError(try Recipe.parse(text("{onnx: missing.onnx}"), file: "r.yaml")) {
            XCTAssertEqual("\($0)", "r.yaml:3: model.onnx: missing.onnx: file not found (expected an ONNX model, e.g. from torch.onnx.export)")
        }
        // DenseTraining starts seed 0 and seed 1 from exactly the exported weights.
        let experiment = try recipe.makeExperiment(observer: SilentObserver())
        let start = try XCTUnwrap(experiment.startingWeights)
        let rebuilt = try experiment.makeNetwork()
        try start.load(into: rebuilt)
        for parameter in network.parameters {
            XCTAssertEqual(rebuilt.parameter(named: parameter.name)!.value.values, parameter.value.values, parameter.name)
        }
        XCTAssertNil(try fresh.makeExperiment(observer: SilentObserver()).startingWeights)
        let fourClasses = text("{onnx: \(path)}").replacingOccurrences(of: "classes: 10", with: "classes: 4")
        XCTAssertThrowsError(try Recipe.parse(fourClasses, file: "r.yaml")) {
            XCTAssertTrue("\($0)".hasSuffix("the model has 10 outputs; the data has 4 classes"), "\($0)")
        }
    }
}
