import Engine
import Foundation
import ONNX
import Yams

/// The two recipe forms of a network outside the zoo:
///
///     model: {onnx: path/to/model.onnx}                   # an ONNX graph and its weights (rewind import reads the same)
///     model: {onnx: path/to/model.onnx, init: fresh}      # the graph, freshly initialised
///     model:
///       init: kaiming-normal                              # or kaiming-uniform, glorot-normal, glorot-uniform
///       layers:                                           # a sequential network, sizes inferred from the data
///         - {conv: 32, kernel: 3, padding: 1}             # conv1: 32 output channels
///         - batchnorm                                     # bn1
///         - relu
///         - {maxpool: 2}                                  # stride defaults to the kernel
///         - flatten
///         - {linear: 128}                                 # fc1
///         - {dropout: 0.5}
///         - {linear: 10}                                  # fc2: one output per class
///
/// Layer kinds: linear (output features), conv (output channels; kernel, stride,
/// padding), maxpool / avgpool (kernel; stride), batchnorm, relu, dropout (p, default
/// 0.5), flatten, globalavgpool; linear and conv take `bias: false` and every
/// parameterised layer an explicit `name` (default conv1, conv2, …, bn1, …, fc1, …).
extension Recipe {
    /// The architecture of the `model:` mapping `node` when it has `onnx` or `layers`, or
    /// nil when it has neither (a zoo model). `inputShape` is one example's shape from `data:`.
    /// The ONNX file whose weights the dense runs start from: `model: {onnx: file}`
    /// unless it says `init: fresh` (nil for every other model).
    static func importedWeightsPath(_ top: YAMLMapping) throws -> String? {
        guard let node = top.node("model"), case .mapping = node else { return nil }
        let section = try YAMLMapping(file: top.file, path: "model", node: node, allowed: nil)
        guard let path = try section.string("onnx") else { return nil }
        return try section.string("init") == "fresh" ? nil : path
    }

    static func parseGraphModel(_ top: YAMLMapping, node: Node, inputShape: [Int], classes: Int) throws -> Architecture? {
        let keys = try YAMLMapping(file: top.file, path: "model", node: node, allowed: nil).keys
        if keys.contains("onnx") {
            let section = try YAMLMapping(file: top.file, path: "model", node: node, allowed: ["onnx", "init"])
            guard let path = try section.string("onnx") else { return nil }
            if let scheme = try section.string("init"), scheme != "fresh", scheme != "imported" {
                throw section.error("init", section.node("init"), "expected imported (the dense runs start from the model's own weights, the default) or fresh (a new initialisation of the graph), got '\(scheme)'")
            }
            do {
                var architecture = try ONNXImporter.read(path, inputShape: inputShape).architecture
                guard architecture.classes == classes else {
                    throw section.error("onnx", section.node("onnx"), "the model has \(architecture.classes) outputs; the data has \(classes) classes")
                }
                architecture.inputShape = inputShape
                return architecture
            } catch let error as ONNXError {
                throw section.error("onnx", section.node("onnx"), error.description)
            }
        }
        guard keys.contains("layers") else { return nil }
        let section = try YAMLMapping(file: top.file, path: "model", node: node, allowed: ["layers", "init"])
        let layersNode = section.node("layers")!
        let scheme = try section.string("init") ?? "kaiming-normal"
        guard GraphSpec.initializations[scheme] != nil else {
            throw section.error("init", section.node("init"), "expected one of \(GraphSpec.initializations.keys.sorted().joined(separator: ", ")), got '\(scheme)'")
        }
        guard case let .sequence(items) = layersNode, !items.isEmpty else {
            throw section.error("layers", layersNode, "expected a list of layers, e.g. [flatten, {linear: 300}, relu, {linear: 10}]")
        }
        var nodes: [GraphNode] = []
        var shape = inputShape
        var counts: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let key = "model.layers[\(index)]"
            func fail(_ message: String) -> RecipeError { RecipeError(file: section.file, line: item.mark?.line, key: key, message: message) }
            var node = try layer(item, key: key, file: section.file, fail: fail)
            let prefix = ["linear": "fc", "conv": "conv", "batchnorm": "bn"][node.op.rawValue]
            if let prefix, node.name == nil {
                counts[prefix, default: 0] += 1
                node.name = "\(prefix)\(counts[prefix]!)"
            }
            switch node.op {
            case .linear: node.in = shape.reduce(1, *)
            case .conv, .batchnorm: node.in = shape.first
            default: break
            }
            do {
                shape = try GraphSpec(nodes: [node]).outputShapes(inputShape: shape)[0]
            } catch let error as EngineError {
                throw fail("\(error)".replacingOccurrences(of: "invalid architecture: node 0 ", with: "").replacingOccurrences(of: "invalid architecture: ", with: "") + " (input \(shape))")
            }
            nodes.append(node)
        }
        guard shape == [classes] else {
            throw RecipeError(file: section.file, line: items.last?.mark?.line, key: "model.layers[\(items.count - 1)]",
                              message: "the last layer gives \(shape) per example; expected [\(classes)] logits, one per class of the data (e.g. {linear: \(classes)})")
        }
        return Architecture(model: GraphSpec.modelName, inputShape: inputShape, graph: GraphSpec(nodes: nodes, initialization: scheme))
    }

    /// One item of `layers:`: a kind name (`relu`) or a mapping `{kind: size, option: value}`.
    private static func layer(_ item: Node, key: String, file: String, fail: (String) -> RecipeError) throws -> GraphNode {
        let kinds = "linear, conv, maxpool, avgpool, batchnorm, relu, dropout, flatten, globalavgpool"
        if case let .scalar(s) = item {
            switch s.string {
            case "relu": return GraphNode(.relu)
            case "flatten": return GraphNode(.flatten)
            case "batchnorm": return GraphNode(.batchnorm)
            case "globalavgpool": return GraphNode(.globalavgpool)
            case "dropout": return GraphNode(.dropout, p: 0.5)
            default: throw fail("unknown layer '\(s.string)'; expected one of \(kinds) (linear, conv and pools need a size, e.g. {linear: 128})")
            }
        }
        let keys = try YAMLMapping(file: file, path: key, node: item, allowed: nil).keys
        let kind = keys.first { GraphNode.Op(rawValue: $0) != nil && $0 != "add" }
        guard let kind, let op = GraphNode.Op(rawValue: kind) else {
            throw fail("expected one layer kind among the keys (\(kinds)), got \(keys)")
        }
        var allowed = [kind]
        if op == .conv { allowed += ["kernel", "padding"] }
        if [.conv, .maxpool, .avgpool].contains(op) { allowed.append("stride") }
        if [.conv, .linear].contains(op) { allowed.append("bias") }
        if [.conv, .linear, .batchnorm].contains(op) { allowed.append("name") }
        let mapping = try YAMLMapping(file: file, path: key, node: item, allowed: allowed)
        var node = GraphNode(op)
        switch op {
        case .linear: node.out = try mapping.int("linear", minimum: 1, expected: "a positive number of output features")
        case .conv: node.out = try mapping.int("conv", minimum: 1, expected: "a positive number of output channels")
        case .maxpool, .avgpool: node.kernel = try mapping.int(kind, minimum: 1, expected: "a positive kernel size")
        case .dropout: node.p = Float(try mapping.double("dropout", 0...0.99, expected: "a probability in [0, 1)") ?? 0.5)
        default: break
        }
        if op == .conv {
            node.kernel = try mapping.int("kernel", minimum: 1, expected: "a positive kernel size")
            guard node.kernel != nil else { throw mapping.error("kernel", nil, "missing; a conv needs a kernel size, e.g. {conv: 32, kernel: 3}") }
            node.padding = try mapping.int("padding", minimum: 0, expected: "a non-negative integer")
        }
        if allowed.contains("stride") { node.stride = try mapping.int("stride", minimum: 1, expected: "a positive integer") }
        if allowed.contains("bias") { node.bias = try mapping.bool("bias") }
        if allowed.contains("name") { node.name = try mapping.string("name") }
        return node
    }
}
