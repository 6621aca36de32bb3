/// The CIFAR-10 ResNets of He et al. 2016 ("Deep Residual Learning for Image
/// Recognition", §4.2): depth `6n + 2`, ResNet-20 for `n = 3`.
///
///     conv1 16@3x3 (no bias) → bn1 → ReLU
///     → layer1: n blocks, 16 channels → layer2: n blocks, 32 channels, first stride 2
///     → layer3: n blocks, 64 channels, first stride 2
///     → global average pool → fc classes
///
/// Blocks are `ResidualBlock`s (basic blocks; downsampling shortcuts are 1x1 conv +
/// BN, "option B", as in Frankle et al.'s open_lth — see `ResidualBlock`). Names
/// follow torchvision-style CIFAR ResNets: conv1.weight [16, C, 3, 3], bn1.weight,
/// bn1.bias, bn1.running_mean, bn1.running_var, layer1.0.conv1.weight [16, 16, 3, 3], …,
/// layer2.0.shortcut.0.weight [32, 16, 1, 1], layer2.0.shortcut.1.weight [32], …,
/// fc.weight [classes, 64], fc.bias. ResNet-20 has 272,474 parameters for 10 classes.
///
/// Paper defaults: Kaiming normal initialisation (He et al. 2015, fan-in) for conv
/// and fc weights, BN scale 1 and shift 0, zero fc bias; SGD with momentum 0.9,
/// weight decay 1e-4, learning rate 0.1 divided by 10 at 32K and 48K iterations,
/// 64K iterations at batch 128 (open_lth: 160 epochs, milestones 80 and 120);
/// training augmentation: 4-pixel padding with random 32x32 crops and horizontal
/// flips. Frankle et al. prune ResNet-20 globally at 20% per level, so
/// `paperPruningRates` is empty.
public enum CIFARResNet {
    /// Registered depths by model name.
    public static let names = [20: "resnet-20", 56: "resnet-56", 110: "resnet-110"]

    /// A CIFAR ResNet of `depth = 6n + 2` layers.
    public static func make(depth: Int, _ architecture: Architecture) throws -> Network {
        precondition(depth >= 8 && (depth - 2) % 6 == 0, "CIFAR ResNet depth must be 6n + 2, got \(depth)")
        try checkParameterSize("conv1.weight", [16, architecture.inputShape[0], 3, 3])
        try checkParameterSize("fc.weight", [architecture.classes, 64])
        let blocksPerStage = (depth - 2) / 6
        var layers: [Layer] = [
            Conv2D(name: "conv1", inChannels: architecture.inputShape[0], outChannels: 16, kernelSize: 3,
                   padding: 1, bias: false),
            BatchNorm2D(name: "bn1", channels: 16),
            ReLU(),
        ]
        var channels = 16
        for stage in 0..<3 {
            let width = 16 << stage
            for block in 0..<blocksPerStage {
                let stride = stage > 0 && block == 0 ? 2 : 1
                layers.append(ResidualBlock(name: "layer\(stage + 1).\(block)", inChannels: channels,
                                            outChannels: width, stride: stride))
                channels = width
            }
        }
        layers.append(GlobalAveragePool())
        layers.append(Linear(name: "fc", inputFeatures: channels, outputFeatures: architecture.classes))
        return try Network(architecture: architecture, layers: layers, outputWeightName: "fc.weight",
                       initializer: { Initializer.byRole($0.role, weights: .kaimingNormal) })
    }
}
