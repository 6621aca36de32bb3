/// LeNet-300-100 (LeCun et al. 1998), the fully connected network of the lottery
/// ticket paper (Frankle & Carbin 2019, fig. 2): 784-300-100-10 with ReLU.
///
/// Parameters: fc1.weight [300, 784], fc1.bias [300], fc2.weight [100, 300],
/// fc2.bias [100], fc3.weight [10, 100], fc3.bias [10]. Initialisation: Glorot
/// normal weights and zero biases, as in Frankle & Carbin. Pruning: 20% per level
/// for the hidden layers, the output layer at half rate (10%).
public enum LeNet300100 {
    public static let name = "lenet-300-100"

    public static func make(_ architecture: Architecture) throws -> Network {
        try checkParameterSize("fc1.weight", [300] + architecture.inputShape)
        try checkParameterSize("fc3.weight", [architecture.classes, 100])
        let inputs = architecture.inputShape.reduce(1, *)
        var layers: [Layer] = [Flatten()]
        let widths = [inputs, 300, 100]
        for (i, width) in widths.dropFirst().enumerated() {
            layers.append(Linear(name: "fc\(i + 1)", inputFeatures: widths[i], outputFeatures: width))
            layers.append(ReLU())
            if architecture.dropout > 0 { layers.append(Dropout(probability: architecture.dropout)) }
        }
        layers.append(Linear(name: "fc3", inputFeatures: 100, outputFeatures: architecture.classes))
        return try Network(architecture: architecture, layers: layers, outputWeightName: "fc3.weight",
                       paperPruningRates: ["fc1.weight": 0.2, "fc2.weight": 0.2, "fc3.weight": 0.1],
                       initializer: { $0.role == .weight ? .glorotNormal : .zeros })
    }
}
