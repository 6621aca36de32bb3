internal import CHDF5

/// The numeric element types Rewind stores, as HDF5 file types (always
/// little-endian, so files are the same on every machine).
enum HDF5ElementType: Equatable, Sendable, CustomStringConvertible {
    case float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64

    /// The HDF5 type used in the file.
    var fileType: hid_t {
        switch self {
        case .float32: return rw_H5T_IEEE_F32LE()
        case .float64: return rw_H5T_IEEE_F64LE()
        case .int8: return rw_H5T_STD_I8LE()
        case .int16: return rw_H5T_STD_I16LE()
        case .int32: return rw_H5T_STD_I32LE()
        case .int64: return rw_H5T_STD_I64LE()
        case .uint8: return rw_H5T_STD_U8LE()
        case .uint16: return rw_H5T_STD_U16LE()
        case .uint32: return rw_H5T_STD_U32LE()
        case .uint64: return rw_H5T_STD_U64LE()
        }
    }

    /// The numpy name ("float32", "uint16"), used in messages and docs.
    var description: String {
        switch self {
        case .float32: return "float32"
        case .float64: return "float64"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        }
    }

    var isInteger: Bool { self != .float32 && self != .float64 }

    /// Bytes per element.
    var byteCount: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// The narrowest unsigned type whose range holds `0...maximum`.
    static func narrowestUnsigned(holding maximum: Int) -> HDF5ElementType {
        precondition(maximum >= 0)
        switch UInt64(maximum) {
        case 0...UInt64(UInt8.max): return .uint8
        case 0...UInt64(UInt16.max): return .uint16
        case 0...UInt64(UInt32.max): return .uint32
        default: return .uint64
        }
    }

    /// The element type of an HDF5 datatype, or nil if it is not a plain number
    /// (strings, enums, compounds, big-endian or odd-sized types are read through
    /// HDF5's conversion when numeric, so only class, size and sign matter here).
    init?(datatype: hid_t) {
        let size = H5Tget_size(datatype)
        switch H5Tget_class(datatype) {
        case H5T_FLOAT:
            switch size {
            case 4: self = .float32
            case 8: self = .float64
            default: return nil
            }
        case H5T_INTEGER:
            let signed = H5Tget_sign(datatype) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): self = .int8
            case (2, true): self = .int16
            case (4, true): self = .int32
            case (8, true): self = .int64
            case (1, false): self = .uint8
            case (2, false): self = .uint16
            case (4, false): self = .uint32
            case (8, false): self = .uint64
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A short name for any HDF5 datatype, for "found X, expected Y" messages.
    static func describe(datatype: hid_t) -> String {
        if let known = HDF5ElementType(datatype: datatype) { return known.description }
        switch H5Tget_class(datatype) {
        case H5T_STRING: return "string"
        case H5T_ENUM: return "enum (h5py stores numpy bool as an enum; use uint8)"
        case H5T_COMPOUND: return "compound"
        case H5T_ARRAY: return "array type"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_REFERENCE: return "reference"
        case H5T_OPAQUE: return "opaque"
        case H5T_BITFIELD: return "bitfield"
        default: return "unknown type (\(H5Tget_size(datatype)) bytes)"
        }
    }
}

/// A Swift type whose values HDF5 can read and write in memory, converting to and
/// from the file's element type as needed (e.g. `Int` in memory, uint16 on disk).
protocol HDF5Element {
    /// The native HDF5 memory type of `Self`.
    static var memoryType: hid_t { get }
    /// The file type used when nothing narrower is asked for.
    static var defaultFileType: HDF5ElementType { get }
}

extension Float: HDF5Element {
    static var memoryType: hid_t { rw_H5T_NATIVE_FLOAT() }
    static var defaultFileType: HDF5ElementType { .float32 }
}

extension Double: HDF5Element {
    static var memoryType: hid_t { rw_H5T_NATIVE_DOUBLE() }
    static var defaultFileType: HDF5ElementType { .float64 }
}

extension UInt8: HDF5Element {
    static var memoryType: hid_t { rw_H5T_NATIVE_UINT8() }
    static var defaultFileType: HDF5ElementType { .uint8 }
}

extension Int32: HDF5Element {
    static var memoryType: hid_t { rw_H5T_NATIVE_INT32() }
    static var defaultFileType: HDF5ElementType { .int32 }
}

extension Int64: HDF5Element {
    static var memoryType: hid_t { rw_H5T_NATIVE_INT64() }
    static var defaultFileType: HDF5ElementType { .int64 }
}

extension UInt64: HDF5Element {
    static var memoryType: hid_t { rw_H5T_NATIVE_UINT64() }
    static var defaultFileType: HDF5ElementType { .uint64 }
}

extension Int: HDF5Element {
    static var memoryType: hid_t {
        MemoryLayout<Int>.size == 8 ? rw_H5T_NATIVE_INT64() : rw_H5T_NATIVE_INT32()
    }
    static var defaultFileType: HDF5ElementType { .int64 }
}
