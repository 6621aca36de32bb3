import Engine
import Foundation

/// Between `onnx.TensorProto` and Rewind's tensors.
///
/// ONNX stores a tensor's elements either packed little-endian in `raw_data` or in
/// the typed repeated field (`float_data`, `int64_data`, `int32_data`); both are read.
/// Every size is checked against `dims` before anything is copied, so a malformed
/// tensor is an `ONNXError`, never a trap.
enum ONNXTensor {
    /// At most this many elements per tensor (2³¹ − 1, what protobuf's 2 GiB limit allows for bytes anyway).
    static let maximumElements = Int(Int32.max)

    /// The element count `dims` describe, checked (non-negative, bounded).
    static func elementCount(_ proto: Onnx_TensorProto, file: String) throws -> Int {
        var count = 1
        for dim in proto.dims {
            guard dim >= 0, dim <= Int64(maximumElements) else {
                throw ONNXError(file: file, "tensor '\(proto.name)' has dimension \(dim); expected 0 ... \(maximumElements)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dim))
            guard !overflow, product <= maximumElements else {
                throw ONNXError(file: file, "tensor '\(proto.name)' has \(proto.dims) elements, more than \(maximumElements)")
            }
            count = product
        }
        return count
    }

    /// A float32 tensor of `proto`'s shape and values (FLOAT or DOUBLE data).
    static func floats(_ proto: Onnx_TensorProto, file: String) throws -> Tensor {
        guard proto.dataLocation != .external else {
            throw ONNXError(file: file, "tensor '\(proto.name)' keeps its data in an external file; re-export with the weights inside the model (torch.onnx.export(..., external_data=False))")
        }
        let count = try elementCount(proto, file: file)
        let shape = proto.dims.map { Int($0) }
        let tensor = Tensor(shape: shape)
        switch proto.dataType {
        case Int32(Onnx_TensorProto.DataType.float.rawValue):
            if proto.hasRawData {
                try checkBytes(proto, count: count, width: 4, file: file)
                proto.rawData.withUnsafeBytes { raw in
                    for i in 0..<count { tensor[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                }
            } else {
                try checkCount(proto, proto.floatData.count, expected: count, file: file)
                for i in 0..<count { tensor[i] = proto.floatData[i] }
            }
        case Int32(Onnx_TensorProto.DataType.double.rawValue):
            if proto.hasRawData {
                try checkBytes(proto, count: count, width: 8, file: file)
                proto.rawData.withUnsafeBytes { raw in
                    for i in 0..<count { tensor[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
                }
            } else {
                try checkCount(proto, proto.doubleData.count, expected: count, file: file)
                for i in 0..<count { tensor[i] = Float(proto.doubleData[i]) }
            }
        default:
            throw ONNXError(file: file, "tensor '\(proto.name)' has data type \(typeName(proto.dataType)); expected float32 (or float64) weights")
        }
        return tensor
    }

    /// The integers of an INT64 or INT32 tensor (shapes for Reshape, axes).
    static func integers(_ proto: Onnx_TensorProto, file: String) throws -> [Int] {
        let count = try elementCount(proto, file: file)
        switch proto.dataType {
        case Int32(Onnx_TensorProto.DataType.int64.rawValue):
            return try littleEndian(Int64.self, proto, count: count, typed: proto.int64Data, file: file)
        case Int32(Onnx_TensorProto.DataType.int32.rawValue):
            return try littleEndian(Int32.self, proto, count: count, typed: proto.int32Data, file: file)
        default:
            throw ONNXError(file: file, "tensor '\(proto.name)' has data type \(typeName(proto.dataType)); expected int64 or int32")
        }
    }

    /// `count` integers of type `T`, from `raw_data` (little-endian) or else the typed field `typed`.
    private static func littleEndian<T: FixedWidthInteger>(_: T.Type, _ proto: Onnx_TensorProto, count: Int, typed: [T],
                                                            file: String) throws -> [Int] {
        if proto.hasRawData {
            try checkBytes(proto, count: count, width: MemoryLayout<T>.size, file: file)
            return proto.rawData.withUnsafeBytes { raw in
                (0..<count).map { Int(T(littleEndian: raw.loadUnaligned(fromByteOffset: MemoryLayout<T>.size * $0, as: T.self))) }
            }
        }
        try checkCount(proto, typed.count, expected: count, file: file)
        return typed.map { Int($0) }
    }

    /// 0/1 mask values of a UINT8 or BOOL tensor (Rewind's pruning masks), as floats.
    static func mask(_ proto: Onnx_TensorProto, file: String) throws -> Tensor {
        let count = try elementCount(proto, file: file)
        guard proto.dataType == Int32(Onnx_TensorProto.DataType.uint8.rawValue) || proto.dataType == Int32(Onnx_TensorProto.DataType.bool.rawValue) else {
            throw ONNXError(file: file, "mask '\(proto.name)' has data type \(typeName(proto.dataType)); expected uint8")
        }
        let bytes: [UInt8]
        if proto.hasRawData {
            try checkBytes(proto, count: count, width: 1, file: file)
            bytes = [UInt8](proto.rawData)
        } else {
            try checkCount(proto, proto.int32Data.count, expected: count, file: file)
            bytes = proto.int32Data.map { UInt8(truncatingIfNeeded: $0) }
        }
        guard bytes.allSatisfy({ $0 <= 1 }) else { throw ONNXError(file: file, "mask '\(proto.name)' holds values other than 0 and 1") }
        return Tensor(shape: proto.dims.map { Int($0) }, values: bytes.map { Float($0) })
    }

    // MARK: Writing

    /// A FLOAT tensor named `name` holding `tensor` (little-endian `raw_data`).
    static func proto(name: String, _ tensor: Tensor) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = tensor.shape.map { Int64($0) }
        proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        var data = Data(capacity: 4 * tensor.count)
        for value in tensor.buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        proto.rawData = data
        return proto
    }

    /// A UINT8 tensor named `name` holding a 0/1 mask.
    static func maskProto(name: String, _ mask: Tensor) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = mask.shape.map { Int64($0) }
        proto.dataType = Int32(Onnx_TensorProto.DataType.uint8.rawValue)
        proto.rawData = Data(mask.buffer.map { $0 != 0 ? 1 : 0 })
        return proto
    }

    /// An INT64 tensor named `name` holding `values` with shape `[values.count]`.
    static func int64Proto(name: String, _ values: [Int]) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = [Int64(values.count)]
        proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        proto.int64Data = values.map { Int64($0) }
        return proto
    }

    private static func checkBytes(_ proto: Onnx_TensorProto, count: Int, width: Int, file: String) throws {
        guard proto.rawData.count == count * width else {
            throw ONNXError(file: file, "tensor '\(proto.name)' has \(proto.rawData.count) bytes of data; its shape \(proto.dims) needs \(count * width)")
        }
    }

    private static func checkCount(_ proto: Onnx_TensorProto, _ found: Int, expected: Int, file: String) throws {
        guard found == expected else {
            throw ONNXError(file: file, "tensor '\(proto.name)' has \(found) values; its shape \(proto.dims) needs \(expected)")
        }
    }

    static func typeName(_ type: Int32) -> String {
        Onnx_TensorProto.DataType(rawValue: Int(type)).map { "\($0)" } ?? "\(type)"
    }
}
