import Foundation

/// One array of a NumPy `.npy` file (format versions 1-3): its shape, element type
/// and raw little-endian bytes.
///
/// Layout: magic `\x93NUMPY`, version `major minor`, header length (2 bytes
/// little-endian in v1, 4 bytes in v2/v3), then an ASCII Python dict such as
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }` padded with
/// spaces, then the elements in C order. Every size is checked before reading.
public struct NPYArray {
    /// Element types Rewind reads, by `descr` ('|' or '<' byte order, or '=' on little-endian machines).
    public enum ElementType: String, Sendable {
        case uint8 = "u1", int8 = "i1", uint16 = "u2", int16 = "i2", uint32 = "u4", int32 = "i4"
        case uint64 = "u8", int64 = "i8", float32 = "f4", float64 = "f8"

        public var byteWidth: Int { Int(rawValue.dropFirst())! }
        public var isInteger: Bool { rawValue.first != "f" }
    }

    public let shape: [Int]
    public let type: ElementType
    /// `shape.product * type.byteWidth` bytes.
    public let bytes: Data

    /// Headers longer than this are refused (NumPy writes 128 bytes or a few more).
    static let maximumHeaderBytes = 65_536

    /// Parses `data`, the contents of a `.npy` file or `.npz` member; `name` is used in errors
    /// (e.g. "data.npz: x_train.npy").
    public init(_ data: Data, name: String) throws {
        func fail(_ why: String) -> DataError { .malformed(path: name, reason: why) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard data.count >= 10, Array(data.prefix(6)) == magic else { throw fail("not a NumPy .npy array (bad magic)") }
        let base = data.startIndex
        let major = data[base + 6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[base + 8]) | Int(data[base + 9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else { throw fail("truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[base + 8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw fail(".npy format version \(major); expected 1, 2 or 3")
        }
        guard headerLength <= NPYArray.maximumHeaderBytes, data.count >= headerStart + headerLength else {
            throw fail("truncated or oversized .npy header (\(headerLength) bytes)")
        }
        let header = String(decoding: data[(base + headerStart)..<(base + headerStart + headerLength)], as: UTF8.self)
        guard let descr = NPYArray.field("descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")),
              let fortran = NPYArray.field("fortran_order", in: header)?.trimmingCharacters(in: .whitespaces),
              let shapeText = NPYArray.field("shape", in: header) else {
            throw fail("malformed .npy header \(header.trimmingCharacters(in: .whitespacesAndNewlines)); expected descr, fortran_order and shape")
        }
        guard let order = descr.first, "<|=".contains(order), let type = ElementType(rawValue: String(descr.dropFirst())) else {
            throw fail("dtype '\(descr)'; expected little-endian uint8, int8-64, uint16-64, float32 or float64")
        }
        guard fortran == "False" else { throw fail("fortran_order is \(fortran); expected C order (np.ascontiguousarray)") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() ")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        var count = 1
        for dim in dims {
            guard let value = Int(dim), value >= 0 else { throw fail("shape (\(shapeText)) is not a tuple of non-negative integers") }
            let (product, overflow) = count.multipliedReportingOverflow(by: value)
            guard !overflow, product <= Int(Int32.max) else { throw fail("shape (\(shapeText)) has too many elements") }
            count = product
            shape.append(value)
        }
        let start = base + headerStart + headerLength, needed = count * type.byteWidth
        guard data.endIndex - start == needed else {
            throw fail("holds \(data.endIndex - start) data bytes; shape \(shape) of \(type) needs \(needed)")
        }
        self.shape = shape
        self.type = type
        self.bytes = data[start...]
    }

    /// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
    static func field(_ key: String, in header: String) -> String? {
        guard let range = header.range(of: "'\(key)':") else { return nil }
        var depth = 0, value = ""
        for character in header[range.upperBound...] {
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if (character == "," && depth == 0) || character == "}" { break }
            value.append(character)
        }
        return value
    }

    /// Element count.
    public var count: Int { shape.reduce(1, *) }

    /// Element `i` as a Double (exact for every integer type up to 2⁵³).
    public func element(_ i: Int) -> Double {
        bytes.withUnsafeBytes { raw in
            let offset = i * type.byteWidth
            switch type {
            case .uint8: return Double(raw[offset])
            case .int8: return Double(Int8(bitPattern: raw[offset]))
            case .uint16: return Double(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            case .int16: return Double(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
            case .uint32: return Double(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            case .int32: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
            case .uint64: return Double(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            case .int64: return Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
            case .float32: return Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))))
            case .float64: return Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
            }
        }
    }

    /// The bytes of a `.npy` (version 1) file holding `values` as float32 with `shape`.
    public static func encode(float32 values: [Float], shape: [Int]) -> Data {
        encode(descr: "<f4", shape: shape, body: values.withUnsafeBytes { Data($0) })
    }

    /// The bytes of a `.npy` (version 1) file holding `values` as uint8 with `shape`.
    public static func encode(uint8 values: [UInt8], shape: [Int]) -> Data {
        encode(descr: "|u1", shape: shape, body: Data(values))
    }

    /// The bytes of a `.npy` (version 1) file holding `values` as int64 with `shape`.
    public static func encode(int64 values: [Int64], shape: [Int]) -> Data {
        encode(descr: "<i8", shape: shape, body: values.map(\.littleEndian).withUnsafeBytes { Data($0) })
    }

    private static func encode(descr: String, shape: [Int], body: Data) -> Data {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }"
        // Pad so that magic (6) + version (2) + length (2) + header is a multiple of 64, ending in '\n'.
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(body)
        return data
    }
}
