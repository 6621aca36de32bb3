/// One example's shape before each of `layers` and after the last (`count + 1`
/// shapes, `[C, H, W]` first, e.g. `[features]` after a `Flatten`): how the models
/// size their first fully connected layer for any input shape, and how `Network`
/// checks once that every layer can take what the one before it gives.
///
/// Throws `EngineError.layerCannotTake` naming the first layer that cannot take its
/// input, or `EngineError.tooLarge` when one example's activation exceeds the memory
/// budget (`ResourceLimits`).
func exampleShapes(through layers: [Layer], from shape: [Int]) throws -> [[Int]] {
    var shapes = [shape]
    for (index, layer) in layers.enumerated() {
        let input = shapes[index]
        do {
            shapes.append(try layer.outputShape(forInputShape: input))
        } catch {
            throw EngineError.layerCannotTake(layer: layerDescription(layer, index: index), shape: input, reason: error.message)
        }
        do {
            try ResourceLimits.checkElements(shapes[index + 1], what: "the output of \(layerDescription(layer, index: index))")
        } catch let error as ResourceLimitError {
            throw EngineError.tooLarge(error)
        }
    }
    return shapes
}

/// One example's output shape after `layers` applied in order to `shape`.
func outputShape(of layers: [Layer], forInputShape shape: [Int]) throws -> [Int] {
    try exampleShapes(through: layers, from: shape).last!
}

/// How a layer is named in messages: its parameters' prefix ("conv2", "layer2.0"),
/// else its type and position ("MaxPool2D (layer 3)").
func layerDescription(_ layer: Layer, index: Int) -> String {
    if let name = layer.parameters.first?.name, let dot = name.lastIndex(of: ".") {
        let prefix = String(name[..<dot])
        if layer is ResidualBlock, let blockDot = prefix.lastIndex(of: ".") { return String(prefix[..<blockDot]) }
        return prefix
    }
    return "\(type(of: layer)) (layer \(index + 1))"
}

/// Checks that parameter `name` of `shape` fits the memory budget before a layer
/// allocates it: sizes that come from input (the input shape, the class count) reach
/// the models' first and last layers.
func checkParameterSize(_ name: String, _ shape: [Int]) throws {
    do { try ResourceLimits.checkElements(shape, what: name) } catch let error as ResourceLimitError {
        throw EngineError.tooLarge(error)
    }
}

extension Initializer {
    /// The usual scheme by role: `weights` for Linear/Conv2D weights, zero biases,
    /// BatchNorm scale 1 and shift 0.
    static func byRole(_ role: Parameter.Role, weights: Initializer) -> Initializer {
        switch role {
        case .weight: return weights
        case .bias, .normShift: return .zeros
        case .normScale: return .ones
        }
    }
}

/// The fully connected head shared by LeNet-5 and Conv-2/4/6: hidden layers named
/// "fc1", "fc2", ... with ReLU (and dropout if the architecture asks for it), then
/// the output layer, named after the last hidden one.
func fullyConnectedHead(inputFeatures: Int, hidden: [Int], classes: Int, dropout: Float) throws -> [Layer] {
    var layers: [Layer] = []
    let widths = [inputFeatures] + hidden
    for i in hidden.indices {
        try checkParameterSize("fc\(i + 1).weight", [widths[i + 1], widths[i]])
        layers.append(Linear(name: "fc\(i + 1)", inputFeatures: widths[i], outputFeatures: widths[i + 1]))
        layers.append(ReLU())
        if dropout > 0 { layers.append(Dropout(probability: dropout)) }
    }
    try checkParameterSize("fc\(hidden.count + 1).weight", [classes, widths.last!])
    layers.append(Linear(name: "fc\(hidden.count + 1)", inputFeatures: widths.last!, outputFeatures: classes))
    return layers
}
