/// A checkpoint that cannot be read or written, as one line a person can act on:
/// `file: object: message`, e.g.
/// `checkpoints/x.h5: /params/fc1.weight: shape [300, 700] does not match the architecture's [300, 784]`.
///
/// `kind` lets code (and tests) tell the failures apart without parsing the text.
public struct CheckpointError: Error, Equatable, CustomStringConvertible, Sendable {
    /// What went wrong, one case per failure a caller may want to tell apart.
    public enum Kind: String, Equatable, Sendable {
        /// The file does not exist.
        case fileNotFound
        /// The file is not HDF5 at all (no HDF5 signature).
        case notHDF5
        /// The file is shorter than its HDF5 superblock says (an interrupted copy or write).
        case truncated
        /// HDF5 could not open or read the file for another reason.
        case corrupt
        /// An HDF5 file, but not a Rewind checkpoint (format tag missing or different).
        case wrongFormat
        /// A schema version this Rewind does not read.
        case unsupportedVersion
        /// A required dataset, group or attribute is absent.
        case missing
        /// An object the schema (or the architecture) does not have.
        case unexpected
        /// A tensor's shape differs from the architecture's.
        case shapeMismatch
        /// A dataset or attribute has the wrong element type.
        case typeMismatch
        /// NaN or infinity in a tensor.
        case nonFinite
        /// A mask value other than 0 or 1.
        case invalidMask
        /// A CSR group whose structure scipy would reject or misread.
        case invalidCSR
        /// A well-typed value that is not acceptable (bad JSON, unknown model, reserved name, ...).
        case invalidValue
        /// An HDF5 call failed while writing or reading (message carries HDF5's reason).
        case hdf5
        /// A POSIX step of the atomic write failed (fsync, rename).
        case io
    }

    public var kind: Kind
    /// The file as the caller named it.
    public var file: String
    /// The HDF5 object path ("/params/fc1.weight"), or nil when the error is about the whole file.
    public var object: String?
    /// What is wrong, without the file and object.
    public var message: String

    public init(_ kind: Kind, file: String, object: String? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.object = object
        self.message = message
    }

    public var description: String {
        [file, object, message].compactMap { $0 }.joined(separator: ": ")
    }
}
