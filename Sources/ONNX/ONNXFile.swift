import Foundation
import SwiftProtobuf

/// Reading and writing `.onnx` files: a serialised `onnx.ModelProto` (protobuf,
/// messages generated from `Generated/onnx.proto` by scripts/generate-onnx-swift.sh).
public enum ONNXFile {
    /// Files larger than this are refused before reading (protobuf messages are limited
    /// to 2 GiB; larger ONNX models keep their weights in external data files).
    public static let maximumBytes = 2_000_000_000

    /// The model stored at `path`. Throws `ONNXError` for a missing, oversized or
    /// malformed (truncated, not protobuf) file; never traps.
    public static func read(_ path: String) throws -> Onnx_ModelProto {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ONNXError(file: path, "file not found (expected an ONNX model, e.g. from torch.onnx.export)")
        }
        let size = (attributes[.size] as? Int) ?? 0
        guard size <= maximumBytes else {
            throw ONNXError(file: path, "\(size) bytes; expected at most \(maximumBytes) (keep large weights in external data)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ONNXError(file: path, "cannot be read") }
        guard !data.isEmpty else { throw ONNXError(file: path, "empty file; expected an ONNX model") }
        var model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ONNXError(file: path, "not a valid ONNX model (protobuf decoding failed: \(error)); is the file truncated?")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw ONNXError(file: path, "holds no graph nodes; expected an ONNX model (the file may be truncated or not ONNX)")
        }
        for index in model.graph.initializer.indices where model.graph.initializer[index].dataLocation == .external {
            try loadExternalData(&model.graph.initializer[index], modelPath: path)
        }
        return model
    }

    /// Reads an initializer's data from the file its `external_data` names (what
    /// PyTorch's dynamo exporter writes by default: `model.onnx.data` beside the model)
    /// into `raw_data`. The entries are `location` (a path relative to the model's
    /// folder, which may not leave it), `offset` (default 0) and `length` (default: to
    /// the end of the file); both are checked against the file's size.
    static func loadExternalData(_ tensor: inout Onnx_TensorProto, modelPath: String) throws {
        let entries = Dictionary(tensor.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let name = tensor.name
        guard let location = entries["location"], !location.isEmpty, !location.hasPrefix("/"),
              !location.split(separator: "/").contains("..") else {
            throw ONNXError(file: modelPath, "tensor '\(name)' has external data at '\(entries["location"] ?? "")'; expected a file name beside the model")
        }
        let dataPath = URL(fileURLWithPath: modelPath).deletingLastPathComponent().appendingPathComponent(location).path
        guard let handle = FileHandle(forReadingAtPath: dataPath) else {
            throw ONNXError(file: modelPath, "tensor '\(name)' keeps its data in '\(location)', which cannot be read (keep it beside the model, or export with external_data=False)")
        }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        guard let offset = Int(entries["offset"] ?? "0"), offset >= 0, offset <= size,
              let length = Int(entries["length"] ?? "\(size - offset)"), length >= 0, offset + length <= size else {
            throw ONNXError(file: modelPath, "tensor '\(name)': external data offset \(entries["offset"] ?? "0") and length \(entries["length"] ?? "-") lie outside '\(location)' (\(size) bytes)")
        }
        try handle.seek(toOffset: UInt64(offset))
        tensor.rawData = try handle.read(upToCount: length) ?? Data()
        tensor.externalData = []
        tensor.clearDataLocation()
    }

    /// Writes `model` to `path` (through a temporary file, so a failed write leaves
    /// no partial model).
    public static func write(_ model: Onnx_ModelProto, to path: String) throws {
        let data: Data = try model.serializedBytes()
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ONNXError(file: path, "cannot be written: \(error.localizedDescription)")
        }
    }
}
