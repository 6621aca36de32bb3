import Checkpoint
import Engine
import Foundation

/// Writes a Rewind network (zoo or graph, dense or pruned) as an ONNX model that runs
/// unchanged in onnxruntime: input "input" `[N, C, H, W]` of raw pixels in [0, 1],
/// output "logits" `[N, classes]`, opset 17.
///
/// Layers map to operators as `ONNXImporter` reads them back: Linear → Gemm
/// (transB = 1), Conv2D → Conv, BatchNorm2D → BatchNormalization (ONNX momentum
/// `1 − m`), MaxPool2D/AvgPool2D → MaxPool/AveragePool, GlobalAveragePool →
/// GlobalAveragePool + Flatten, ReLU → Relu, Dropout → Dropout (ratio as a constant),
/// Flatten → Flatten, a ResidualBlock → its convolutions, BatchNorms and an Add, a
/// graph's add nodes → Add. The input normalisation becomes `Sub(input, mean)` then
/// `Div(·, std)` with per-channel constants `[1, C, 1, 1]`.
///
/// Initializers keep Rewind's parameter names ("fc1.weight", "layer1.0.bn1.running_mean"),
/// which are PyTorch's. Masked weights are written with their pruned entries zero,
/// and each mask as a side initializer "<weight>.rewind_mask" (uint8, same shape,
/// read by no node), so `rewind import` of the file restores the masks. A declared
/// network's initialisation scheme is kept in the metadata entry `rewind.initialization`.
public enum ONNXExporter {
    public static let opsetVersion: Int64 = 17
    public static let irVersion: Int64 = 8

    /// Writes the network `contents` holds, with its masks, to `path`.
    public static func write(_ contents: CheckpointContents, to path: String) throws {
        let network = try contents.makeNetwork()
        try ONNXFile.write(try model(of: network, masks: contents.masks, file: path), to: path)
    }

    /// The ONNX model of `network` (its current values) with `masks` applied and kept;
    /// `file` names the destination in errors.
    public static func model(of network: Network, masks: [String: Tensor] = [:], file: String) throws -> Onnx_ModelProto {
        var writer = GraphWriter(masks: masks, file: file)
        let shape = network.architecture.inputShape
        var value = "input"
        let normalization = network.normalization
        if normalization != .identity(channels: shape[0]) {
            let channels = normalization.mean.count
            value = writer.node("Sub", [value, writer.constant("rewind.normalization.mean", Tensor(shape: [1, channels, 1, 1], values: normalization.mean))])
            value = writer.node("Div", [value, writer.constant("rewind.normalization.std", Tensor(shape: [1, channels, 1, 1], values: normalization.std))])
        }
        for layer in network.layers { value = try writer.layer(layer, value) }
        value = writer.node("Identity", [value], output: "logits")

        var graph = Onnx_GraphProto()
        graph.name = network.architecture.model
        graph.node = writer.nodes
        graph.initializer = writer.initializers
        graph.input = [valueInfo("input", ["N"] + shape.map { .fixed($0) })]
        graph.output = [valueInfo("logits", ["N", .fixed(network.architecture.classes)])]
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        model.opsetImport = [opset]
        model.producerName = "rewind"
        model.graph = graph
        if let scheme = network.architecture.graph?.initialization {
            var entry = Onnx_StringStringEntryProto()
            entry.key = ONNXImporter.initializationKey
            entry.value = scheme
            model.metadataProps = [entry]
        }
        return model
    }

    /// A dimension of a declared shape: a number or a symbolic name ("N").
    enum Dimension: ExpressibleByStringLiteral {
        case fixed(Int), symbolic(String)
        init(stringLiteral value: String) { self = .symbolic(value) }
    }

    static func valueInfo(_ name: String, _ dims: [Dimension]) -> Onnx_ValueInfoProto {
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensorType.shape.dim = dims.map {
            var dim = Onnx_TensorShapeProto.Dimension()
            switch $0 {
            case .fixed(let value): dim.dimValue = Int64(value)
            case .symbolic(let name): dim.dimParam = name
            }
            return dim
        }
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType = tensorType
        return info
    }
}

/// Collects the nodes and initializers of an export.
struct GraphWriter {
    let masks: [String: Tensor]
    let file: String
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    private var counter = 0

    init(masks: [String: Tensor], file: String) {
        self.masks = masks
        self.file = file
    }

    /// Appends an `op` node reading `inputs`; returns its output's name.
    mutating func node(_ op: String, _ inputs: [String], output: String? = nil, ints: [String: [Int]] = [:],
                       int: [String: Int] = [:], float: [String: Float] = [:]) -> String {
        counter += 1
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = "\(op)_\(counter)"
        node.input = inputs
        node.output = [output ?? "\(op.lowercased())_\(counter)"]
        for (name, values) in ints.sorted(by: { $0.key < $1.key }) {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .ints
            attribute.ints = values.map { Int64($0) }
            node.attribute.append(attribute)
        }
        for (name, value) in int.sorted(by: { $0.key < $1.key }) {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .int
            attribute.i = Int64(value)
            node.attribute.append(attribute)
        }
        for (name, value) in float.sorted(by: { $0.key < $1.key }) {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .float
            attribute.f = value
            node.attribute.append(attribute)
        }
        nodes.append(node)
        return node.output[0]
    }

    /// Adds an initializer `name` holding `tensor`; returns `name`.
    mutating func constant(_ name: String, _ tensor: Tensor) -> String {
        initializers.append(ONNXTensor.proto(name: name, tensor))
        return name
    }

    /// Adds a parameter's initializer (masked entries zero, the mask as a side tensor).
    mutating func parameter(_ parameter: Parameter) -> String {
        guard let mask = masks[parameter.name] else { return constant(parameter.name, parameter.value) }
        let masked = Tensor(copying: parameter.value)
        for i in 0..<masked.count where mask[i] == 0 { masked[i] = 0 }
        initializers.append(ONNXTensor.maskProto(name: parameter.name + ONNXImporter.maskSuffix, mask))
        return constant(parameter.name, masked)
    }

    /// Appends the nodes computing `layer` on `input`; returns the output's name.
    mutating func layer(_ layer: Layer, _ input: String) throws -> String {
        switch layer {
        case let linear as Linear:
            return node("Gemm", [input, parameter(linear.weight)] + (linear.bias.map { [parameter($0)] } ?? []),
                        int: ["transB": 1], float: ["alpha": 1, "beta": 1])
        case let conv as Conv2D:
            return node("Conv", [input, parameter(conv.weight)] + (conv.bias.map { [parameter($0)] } ?? []),
                        ints: ["kernel_shape": [conv.kernelSize, conv.kernelSize], "strides": [conv.stride, conv.stride],
                               "pads": Array(repeating: conv.padding, count: 4), "dilations": [1, 1]], int: ["group": 1])
        case let norm as BatchNorm2D:
            let inputs = [input, parameter(norm.weight), parameter(norm.bias)] + norm.buffers.map { constant($0.name, $0.value) }
            return node("BatchNormalization", inputs, float: ["epsilon": norm.epsilon, "momentum": 1 - norm.momentum])
        case is ReLU:
            return node("Relu", [input])
        case is Flatten:
            return node("Flatten", [input], int: ["axis": 1])
        case let pool as MaxPool2D:
            return node("MaxPool", [input], ints: ["kernel_shape": [pool.kernel, pool.kernel], "strides": [pool.stride, pool.stride]])
        case let pool as AvgPool2D:
            return node("AveragePool", [input], ints: ["kernel_shape": [pool.kernel, pool.kernel], "strides": [pool.stride, pool.stride]])
        case is GlobalAveragePool:
            return node("Flatten", [node("GlobalAveragePool", [input])], int: ["axis": 1])
        case let dropout as Dropout:
            counter += 1
            let ratio = constant("rewind.dropout_\(counter).ratio", Tensor(shape: [], values: [dropout.probability]))
            return node("Dropout", [input, ratio])
        case let block as ResidualBlock:
            var main = try self.layer(block.conv1, input)
            main = node("Relu", [try self.layer(block.bn1, main)])
            main = try self.layer(block.bn2, try self.layer(block.conv2, main))
            let skip = try block.shortcut.map { try self.layer($0.norm, try self.layer($0.conv, input)) } ?? input
            return node("Relu", [node("Add", [main, skip])])
        case let graph as GraphLayer:
            var outputs: [String] = []
            for step in graph.steps {
                let read = { (index: Int) in index == -1 ? input : outputs[index] }
                if let layer = step.layer {
                    outputs.append(try self.layer(layer, read(step.inputs[0])))
                } else {
                    outputs.append(node("Add", step.inputs.map(read)))
                }
            }
            return outputs.last ?? input
        default:
            throw ONNXError(file: file, "cannot export a layer of type \(type(of: layer)) to ONNX")
        }
    }
}
