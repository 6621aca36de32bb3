import Engine
import Foundation

/// The state of one import: walks the nodes of an `onnx.GraphProto` in order (ONNX
/// graphs are topologically sorted) and records Rewind nodes and tensors. See
/// `ONNXImporter` for the operators and their conditions.
struct GraphReader {
    let file: String
    let graph: Onnx_GraphProto

    /// Constant tensors by ONNX value name: initializers, Constant outputs, and
    /// Identity aliases of either.
    private var constants: [String: Onnx_TensorProto] = [:]
    /// Computed values by ONNX value name: the index of the Rewind node producing it
    /// (-1: the network's input, possibly normalised).
    private var values: [String: Int] = [:]
    private var nodes: [GraphNode] = []
    private var parameters: [String: Tensor] = [:]
    private var buffers: [String: Tensor] = [:]
    private var renamed: [String: String] = [:]
    private var mean: [Float]?
    private var std: [Float]?

    init(file: String, graph: Onnx_GraphProto) {
        self.file = file
        self.graph = graph
    }

    mutating func read(inputShape requestedShape: [Int]?, normalization requested: Normalization?) throws -> ONNXImport {
        for initializer in graph.initializer { constants[initializer.name] = initializer }
        let inputs = graph.input.filter { constants[$0.name] == nil }
        guard inputs.count == 1 else {
            throw ONNXError(file: file, "the graph has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); expected exactly one image or feature input")
        }
        let input = inputs[0]
        values[input.name] = -1
        let inputShape = try exampleShape(of: input, requested: requestedShape)
        for (index, node) in graph.node.enumerated() { try read(node, index: index) }

        guard let output = graph.output.first, graph.output.count == 1 else {
            throw ONNXError(file: file, "the graph has \(graph.output.count) outputs; expected one (the logits)")
        }
        guard let last = values[output.name], last == nodes.count - 1, last >= 0 else {
            throw ONNXError(file: file, "the graph's output '\(output.name)' is not computed by its last supported node; expected the logits to be the last value")
        }
        let channels = inputShape[0]
        var normalization = Normalization.identity(channels: channels)
        if mean != nil || std != nil {
            if requested != nil { throw ONNXError(file: file, "the model normalises its input (Sub/Div nodes); do not also pass --normalization") }
            normalization = Normalization(mean: try perChannel(mean ?? [0], channels, "Sub"), std: try perChannel(std ?? [1], channels, "Div"))
        } else if let requested {
            normalization = Normalization(mean: try perChannel(requested.mean, channels, "--normalization mean"),
                                          std: try perChannel(requested.std, channels, "--normalization std"))
        }
        let spec = GraphSpec(nodes: nodes)
        let shapes: [[Int]]
        do { shapes = try spec.outputShapes(inputShape: inputShape) } catch { throw ONNXError(file: file, "\(error)") }
        guard let logits = shapes.last, logits.count == 1, logits[0] >= 2 else {
            throw ONNXError(file: file, "the output has shape \(shapes.last ?? []) per example; expected [classes] logits with at least 2 classes")
        }
        let architecture = Architecture(model: GraphSpec.modelName, inputShape: inputShape, classes: logits[0], graph: spec)
        let network: Network
        do { network = try ModelZoo.build(architecture) } catch { throw ONNXError(file: file, "\(error)") }
        for parameter in network.parameters {
            guard let value = parameters[parameter.name] else { throw ONNXError(file: file, "no tensor for parameter '\(parameter.name)'") }
            guard value.shape == parameter.value.shape else {
                throw ONNXError(file: file, "tensor for '\(parameter.name)' has shape \(value.shape); the layer needs \(parameter.value.shape)")
            }
        }
        return ONNXImport(architecture: architecture, normalization: normalization, parameters: parameters, buffers: buffers,
                          masks: try masks(of: network), renamed: renamed)
    }

    // MARK: Nodes

    private mutating func read(_ node: Onnx_NodeProto, index: Int) throws {
        let label = "node \(index) '\(node.name)' (\(node.opType))", file = self.file
        let fail = { (why: String) in ONNXError(file: file, "\(label): \(why)") }
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw fail("operator domain '\(node.domain)' is not supported; expected the default ONNX domain")
        }
        let attributes = Attributes(node: node, fail: fail)
        func value(_ position: Int) throws -> Int {
            guard position < node.input.count, let index = values[node.input[position]] else {
                throw fail("input \(position) ('\(position < node.input.count ? node.input[position] : "")') is not a computed value; expected the output of an earlier node")
            }
            return index
        }
        func constant(_ position: Int) throws -> (name: String, proto: Onnx_TensorProto)? {
            guard position < node.input.count, !node.input[position].isEmpty else { return nil }
            guard let proto = constants[node.input[position]] else {
                throw fail("input \(position) ('\(node.input[position])') must be a constant (an initializer), as a weight")
            }
            return (node.input[position], proto)
        }
        func output() throws -> String {
            guard node.output.count >= 1, !node.output[0].isEmpty else { throw fail("has no output") }
            if node.output.count > 1, node.output.dropFirst().contains(where: { !$0.isEmpty }), node.opType != "Dropout" {
                throw fail("has \(node.output.count) outputs; expected one")
            }
            return node.output[0]
        }
        /// Appends `graphNode` reading `inputs` and names its output.
        func append(_ graphNode: GraphNode, reading inputs: [Int]) throws {
            var graphNode = graphNode
            if inputs != [nodes.count - 1] { graphNode.inputs = inputs }
            values[try output()] = nodes.count
            nodes.append(graphNode)
        }

        switch node.opType {
        case "Constant":
            let name = try output()
            if let tensor = attributes.tensor("value") {
                constants[name] = tensor
            } else if let ints = try attributes.ints("value_ints") {
                constants[name] = ONNXTensor.int64Proto(name: name, ints.map { Int($0) })
            } else {
                throw fail("only Constant with a 'value' tensor or 'value_ints' is supported")
            }
        case "Identity":
            guard node.input.count == 1 else { throw fail("expected one input") }
            if let proto = constants[node.input[0]] { constants[try output()] = proto } else { values[try output()] = try value(0) }
        case "Relu":
            try append(GraphNode(.relu), reading: [try value(0)])
        case "Dropout":
            if node.output.count > 1, !node.output[1].isEmpty, graph.node.contains(where: { $0.input.contains(node.output[1]) }) {
                throw fail("its mask output is used; only inference dropout is supported")
            }
            var p = try attributes.float("ratio") ?? 0.5
            if let ratio = try constant(1) {
                let tensor = try ONNXTensor.floats(ratio.proto, file: file)
                guard tensor.count == 1 else { throw fail("ratio must be a scalar") }
                p = tensor[0]
            }
            if let training = try constant(2), try ONNXTensor.integers(training.proto, file: file) != [0] {
                throw fail("training_mode is true; export the model in evaluation mode (model.eval())")
            }
            guard p >= 0, p < 1 else { throw fail("ratio \(p) is outside [0, 1)") }
            try append(GraphNode(.dropout, p: p), reading: [try value(0)])
        case "Flatten":
            guard try attributes.int("axis") ?? 1 == 1 else { throw fail("axis must be 1 (flatten everything but the batch)") }
            try append(GraphNode(.flatten), reading: [try value(0)])
        case "Reshape":
            guard let shape = try constant(1) else { throw fail("missing the target shape") }
            let target = try ONNXTensor.integers(shape.proto, file: file)
            guard target.count == 2, target[1] == -1 || target[1] > 0 else {
                throw fail("reshape to \(target) is not supported; expected [N, -1] or [N, features] (a flatten)")
            }
            try append(GraphNode(.flatten), reading: [try value(0)])
        case "Gemm":
            guard try attributes.float("alpha") ?? 1 == 1, try attributes.float("beta") ?? 1 == 1 else { throw fail("alpha and beta must be 1") }
            guard try attributes.int("transA") ?? 0 == 0 else { throw fail("transA must be 0") }
            guard let weight = try constant(1) else { throw fail("missing the weight B") }
            var w = try ONNXTensor.floats(weight.proto, file: file)
            guard w.shape.count == 2 else { throw fail("weight '\(weight.name)' has shape \(w.shape); expected 2 dimensions") }
            if try attributes.int("transB") ?? 0 == 0 { w = transposed(w) }
            let name = layerName(weight.name)
            parameters["\(name).weight"] = w
            var bias = false
            if let c = try constant(2) {
                let b = try ONNXTensor.floats(c.proto, file: file)
                guard b.count == w.shape[0], b.shape.reduce(1, *) == b.count, b.shape.filter({ $0 != 1 }).count <= 1 else {
                    throw fail("bias '\(c.name)' has shape \(b.shape); expected [\(w.shape[0])]")
                }
                parameters["\(name).bias"] = Tensor(shape: [w.shape[0]], values: b.values)
                note(c.name, "\(name).bias")
                bias = true
            }
            try append(GraphNode(.linear, name: name, in: w.shape[1], out: w.shape[0], bias: bias), reading: [try value(0)])
        case "MatMul":
            guard let weight = try constant(1) else { throw fail("input 1 must be a constant weight [in, out]") }
            let w = try ONNXTensor.floats(weight.proto, file: file)
            guard w.shape.count == 2 else { throw fail("weight '\(weight.name)' has shape \(w.shape); expected [in, out]") }
            let name = layerName(weight.name)
            parameters["\(name).weight"] = transposed(w)
            try append(GraphNode(.linear, name: name, in: w.shape[0], out: w.shape[1], bias: false), reading: [try value(0)])
        case "Add":
            guard node.input.count == 2 else { throw fail("expected two inputs") }
            let computed = node.input.map { values[$0] }
            if let a = computed[0], let b = computed[1] {
                try append(GraphNode(.add), reading: [a, b])
                return
            }
            // A constant added to a bias-free linear or conv: that layer's bias.
            guard let position = computed.firstIndex(where: { $0 != nil }), let producer = computed[position], producer >= 0,
                  let c = try constant(1 - position) else {
                throw fail("expected two computed values (a residual join) or a bias added to a MatMul or Conv")
            }
            var layer = nodes[producer]
            guard layer.op == .linear || layer.op == .conv, layer.bias == false, let out = layer.out, let name = layer.name else {
                throw fail("adding a constant is only supported as the bias of the MatMul or Conv right before it")
            }
            let b = try ONNXTensor.floats(c.proto, file: file)
            guard b.count == out else { throw fail("bias '\(c.name)' has \(b.count) values; expected \(out)") }
            parameters["\(name).bias"] = Tensor(shape: [out], values: b.values)
            note(c.name, "\(name).bias")
            layer.bias = true
            nodes[producer] = layer
            values[try output()] = producer
        case "Conv":
            guard try attributes.int("group") ?? 1 == 1 else { throw fail("group must be 1 (grouped and depthwise convolutions are not supported)") }
            guard let weight = try constant(1) else { throw fail("missing the weight W") }
            let w = try ONNXTensor.floats(weight.proto, file: file)
            guard w.shape.count == 4, w.shape[2] == w.shape[3] else { throw fail("weight '\(weight.name)' has shape \(w.shape); expected [out, in, k, k]") }
            let kernel = w.shape[2]
            if let shape = try attributes.ints("kernel_shape"), shape != [Int64(kernel), Int64(kernel)] {
                throw fail("kernel_shape \(shape) does not match the weight's \(kernel)x\(kernel)")
            }
            try attributes.requireAll("dilations", equalTo: 1)
            try attributes.requireNoAutoPad()
            let stride = try attributes.uniform("strides", default: 1)
            let padding = try attributes.uniform("pads", default: 0)
            let name = layerName(weight.name)
            parameters["\(name).weight"] = w
            var bias = false
            if let c = try constant(2) {
                let b = try ONNXTensor.floats(c.proto, file: file)
                guard b.count == w.shape[0] else { throw fail("bias '\(c.name)' has \(b.count) values; expected \(w.shape[0])") }
                parameters["\(name).bias"] = Tensor(shape: [w.shape[0]], values: b.values)
                note(c.name, "\(name).bias")
                bias = true
            }
            try append(GraphNode(.conv, name: name, in: w.shape[1], out: w.shape[0], kernel: kernel, stride: stride,
                                 padding: padding, bias: bias), reading: [try value(0)])
        case "MaxPool", "AveragePool":
            guard let shape = try attributes.ints("kernel_shape"), shape.count == 2, shape[0] == shape[1], shape[0] > 0 else {
                throw fail("expected a square kernel_shape [k, k]")
            }
            guard try attributes.int("ceil_mode") ?? 0 == 0 else { throw fail("ceil_mode must be 0") }
            guard try attributes.int("storage_order") ?? 0 == 0 else { throw fail("storage_order must be 0") }
            try attributes.requireAll("dilations", equalTo: 1)
            try attributes.requireAll("pads", equalTo: 0)
            try attributes.requireNoAutoPad()
            let stride = try attributes.uniform("strides", default: 1)
            try append(GraphNode(node.opType == "MaxPool" ? .maxpool : .avgpool, kernel: Int(shape[0]), stride: stride),
                       reading: [try value(0)])
        case "GlobalAveragePool":
            try append(GraphNode(.globalavgpool), reading: [try value(0)])
        case "BatchNormalization":
            guard try attributes.int("training_mode") ?? 0 == 0 else { throw fail("training_mode must be 0; export the model in evaluation mode") }
            guard let scale = try constant(1), let shift = try constant(2), let mean = try constant(3), let variance = try constant(4) else {
                throw fail("scale, B, mean and var must all be constants")
            }
            let name = layerName(scale.name)
            let tensors = try [scale, shift, mean, variance].map { try ONNXTensor.floats($0.proto, file: file) }
            let channels = tensors[0].count
            guard tensors.allSatisfy({ $0.count == channels && $0.shape.count == 1 }) else {
                throw fail("scale, B, mean and var have shapes \(tensors.map(\.shape)); expected four [C] vectors")
            }
            parameters["\(name).bias"] = tensors[1]
            parameters["\(name).weight"] = tensors[0]
            buffers["\(name).running_mean"] = tensors[2]
            buffers["\(name).running_var"] = tensors[3]
            for (onnx, rewind) in zip([shift.name, mean.name, variance.name], ["bias", "running_mean", "running_var"]) { note(onnx, "\(name).\(rewind)") }
            let onnxMomentum = try attributes.float("momentum") ?? 0.9
            guard (0...1).contains(onnxMomentum) else { throw fail("momentum \(onnxMomentum) is outside [0, 1]") }
            // PyTorch's momentum, rounded to 6 decimals: 1 - 0.9 in float32 is 0.100000024, PyTorch's 0.1.
            let momentum = Float((Double(1 - onnxMomentum) * 1e6).rounded() / 1e6)
            try append(GraphNode(.batchnorm, name: name, in: channels, epsilon: try attributes.float("epsilon") ?? 1e-5,
                                 momentum: momentum), reading: [try value(0)])
        case "Sub", "Div":
            guard nodes.isEmpty, node.input.count == 2, values[node.input[0]] == -1, let c = try constant(1) else {
                throw fail("\(node.opType) is supported only as input normalisation: the network input \(node.opType == "Sub" ? "minus" : "divided by") a per-channel constant, before any other node")
            }
            let tensor = try ONNXTensor.floats(c.proto, file: file)
            if node.opType == "Sub" {
                guard mean == nil, std == nil else { throw fail("expected Sub (mean) once, before Div (std)") }
                mean = tensor.values
            } else {
                guard std == nil else { throw fail("expected Div (std) once") }
                guard tensor.buffer.allSatisfy({ $0 > 0 }) else { throw fail("the standard deviations must be positive") }
                std = tensor.values
            }
            values[try output()] = -1
        default:
            throw fail("unsupported operator; supported: \(ONNXImporter.supportedOperators.joined(separator: ", "))")
        }
    }

    // MARK: Helpers

    /// The Rewind layer name for a weight initializer: "fc1.weight" → "fc1"; any other
    /// name is kept whole ('/' becomes '_', as HDF5 paths use it).
    private mutating func layerName(_ initializer: String) -> String {
        if initializer.hasSuffix(".weight"), initializer.count > ".weight".count { return String(initializer.dropLast(".weight".count)) }
        let name = initializer.replacingOccurrences(of: "/", with: "_")
        renamed[initializer] = "\(name).weight"
        return name
    }

    /// Records that ONNX tensor `onnx` became Rewind's `rewind` when the names differ.
    private mutating func note(_ onnx: String, _ rewind: String) {
        if onnx != rewind { renamed[onnx] = rewind }
    }

    /// One example's `[C, H, W]` from the input's declared shape.
    private func exampleShape(of input: Onnx_ValueInfoProto, requested: [Int]?) throws -> [Int] {
        let dims = input.type.tensorType.shape.dim.dropFirst().map { $0.dimValue }
        if let requested {
            guard requested.count == 3, requested.allSatisfy({ $0 > 0 }) else {
                throw ONNXError(file: file, "input shape \(requested) must be [channels, height, width]")
            }
            if !dims.isEmpty, dims.allSatisfy({ $0 > 0 }), dims.reduce(1, *) != Int64(requested.reduce(1, *)) {
                throw ONNXError(file: file, "input '\(input.name)' has \(dims) per example, which does not hold \(requested)")
            }
            return requested
        }
        guard !dims.isEmpty, dims.allSatisfy({ $0 > 0 && $0 <= Int64(Int32.max) }) else {
            throw ONNXError(file: file, "input '\(input.name)' has no fixed example shape; pass --input-shape C,H,W")
        }
        switch dims.count {
        case 3: return dims.map { Int($0) }
        case 1:
            let features = Int(dims[0])
            for channels in [1, 3] where features % channels == 0 {
                let side = Int(Double(features / channels).squareRoot().rounded())
                if side * side * channels == features { return [channels, side, side] }
            }
            return [1, 1, features]
        default:
            throw ONNXError(file: file, "input '\(input.name)' has example shape \(dims); expected [C, H, W] or [features]")
        }
    }

    /// `values` for `channels` channels: as given, or one value repeated.
    private func perChannel(_ values: [Float], _ channels: Int, _ what: String) throws -> [Float] {
        if values.count == channels { return values }
        if values.count == 1 { return Array(repeating: values[0], count: channels) }
        throw ONNXError(file: file, "\(what) has \(values.count) values; expected 1 or \(channels) (one per input channel)")
    }

    /// The side tensors "<weight>.rewind_mask" (written by `ONNXExporter`), checked against `network`.
    private func masks(of network: Network) throws -> [String: Tensor] {
        var masks: [String: Tensor] = [:]
        for (name, proto) in constants where name.hasSuffix(ONNXImporter.maskSuffix) {
            let weight = String(name.dropLast(ONNXImporter.maskSuffix.count))
            guard let parameter = network.parameter(named: weight), network.prunableParameterNames.contains(weight) else {
                throw ONNXError(file: file, "mask '\(name)' names no prunable weight of the graph")
            }
            let mask = try ONNXTensor.mask(proto, file: file)
            guard mask.shape == parameter.value.shape else {
                throw ONNXError(file: file, "mask '\(name)' has shape \(mask.shape); the weight has \(parameter.value.shape)")
            }
            masks[weight] = mask
        }
        return masks
    }

    /// `[rows, columns]` → `[columns, rows]`.
    private func transposed(_ matrix: Tensor) -> Tensor {
        let rows = matrix.shape[0], columns = matrix.shape[1]
        let result = Tensor(shape: [columns, rows])
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = matrix[r * columns + c] } }
        return result
    }
}
