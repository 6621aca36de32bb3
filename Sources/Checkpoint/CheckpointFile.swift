import AtomicFile
/// Reading and writing Rewind checkpoints: HDF5 files in schema v1
/// (docs/checkpoint-format.md).
///
/// Not for concurrent use on the same path. Different files may be read and
/// written from different threads: Debian's HDF5 is thread-safe (it serialises
/// its calls), and each call here owns its handles.
public enum CheckpointFile {
    /// The schema version this Rewind writes and reads.
    public static let schemaVersion = CheckpointSchema.version

    /// Writes `contents` to `path`, atomically: the file at `path` is either the
    /// previous one, untouched, or the complete new one. The HDF5 file is built in
    /// memory, then written to a temporary file in the same directory, fsynced and
    /// renamed over `path` (`AtomicFile`).
    ///
    /// The contents are validated against their architecture first (names,
    /// shapes, finite values, 0/1 masks), so what is written can be read back.
    /// `.sparse` stores every parameter that has a mask in CSR form and throws if a
    /// weight outside its mask is non-zero (the sparse form would drop it).
    public static func write(_ contents: CheckpointContents, to path: String, format: CheckpointFormat = .dense) throws {
        HDF5Library.prepare()
        try CheckpointValidator(architecture: contents.architecture, file: path).validate(contents)
        let image = try makeImage(of: contents, format: format, name: path)
        do {
            try AtomicFile.replace(path, with: image)
        } catch let error as AtomicFileError {
            throw CheckpointError(.io, file: path, error.message)
        }
    }

    /// The bytes of the HDF5 file for `contents`, built in memory.
    private static func makeImage(of contents: CheckpointContents, format: CheckpointFormat, name: String) throws -> [UInt8] {
        let file = try HDF5File.createInMemory(identifier: AtomicFile.temporaryPath(for: name), name: name)
        try CheckpointWriter(contents: contents, format: format).write(into: file)
        let image = try file.image()
        try file.close()
        return image
    }

    /// Reads and validates the checkpoint at `path` (dense or sparse; CSR
    /// parameters come back dense with their masks).
    public static func read(_ path: String) throws -> CheckpointContents {
        HDF5Library.prepare()
        return try CheckpointReader(path: path).read()
    }
}
