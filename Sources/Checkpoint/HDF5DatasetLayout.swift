internal import CHDF5

/// How a dataset's bytes are laid out in the file.
///
/// Contiguous storage is one raw block: fastest to read, no overhead, no
/// compression. Chunked storage splits the dataset into chunks that pass through
/// filters: byte shuffle (groups the i-th bytes of every element together, so the
/// mostly-constant high bytes of small integers and float exponents form long runs)
/// followed by deflate (zlib).
enum HDF5DatasetLayout: Equatable, Sendable {
    case contiguous
    /// Chunked, shuffled, deflated at `level` (1...9).
    case compressed(level: Int)

    /// The largest chunk, in bytes: HDF5's default chunk cache is 1 MiB, and a
    /// chunk that fits it is read in one piece.
    static let maximumChunkBytes = 1 << 20

    /// A dataset-creation property list for this layout and a dataset of `shape`
    /// with `elementSize`-byte elements. Empty datasets are always contiguous
    /// (HDF5 rejects zero-sized chunks). Modification times are not recorded, so
    /// the file's bytes depend only on its contents.
    func creationProperties(shape: [Int], elementSize: Int, at location: HDF5Location) throws -> HDF5Handle {
        let properties = try location.handle(H5Pcreate(rw_H5P_DATASET_CREATE()), .propertyList,
                                             "cannot create dataset properties")
        try location.check(H5Pset_obj_track_times(properties.id, false), "cannot disable time tracking")
        guard case .compressed(let level) = self, !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) else {
            return properties
        }
        var chunk = Self.chunkShape(for: shape, elementSize: elementSize).map { hsize_t($0) }
        try location.check(H5Pset_chunk(properties.id, Int32(chunk.count), &chunk), "cannot set chunk shape \(chunk)")
        try location.check(H5Pset_shuffle(properties.id), "cannot enable the shuffle filter")
        try location.check(H5Pset_deflate(properties.id, UInt32(level)), "cannot enable deflate")
        return properties
    }

    /// The chunk shape for `shape`: whole trailing dimensions and as many leading
    /// rows as fit in `maximumChunkBytes` (at least one row), so that a 1-D array
    /// of up to 1 MiB, or a typical weight matrix, is a single chunk.
    static func chunkShape(for shape: [Int], elementSize: Int) -> [Int] {
        let rowElements = shape.dropFirst().reduce(1, *)
        let rows = max(1, min(shape[0], maximumChunkBytes / max(1, rowElements * elementSize)))
        return [rows] + shape.dropFirst()
    }
}
