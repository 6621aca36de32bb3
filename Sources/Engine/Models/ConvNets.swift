/// Conv-2, Conv-4 and Conv-6, the VGG-like networks of Frankle & Carbin 2019 ("The
/// Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks", fig. 2,
/// after Simonyan & Zisserman 2014), for CIFAR-10 in the paper and here for any
/// `[C, H, W]` input (28x28x1 Fashion-MNIST too):
///
///     Conv-2: 64, 64, pool                                  → fc 256, 256, classes
///     Conv-4: 64, 64, pool, 128, 128, pool                  → fc 256, 256, classes
///     Conv-6: 64, 64, pool, 128, 128, pool, 256, 256, pool  → fc 256, 256, classes
///
/// Every convolution is 3x3 with padding 1 and a bias, followed by ReLU; every
/// pool is a 2x2 max-pool with stride 2. Parameters are named conv1 … conv2N and
/// fc1, fc2, fc3 (e.g. Conv-2 on 32x32x3: conv1.weight [64, 3, 3, 3],
/// conv2.weight [64, 64, 3, 3], fc1.weight [256, 16384], fc2.weight [256, 256],
/// fc3.weight [10, 256]).
///
/// Paper defaults: Glorot normal initialisation (zero biases), Adam with learning
/// rate 2e-4 (Conv-2) or 3e-4 (Conv-4, Conv-6), batch 60, 20K/25K/30K iterations;
/// pruning per level of the remaining weights: convolutions 10% (Conv-2, Conv-4) or
/// 15% (Conv-6), hidden fully connected layers 20%, the output layer 10% — stored
/// as absolute fractions in `paperPruningRates`.
public enum FrankleCarbinConvNet {
    /// The three variants by number of convolution pairs.
    public static let names = [1: "conv-2", 2: "conv-4", 3: "conv-6"]

    /// Conv-(2·pairs), `pairs` in 1...3.
    public static func make(pairs: Int, _ architecture: Architecture) throws -> Network {
        precondition((1...3).contains(pairs), "Conv-2/4/6 have 1 to 3 pairs of convolutions, got \(pairs)")
        try checkParameterSize("conv1.weight", [64, architecture.inputShape[0], 3, 3])
        var layers: [Layer] = []
        var channels = architecture.inputShape[0], convolution = 0
        var rates: [String: Double] = [:]
        let convolutionRate = pairs == 3 ? 0.15 : 0.1
        for pair in 0..<pairs {
            let width = 64 << pair
            for _ in 0..<2 {
                convolution += 1
                let name = "conv\(convolution)"
                layers.append(Conv2D(name: name, inChannels: channels, outChannels: width, kernelSize: 3, padding: 1))
                layers.append(ReLU())
                rates["\(name).weight"] = convolutionRate
                channels = width
            }
            layers.append(MaxPool2D(kernel: 2))
        }
        layers.append(Flatten())
        let features = try outputShape(of: layers, forInputShape: architecture.inputShape)[0]
        layers += try fullyConnectedHead(inputFeatures: features, hidden: [256, 256],
                                     classes: architecture.classes, dropout: architecture.dropout)
        rates["fc1.weight"] = 0.2
        rates["fc2.weight"] = 0.2
        rates["fc3.weight"] = 0.1
        return try Network(architecture: architecture, layers: layers, outputWeightName: "fc3.weight",
                       paperPruningRates: rates,
                       initializer: { Initializer.byRole($0.role, weights: .glorotNormal) })
    }
}
