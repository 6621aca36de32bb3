/// LeNet-5 (LeCun et al. 1998, "Gradient-Based Learning Applied to Document
/// Recognition"), in the modern form used by pruning papers and PyTorch examples:
/// ReLU instead of scaled tanh, max-pooling instead of trainable subsampling, and a
/// fully connected C3 (no partial connection table).
///
///     conv1 6@5x5 pad 2 → ReLU → maxpool 2 → conv2 16@5x5 → ReLU → maxpool 2
///     → fc1 120 → ReLU → fc2 84 → ReLU → fc3 classes
///
/// On 28x28x1 inputs fc1 reads 16·5·5 = 400 features; other input shapes get the
/// flatten size their convolutions produce (576 for 32x32x3). Parameters:
/// conv1.weight [6, C, 5, 5], conv1.bias [6], conv2.weight [16, 6, 5, 5],
/// conv2.bias [16], fc1.weight [120, 400], fc1.bias, fc2.weight [84, 120], fc2.bias,
/// fc3.weight [classes, 84], fc3.bias. Initialisation: Glorot normal weights, zero
/// biases (Frankle & Carbin's choice for their LeNet and Conv networks). No pruning
/// paper in Rewind's scope gives LeNet-5 per-layer rates, so `paperPruningRates` is
/// empty (uniform rates unless a recipe says otherwise).
public enum LeNet5 {
    public static let name = "lenet-5"

    public static func make(_ architecture: Architecture) throws -> Network {
        let channels = architecture.inputShape[0]
        try checkParameterSize("conv1.weight", [6, channels, 5, 5])
        var layers: [Layer] = [
            Conv2D(name: "conv1", inChannels: channels, outChannels: 6, kernelSize: 5, padding: 2),
            ReLU(),
            MaxPool2D(kernel: 2),
            Conv2D(name: "conv2", inChannels: 6, outChannels: 16, kernelSize: 5),
            ReLU(),
            MaxPool2D(kernel: 2),
            Flatten(),
        ]
        let features = try outputShape(of: layers, forInputShape: architecture.inputShape)[0]
        layers += try fullyConnectedHead(inputFeatures: features, hidden: [120, 84],
                                     classes: architecture.classes, dropout: architecture.dropout)
        return try Network(architecture: architecture, layers: layers, outputWeightName: "fc3.weight",
                       initializer: { Initializer.byRole($0.role, weights: .glorotNormal) })
    }
}
