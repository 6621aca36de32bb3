/// Builds the `Network` a `GraphSpec` describes.
///
/// A graph whose nodes each read the previous one becomes a plain chain of layers
/// (like the zoo's models, so the sparse inference path sees every Linear and
/// Conv2D); a graph with joins becomes one `GraphLayer`. Parameter names are
/// `<node name>.weight`, `<node name>.bias` (and BatchNorm's `running_mean`,
/// `running_var` buffers); the output weight (pruned at the papers' lower rate when a
/// plan asks for it) is the last linear or conv node's.
public enum GraphNetwork {
    /// A new, uninitialised network for `architecture`, whose `graph` must be set.
    public static func make(_ architecture: Architecture) throws -> Network {
        guard let graph = architecture.graph else {
            throw EngineError.invalidArchitecture("model '\(GraphSpec.modelName)' needs a graph (a list of nodes)")
        }
        guard architecture.inputShape.count == 3, architecture.inputShape.allSatisfy({ $0 > 0 }) else {
            throw EngineError.invalidArchitecture("input shape must be [channels, height, width], got \(architecture.inputShape)")
        }
        let output = try graph.outputShapes(inputShape: architecture.inputShape).last!
        guard output == [architecture.classes] else {
            throw EngineError.invalidArchitecture("the graph's output has shape \(output), expected [\(architecture.classes)] (one logit per class)")
        }
        let weights: Initializer
        if let name = graph.initialization {
            guard let scheme = GraphSpec.initializations[name] else {
                throw EngineError.invalidArchitecture("unknown initialization '\(name)'; expected one of \(GraphSpec.initializations.keys.sorted().joined(separator: ", "))")
            }
            weights = scheme
        } else {
            weights = .kaimingNormal
        }
        var names = Set<String>()
        var layers: [Layer?] = []
        for (index, node) in graph.nodes.enumerated() {
            let layer = try makeLayer(node, index: index)
            for name in (layer?.parameters.map(\.name) ?? []) + (layer?.buffers.map(\.name) ?? []) {
                guard names.insert(name).inserted else {
                    throw EngineError.invalidArchitecture("node \(index) (\(node.op.rawValue)): parameter name '\(name)' is used twice")
                }
            }
            layers.append(layer)
        }
        let inputs = graph.nodes.enumerated().map { $1.resolvedInputs(index: $0) }
        let isChain = inputs.enumerated().allSatisfy { $1 == [$0 - 1] }
        let chain: [Layer] = isChain ? layers.map { $0! } : [GraphLayer(layers: layers, inputs: inputs)]
        let outputWeight = graph.nodes.last(where: { $0.op == .linear || $0.op == .conv }).flatMap(\.name).map { "\($0).weight" } ?? ""
        return try Network(architecture: architecture, layers: chain, outputWeightName: outputWeight,
                       initializer: { Initializer.byRole($0.role, weights: weights) })
    }

    /// Node `node`'s layer (nil for an add). Sizes were checked by `outputShapes`.
    static func makeLayer(_ node: GraphNode, index: Int) throws -> Layer? {
        func name() throws -> String {
            guard let name = node.name, !name.isEmpty else {
                throw EngineError.invalidArchitecture("node \(index) (\(node.op.rawValue)): missing name (the parameters' prefix, e.g. fc1)")
            }
            return name
        }
        switch node.op {
        case .linear:
            return Linear(name: try name(), inputFeatures: node.in!, outputFeatures: node.out!, bias: node.bias ?? true)
        case .conv:
            return Conv2D(name: try name(), inChannels: node.in!, outChannels: node.out!, kernelSize: node.kernel!,
                          stride: node.stride ?? 1, padding: node.padding ?? 0, bias: node.bias ?? true)
        case .batchnorm:
            return BatchNorm2D(name: try name(), channels: node.in!, momentum: node.momentum ?? 0.1, epsilon: node.epsilon ?? 1e-5)
        case .relu: return ReLU()
        case .maxpool: return MaxPool2D(kernel: node.kernel!, stride: node.stride)
        case .avgpool: return AvgPool2D(kernel: node.kernel!, stride: node.stride)
        case .globalavgpool: return GlobalAveragePool()
        case .flatten: return Flatten()
        case .dropout: return Dropout(probability: node.p ?? 0.5)
        case .add: return nil
        }
    }
}
