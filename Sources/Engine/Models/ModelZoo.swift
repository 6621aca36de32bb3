/// The models Rewind can build by name; checkpoints record the name and rebuild
/// the network from it.
public enum ModelZoo {
    /// Builders by model name.
    public static let builders: [String: @Sendable (Architecture) -> Network] = [
        LeNet300100.name: LeNet300100.make,
        LeNet5.name: LeNet5.make,
        "conv-2": { FrankleCarbinConvNet.make(pairs: 1, $0) },
        "conv-4": { FrankleCarbinConvNet.make(pairs: 2, $0) },
        "conv-6": { FrankleCarbinConvNet.make(pairs: 3, $0) },
        "resnet-20": { CIFARResNet.make(depth: 20, $0) },
        "resnet-56": { CIFARResNet.make(depth: 56, $0) },
        "resnet-110": { CIFARResNet.make(depth: 110, $0) },
    ]

    /// The names of every known model, sorted.
    public static var names: [String] { builders.keys.sorted() }

    /// Builds an uninitialised network for `architecture`.
    public static func build(_ architecture: Architecture) throws -> Network {
        if architecture.model == GraphSpec.modelName { return try GraphNetwork.make(architecture) }
        guard let builder = builders[architecture.model] else {
            throw EngineError.unknownModel(architecture.model, known: names)
        }
        guard architecture.inputShape.count == 3, architecture.inputShape.allSatisfy({ $0 > 0 }) else {
            throw EngineError.invalidArchitecture("input shape must be [channels, height, width], got \(architecture.inputShape)")
        }
        guard architecture.classes > 1 else {
            throw EngineError.invalidArchitecture("classes must be at least 2, got \(architecture.classes)")
        }
        guard architecture.dropout >= 0, architecture.dropout < 1 else {
            throw EngineError.invalidArchitecture("dropout must be in [0, 1), got \(architecture.dropout)")
        }
        return builder(architecture)
    }
}
