/// A network: layers applied in order, with named parameters and buffers.
///
/// Composite layers (residual blocks) are themselves `Layer`s, so a `Network` is
/// always a chain; `backward` visits the layers in exact reverse order.
public final class Network {
    public let architecture: Architecture
    public let layers: [Layer]
    /// Every trainable parameter, in layer order.
    public let parameters: [Parameter]
    /// Every non-trainable named tensor (BatchNorm running statistics).
    public let buffers: [NamedBuffer]
    /// The weights magnitude pruning acts on, in layer order ("fc1.weight", ...).
    public let prunableParameterNames: [String]
    /// The output layer's weight ("fc3.weight"): papers prune it at a lower rate.
    public let outputWeightName: String
    /// Per-layer pruning rates this model's paper used: the absolute fraction of the
    /// remaining weights pruned per level, by parameter name (e.g. Conv-2:
    /// ["conv1.weight": 0.1, "conv2.weight": 0.1, "fc1.weight": 0.2, "fc2.weight": 0.2,
    /// "fc3.weight": 0.1]); empty when the paper pruned uniformly.
    public let paperPruningRates: [String: Double]
    /// How each parameter is initialised (the model's paper default).
    public let initializer: (Parameter) -> Initializer
    /// Input normalisation used in training and evaluation.
    public var normalization: Normalization

    private let parameterIndex: [String: Parameter]

    public init(architecture: Architecture, layers: [Layer], outputWeightName: String,
                paperPruningRates: [String: Double] = [:],
                initializer: @escaping (Parameter) -> Initializer) {
        self.architecture = architecture
        self.layers = layers
        self.parameters = layers.flatMap(\.parameters)
        self.buffers = layers.flatMap(\.buffers)
        self.prunableParameterNames = parameters.filter(\.isPrunableByDefault).map(\.name)
        self.outputWeightName = outputWeightName
        self.paperPruningRates = paperPruningRates
        self.initializer = initializer
        self.normalization = .identity(channels: architecture.inputShape.first ?? 1)
        var index: [String: Parameter] = [:]
        for p in parameters {
            precondition(index[p.name] == nil, "duplicate parameter name \(p.name)")
            index[p.name] = p
        }
        self.parameterIndex = index
        layers.first?.computesInputGradient = false
    }

    /// The parameter with dotted name `name`, if any.
    public func parameter(named name: String) -> Parameter? { parameterIndex[name] }

    /// The buffer with dotted name `name`, if any.
    public func buffer(named name: String) -> NamedBuffer? { buffers.first { $0.name == name } }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Logits `[B, classes]` for a batch of normalised inputs `[B, C, H, W]`.
    public func forward(_ input: Tensor, mode: ForwardMode) -> Tensor {
        var x = input
        for layer in layers { x = layer.forward(x, mode: mode) }
        return x
    }

    /// Back-propagates dLoss/dLogits through every layer, in reverse order,
    /// accumulating parameter gradients.
    public func backward(_ logitsGradient: Tensor) {
        var g = logitsGradient
        for layer in layers.reversed() { g = layer.backward(g) }
    }

    /// Sets every parameter gradient to zero.
    public func zeroGradients() {
        for p in parameters { p.gradient.fill(0) }
    }

    /// Initialises every parameter by the model's scheme, from `seed`'s
    /// initialisation stream (parameters in order, one generator).
    public func initialize(seed: UInt64) {
        var generator = SeededGenerator(seed: seed, concern: .initialization)
        for p in parameters { initializer(p).fill(p.value, using: &generator) }
        for b in buffers { b.value.fill(b.name.hasSuffix("running_var") ? 1 : 0) }
    }

    /// Forwards every Dropout layer's mask stream to `(seed, stream)`.
    public func reseedDropout(seed: UInt64, stream: UInt64) {
        let all = layers.flatMap { ($0 as? GraphLayer)?.layers ?? [$0] }
        for case let dropout as Dropout in all { dropout.reseed(seed: seed, stream: stream) }
    }

    /// A snapshot of every parameter and buffer value, by name.
    public func stateDictionary() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for p in parameters { state[p.name] = Tensor(copying: p.value) }
        for b in buffers { state[b.name] = Tensor(copying: b.value) }
        return state
    }

    /// Copies values from `state` into the parameters and buffers of the same name.
    /// Throws if a name is missing or a shape differs.
    public func load(stateDictionary state: [String: Tensor]) throws {
        for (name, target) in parameters.map({ ($0.name, $0.value) }) + buffers.map({ ($0.name, $0.value) }) {
            guard let source = state[name] else { throw EngineError.missingTensor(name) }
            guard source.shape == target.shape else {
                throw EngineError.shapeMismatch(name: name, expected: target.shape, found: source.shape)
            }
            target.copy(from: source)
        }
    }
}

/// Errors from the engine that a user can act on.
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case unknownModel(String, known: [String])
    case invalidArchitecture(String)

    public var description: String {
        switch self {
        case .missingTensor(let name): return "tensor '\(name)' is missing"
        case let .shapeMismatch(name, expected, found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        case let .unknownModel(name, known):
            return "unknown model '\(name)'; expected one of: \(known.joined(separator: ", "))"
        case .invalidArchitecture(let why): return "invalid architecture: \(why)"
        }
    }
}
