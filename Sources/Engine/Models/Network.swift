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
    /// Threads, thresholds and kernel build of every layer (`.default` until set);
    /// setting it passes it to each layer (`Layer.configure`).
    public var configuration = ComputeConfiguration.default {
        didSet { for layer in layers { layer.configure(configuration) } }
    }

    /// One example's shape before each layer and after the last (`layers.count + 1`
    /// shapes, from `architecture.inputShape` to `[classes]`), checked once at `init`.
    public let exampleShapes: [[Int]]

    private let parameterIndex: [String: Parameter]

    /// Throws `EngineError.layerCannotTake` naming the first layer that cannot take the
    /// shape the one before it gives (LeNet-5 on 2x2 images: "conv2: a 5x5 kernel does
    /// not fit a 1x1 input"), or when the output is not `[classes]`.
    public init(architecture: Architecture, layers: [Layer], outputWeightName: String,
                paperPruningRates: [String: Double] = [:],
                initializer: @escaping (Parameter) -> Initializer) throws {
        exampleShapes = try Engine.exampleShapes(through: layers, from: architecture.inputShape)
        guard exampleShapes.last == [architecture.classes] else {
            throw EngineError.invalidArchitecture("\(architecture.model) gives outputs of shape \(exampleShapes.last!) for \(architecture.classes) classes")
        }
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

    /// Throws unless examples of `exampleShape` (from `source`, a file or folder) are
    /// what this network takes, and a batch of `batchSize` fits the memory budget at
    /// every layer: the check when a network meets its data, before any forward pass.
    public func checkInput(exampleShape: [Int], batchSize: Int, source: String) throws {
        guard exampleShape == architecture.inputShape else {
            throw EngineError.dataDoesNotFit(source: source, exampleShape: exampleShape,
                                             model: architecture.model, inputShape: architecture.inputShape)
        }
        let largest = exampleShapes.max { ($0.reduce(1, *)) < ($1.reduce(1, *)) }!
        do { try ResourceLimits.checkElements([batchSize] + largest, what: "\(source): a batch of \(batchSize)'s largest activation") }
        catch let error as ResourceLimitError { throw EngineError.tooLarge(error) }
    }

    /// Throws unless training on `examples` examples in batches of `batchSize` gives
    /// every batch-normalised channel more than one value per batch: the smallest
    /// batch (the remainder, if any) times the smallest plane a BatchNorm2D sees (in
    /// a residual block, the block's output plane) must exceed 1, or the batch
    /// variance is undefined (ResNet-20 on 4x4 images reaches 1x1 planes).
    public func checkTrainingBatches(examples: Int, batchSize: Int, source: String) throws {
        let smallestBatch = examples % batchSize == 0 ? min(batchSize, examples) : examples % batchSize
        for (index, layer) in layers.enumerated() where layer is BatchNorm2D || layer is ResidualBlock {
            let plane = exampleShapes[index + 1].dropFirst().reduce(1, *)
            guard smallestBatch * plane > 1 else {
                throw EngineError.layerCannotTake(
                    layer: layerDescription(layer, index: index), shape: exampleShapes[index],
                    reason: "batch normalisation of \(plane == 1 ? "1x1 planes" : "planes of \(plane) values") needs batches of at least 2 examples, "
                        + "but \(source)'s \(examples) training examples in batches of \(batchSize) leave a last batch of \(smallestBatch)")
            }
        }
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
    /// A parameter trained through the sparse kernels (`survivingIndices` set) has
    /// its gradient cleared only at the surviving entries: the rest were zeroed
    /// when its pattern was adopted and are never written since (`SparseWeightPattern.adopt`).
    public func zeroGradients() {
        for p in parameters {
            guard let surviving = p.survivingIndices else {
                p.gradient.fill(0)
                continue
            }
            let g = p.gradient.pointer
            surviving.withUnsafeBufferPointer { indices in
                for index in indices { g[Int(index)] = 0 }
            }
        }
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
    /// A layer that cannot take its input shape, e.g. `conv2` and `[6, 2, 2]`.
    case layerCannotTake(layer: String, shape: [Int], reason: String)
    /// A size from input beyond `ResourceLimits`.
    case tooLarge(ResourceLimitError)
    /// Data whose examples are not the shape the network takes.
    case dataDoesNotFit(source: String, exampleShape: [Int], model: String, inputShape: [Int])

    public var description: String {
        switch self {
        case .missingTensor(let name): return "tensor '\(name)' is missing"
        case let .shapeMismatch(name, expected, found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        case let .unknownModel(name, known):
            return "unknown model '\(name)'; expected one of: \(known.joined(separator: ", "))"
        case .invalidArchitecture(let why): return "invalid architecture: \(why)"
        case let .layerCannotTake(layer, shape, reason):
            return "layer \(layer) cannot take input \(shape): \(reason)"
        case .tooLarge(let error): return error.description
        case let .dataDoesNotFit(source, exampleShape, model, inputShape):
            return "\(source): examples of shape \(exampleShape), but this \(model) takes \(inputShape)"
        }
    }
}
