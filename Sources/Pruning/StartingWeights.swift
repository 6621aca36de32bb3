import Engine

/// Weights a dense run starts from instead of a fresh initialisation: a network the
/// user brought (a recipe's `model: {onnx: file}`, whose initializers these are).
///
/// Every parameter and buffer of the network must be given, with its shape; the
/// values are copied, so the dense run's `init.h5` (the lottery ticket's starting
/// point) holds exactly them. Seeds then differ only in data order and dropout.
public struct StartingWeights {
    /// Parameters and buffers by name ("fc1.weight", "bn1.running_mean").
    public var tensors: [String: Tensor]
    /// Where they came from, for messages ("model.onnx").
    public var source: String

    public init(tensors: [String: Tensor], source: String) {
        self.tensors = tensors
        self.source = source
    }

    /// Copies the weights into `network`; throws naming the first missing or misshapen one.
    public func load(into network: Network) throws {
        let targets = network.parameters.map { ($0.name, $0.value) } + network.buffers.map { ($0.name, $0.value) }
        for (name, target) in targets {
            guard let value = tensors[name] else {
                throw PruningError.incompatible("\(source): holds no '\(name)' to start the dense run from")
            }
            guard value.shape == target.shape else {
                throw PruningError.incompatible("\(source): '\(name)' has shape \(value.shape); the network's is \(target.shape)")
            }
            target.copy(from: value)
        }
    }
}
