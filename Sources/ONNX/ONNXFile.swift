import Foundation
import SwiftProtobuf

/// Reading and writing `.onnx` files: a serialised `onnx.ModelProto` (protobuf,
/// messages generated from `Generated/onnx.proto` by scripts/generate-onnx-swift.sh).
public enum ONNXFile {
    /// Files larger than this are refused before reading (protobuf messages are limited
    /// to 2 GiB; larger ONNX models keep weights in external data files, which Rewind
    /// does not read).
    public static let maximumBytes = 2_000_000_000

    /// The model stored at `path`. Throws `ONNXError` for a missing, oversized or
    /// malformed (truncated, not protobuf) file; never traps.
    public static func read(_ path: String) throws -> Onnx_ModelProto {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw ONNXError(file: path, "file not found (expected an ONNX model, e.g. from torch.onnx.export)")
        }
        let size = (attributes[.size] as? Int) ?? 0
        guard size <= maximumBytes else {
            throw ONNXError(file: path, "\(size) bytes; expected at most \(maximumBytes) (external-data ONNX files are not supported)")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ONNXError(file: path, "cannot be read") }
        guard !data.isEmpty else { throw ONNXError(file: path, "empty file; expected an ONNX model") }
        let model: Onnx_ModelProto
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
        return model
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
