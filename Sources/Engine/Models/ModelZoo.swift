/// The models Rewind can build by name; checkpoints record the name and rebuild
/// the network from it.
public enum ModelZoo {
    /// Builders by model name.
    public static let builders: [String: @Sendable (Architecture) throws -> Network] = [
        LeNet300100.name: LeNet300100.make,
        LeNet5.name: LeNet5.make,
        "conv-2": { try FrankleCarbinConvNet.make(pairs: 1, $0) },
        "conv-4": { try FrankleCarbinConvNet.make(pairs: 2, $0) },
        "conv-6": { try FrankleCarbinConvNet.make(pairs: 3, $0) },
        "resnet-20": { try CIFARResNet.make(depth: 20, $0) },
        "resnet-56": { try CIFARResNet.make(depth: 56, $0) },
        "resnet-110": { try CIFARResNet.make(depth: 110, $0) },
    ]

    /// The names of every known model, sorted.
    public static var names: [String] { builders.keys.sorted() }

    /// Builds an uninitialised network for `architecture`, after checking it: a known
    /// model, a `[C, H, W]` input every layer can take (`EngineError.layerCannotTake`
    /// names the layer otherwise), at least 2 classes, a dropout in [0, 1), and every
    /// parameter and one example's activations within `ResourceLimits`.
    public static func build(_ architecture: Architecture) throws -> Network {
        guard let builder = architecture.model == GraphSpec.modelName ? GraphNetwork.make : builders[architecture.model] else {
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
        do {
            try ResourceLimits.checkElements(architecture.inputShape, what: "the input")
            try ResourceLimits.checkElements([architecture.classes], what: "the class count")
        } catch let error as ResourceLimitError {
            throw EngineError.tooLarge(error)
        }
        return try builder(architecture)
    }
}
