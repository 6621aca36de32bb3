import Engine
import Foundation

/// What `ONNXImporter` makes of an ONNX model: a graph architecture and the tensors
/// to put in a checkpoint.
public struct ONNXImport {
    public var architecture: Architecture
    public var normalization: Normalization
    /// Trainable parameters by Rewind name ("fc1.weight").
    public var parameters: [String: Tensor]
    /// BatchNorm running statistics by Rewind name ("bn1.running_mean").
    public var buffers: [String: Tensor]
    /// Pruning masks stored by `ONNXExporter` (side tensors "<weight>.rewind_mask").
    public var masks: [String: Tensor]
    /// ONNX initializer names that are not Rewind's parameter names, with the name used
    /// (only for initializers not named like a PyTorch `state_dict` entry).
    public var renamed: [String: String]
}

/// Turns an ONNX graph of the supported operators into a `GraphSpec` and its tensors.
///
/// | ONNX operator | Rewind node | conditions |
/// |---|---|---|
/// | Gemm | linear | alpha = beta = 1, transA = 0; B constant (`transB` 1: `[out, in]`, 0: `[in, out]`, transposed); C constant `[out]` |
/// | MatMul (+ Add) | linear | B constant `[in, out]` (transposed to `[out, in]`); an Add of a constant `[out]` right after is its bias |
/// | Conv | conv | group 1, dilations 1, square kernel, equal strides, equal pads on all sides |
/// | Relu, GlobalAveragePool | relu, globalavgpool | |
/// | MaxPool, AveragePool | maxpool, avgpool | square kernel, equal strides, no padding, ceil_mode 0, dilations 1 |
/// | BatchNormalization | batchnorm | inference form (training_mode 0); running statistics become buffers; ONNX momentum m is PyTorch's 1 − m |
/// | Add of two computed values | add | a residual join |
/// | Flatten (axis 1), Reshape to `[N, −1]` or `[N, D]` | flatten | |
/// | Dropout, Identity | dropout, (alias) | |
/// | Sub, Div by constants on the input | (normalisation) | what `ONNXExporter` writes for the input normalisation |
/// | Constant | (constant) | |
///
/// Parameter names come from the initializers: a Gemm whose B is "fc1.weight" makes a
/// linear named "fc1" with "fc1.weight" and "fc1.bias", so the checkpoint maps 1:1 to
/// the PyTorch `state_dict`. An initializer not ending in ".weight" (e.g. the
/// "onnx::Conv_36" of a BatchNorm folded by the exporter) names the layer itself:
/// "onnx::Conv_36.weight", "onnx::Conv_36.bias" (listed in `renamed`).
public enum ONNXImporter {
    /// The supported operator types, for error messages.
    public static let supportedOperators = ["Add", "AveragePool", "BatchNormalization", "Constant", "Conv", "Div", "Dropout", "Flatten",
                                            "Gemm", "GlobalAveragePool", "Identity", "MatMul", "MaxPool", "Relu", "Reshape", "Sub"]
    /// Suffix of the side tensors holding pruning masks ("fc1.weight.rewind_mask").
    public static let maskSuffix = ".rewind_mask"
    /// Model metadata key of a declared network's initialisation scheme (written by `ONNXExporter`).
    public static let initializationKey = "rewind.initialization"

    /// Imports the model at `path`. `inputShape` (`[C, H, W]`) is needed only when the
    /// model's input is `[N, D]` and D is not a square (`[N, 784]` is read as
    /// `[1, 28, 28]`); `normalization` when the model has no Sub/Div normalisation nodes.
    public static func read(_ path: String, inputShape: [Int]? = nil, normalization: Normalization? = nil) throws -> ONNXImport {
        let model = try ONNXFile.read(path)
        var graph = GraphReader(file: path, graph: model.graph)
        var imported = try graph.read(inputShape: inputShape, normalization: normalization)
        if let scheme = model.metadataProps.first(where: { $0.key == initializationKey })?.value {
            guard GraphSpec.initializations[scheme] != nil else {
                throw ONNXError(file: path, "metadata \(initializationKey) is '\(scheme)'; expected one of \(GraphSpec.initializations.keys.sorted().joined(separator: ", "))")
            }
            imported.architecture.graph?.initialization = scheme
        }
        return imported
    }
}
