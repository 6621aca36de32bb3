import Engine
import Recipes
import XCTest

/// `model: {layers: [...]}`: a sequential network declared in the recipe, sizes
/// inferred from the data, validated with file:line errors.
final class RecipeGraphModelTests: XCTestCase {
    /// Synthetic data: one 8x8 grey image per example, 4 classes.
    func recipe(layers: String, initialization: String = "glorot-normal") -> String {
        """
        name: declared
        data: {dataset: synthetic}
        model:
          init: \(initialization)
          layers:
        \(layers)
        train: {optimizer: sgd, lr: 0.1, batch_size: 16, epochs: 2}
        """
    }

    let cnn = """
        - {conv: 4, kernel: 3, padding: 1}
        - batchnorm
        - relu
        - {maxpool: 2}
        - flatten
        - {linear: 16, name: hidden}
        - {dropout: 0.25}
        - relu
        - {linear: 4}
    """

    func testDeclaredLayersBuildANamedNetworkSizedByTheData() throws {
        let recipe = try Recipe.parse(recipe(layers: cnn), file: "declared.yaml")
        XCTAssertEqual(recipe.architecture.model, GraphSpec.modelName)
        let nodes = try XCTUnwrap(recipe.architecture.graph?.nodes)
        XCTAssertEqual(nodes.map(\.op), [.conv, .batchnorm, .relu, .maxpool, .flatten, .linear, .dropout, .relu, .linear])
        XCTAssertEqual(nodes[0].in, 1)
        XCTAssertEqual(nodes[1].in, 4)
        XCTAssertEqual(nodes[5].in, 4 * 4 * 4, "4 channels of 4x4 after the 2x2 pool of 8x8")
        XCTAssertEqual(nodes[6].p, 0.25)
        XCTAssertEqual(recipe.architecture.graph?.initialization, "glorot-normal")
        let network = try ModelZoo.build(recipe.architecture)
        XCTAssertEqual(network.parameters.map(\.name), ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                                                        "hidden.weight", "hidden.bias", "fc1.weight", "fc1.bias"])
        XCTAssertEqual(network.prunableParameterNames, ["conv1.weight", "hidden.weight", "fc1.weight"])
        XCTAssertEqual(network.outputWeightName, "fc1.weight")
        XCTAssertEqual(network.parameterCount, 4 * 9 + 4 + 8 + 64 * 16 + 16 + 16 * 4 + 4)
        // Glorot normal: the weights' spread follows 2 / (fan_in + fan_out).
        network.initialize(seed: 1)
        let weight = network.parameter(named: "hidden.weight")!.value
        let std = (weight.sumOfSquares() / Double(weight.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / Double(64 + 16)).squareRoot(), accuracy: 0.02)
        XCTAssertEqual(network.forward(Tensor(shape: [2, 1, 8, 8], repeating: 0.5), mode: .evaluation).shape, [2, 4])
    }

    func testDeclaredLayerErrorsNameTheFileLineAndLayer() {
        let cases: [(String, String, String)] = [
            (recipe(layers: "    - flatten\n    - {linear: 3}"), "declared.yaml:7: model.layers[1]", "expected [4] logits"),
            (recipe(layers: "    - {conv: 4}\n    - flatten\n    - {linear: 4}"), "declared.yaml:6: model.layers[0].kernel", "a conv needs a kernel size"),
            (recipe(layers: "    - softmax"), "declared.yaml:6: model.layers[0]", "unknown layer 'softmax'"),
            (recipe(layers: "    - {maxpool: 16}\n    - flatten\n    - {linear: 4}"), "declared.yaml:6: model.layers[0]", "at least 16x16"),
            (recipe(layers: "    - flatten\n    - {linear: 4, stride: 2}"), "declared.yaml:7: model.layers[1].stride", "unknown key"),
            (recipe(layers: "    - flatten\n    - {linear: 4}", initialization: "lecun"), "declared.yaml:4: model.init", "expected one of glorot-normal"),
        ]
        for (text, location, message) in cases {
            XCTAssertThrowsError(try Recipe.parse(text, file: "declared.yaml"), location) { error in
                let line = "\(error)"
                XCTAssertTrue(line.hasPrefix(location), "\(line) should start with \(location)")
                XCTAssertTrue(line.contains(message), "\(line) should contain \(message)")
            }
        }
    }
}
