/// One example's output shape after `layers` applied in order to `shape`
/// (`[C, H, W]` in, e.g. `[features]` after a `Flatten`): how the models size their
/// first fully connected layer for any input shape.
func outputShape(of layers: [Layer], forInputShape shape: [Int]) -> [Int] {
    layers.reduce(shape) { $1.outputShape(forInputShape: $0) }
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
func fullyConnectedHead(inputFeatures: Int, hidden: [Int], classes: Int, dropout: Float) -> [Layer] {
    var layers: [Layer] = []
    let widths = [inputFeatures] + hidden
    for i in hidden.indices {
        layers.append(Linear(name: "fc\(i + 1)", inputFeatures: widths[i], outputFeatures: widths[i + 1]))
        layers.append(ReLU())
        if dropout > 0 { layers.append(Dropout(probability: dropout)) }
    }
    layers.append(Linear(name: "fc\(hidden.count + 1)", inputFeatures: widths.last!, outputFeatures: classes))
    return layers
}
