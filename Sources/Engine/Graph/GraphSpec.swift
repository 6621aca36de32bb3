/// A network given as a list of nodes rather than a zoo name: what `rewind import`
/// makes of an ONNX graph and what a recipe's `model: {layers: [...]}` declares.
/// Stored inside `Architecture` (so in every checkpoint's `architecture` JSON), so
/// every command rebuilds the network from the checkpoint alone.
///
/// Node `i` reads the outputs of the nodes in `inputs` (`-1` is the network's
/// input; no `inputs` means the previous node, or the input for node 0) and the
/// network's output is the last node's. Only `add` reads two values, which is how
/// residual joins are written:
///
///     0 conv c1 → 1 batchnorm b1 → 2 relu → 3 conv c2 → 4 batchnorm b2
///     5 add inputs [4, -1] → 6 relu          (y = relu(b2(c2(relu(b1(c1(x)))))) + x)
public struct GraphSpec: Codable, Equatable, Sendable {
    /// `Architecture.model` of every network built from a graph.
    public static let modelName = "graph"

    public var nodes: [GraphNode]
    /// How `Network.initialize` draws the weights: "kaiming-normal" (default),
    /// "kaiming-uniform", "glorot-normal" or "glorot-uniform"; biases start at 0,
    /// BatchNorm scales at 1 and shifts at 0.
    public var initialization: String?

    /// `nodes` with every default written out (`GraphNode.withDefaults`), so two
    /// descriptions of one network compare equal however they were written.
    public init(nodes: [GraphNode], initialization: String? = nil) {
        self.nodes = nodes.map(\.withDefaults)
        self.initialization = initialization
    }

    /// The weight initialisation schemes a graph may name.
    public static let initializations: [String: Initializer] = [
        "kaiming-normal": .kaimingNormal, "kaiming-uniform": .kaimingUniform,
        "glorot-normal": .glorotNormal, "glorot-uniform": .glorotUniform,
    ]
}

/// One operation of a `GraphSpec`. Which fields an op uses:
///
/// | op              | fields                                                   | layer              |
/// |-----------------|----------------------------------------------------------|--------------------|
/// | `linear`        | name, in, out, bias (default true)                       | `Linear`           |
/// | `conv`          | name, in, out, kernel, stride (1), padding (0), bias     | `Conv2D`           |
/// | `batchnorm`     | name, in (channels), epsilon (1e-5), momentum (0.1)      | `BatchNorm2D`      |
/// | `relu`, `flatten`, `globalavgpool` | —                                     | `ReLU`, `Flatten`, `GlobalAveragePool` |
/// | `maxpool`, `avgpool` | kernel, stride (default kernel)                     | `MaxPool2D`, `AvgPool2D` |
/// | `dropout`       | p                                                        | `Dropout`          |
/// | `add`           | inputs (two values of one shape)                         | elementwise sum    |
///
/// `name` is the parameter prefix: a linear named "fc1" has "fc1.weight" and
/// "fc1.bias", exactly as PyTorch's `state_dict` names them.
public struct GraphNode: Codable, Equatable, Sendable {
    public enum Op: String, Codable, Sendable, CaseIterable {
        case linear, conv, batchnorm, relu, maxpool, avgpool, globalavgpool, flatten, dropout, add
    }

    public var op: Op
    public var name: String?
    public var inputs: [Int]?
    public var `in`: Int?
    public var out: Int?
    public var kernel: Int?
    public var stride: Int?
    public var padding: Int?
    public var bias: Bool?
    public var epsilon: Float?
    public var momentum: Float?
    public var p: Float?

    public init(_ op: Op, name: String? = nil, inputs: [Int]? = nil, in inFeatures: Int? = nil, out: Int? = nil,
                kernel: Int? = nil, stride: Int? = nil, padding: Int? = nil, bias: Bool? = nil,
                epsilon: Float? = nil, momentum: Float? = nil, p: Float? = nil) {
        self.op = op
        self.name = name
        self.inputs = inputs
        self.in = inFeatures
        self.out = out
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.bias = bias
        self.epsilon = epsilon
        self.momentum = momentum
        self.p = p
    }

    /// This node with its op's defaults written out: bias true (linear, conv), stride 1
    /// and padding 0 (conv), stride = kernel (pools), epsilon 1e-5 and momentum 0.1
    /// (batchnorm), p 0.5 (dropout).
    public var withDefaults: GraphNode {
        var node = self
        switch op {
        case .linear: node.bias = bias ?? true
        case .conv: (node.bias, node.stride, node.padding) = (bias ?? true, stride ?? 1, padding ?? 0)
        case .maxpool, .avgpool: node.stride = stride ?? kernel
        case .batchnorm: (node.epsilon, node.momentum) = (epsilon ?? 1e-5, momentum ?? 0.1)
        case .dropout: node.p = p ?? 0.5
        case .relu, .flatten, .globalavgpool, .add: break
        }
        return node
    }

    /// The indices this node reads, with the default (the previous node) filled in.
    func resolvedInputs(index: Int) -> [Int] { inputs ?? [index - 1] }
}
