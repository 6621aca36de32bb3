internal import CHDF5

/// An open HDF5 file.
///
/// Files Rewind creates are built in memory, use HDF5 1.10's object formats (see
/// `rw_H5F_LIBVER_V110`) and "semi" close: `close()` fails, rather than silently
/// leaving the file open, if any object inside it is still open.
final class HDF5File {
    let handle: HDF5Handle
    /// The file as the caller named it, for messages.
    let name: String

    private init(handle: HDF5Handle, name: String) {
        self.handle = handle
        self.name = name
    }

    /// Creates a file that exists only in memory (HDF5's core driver, no backing
    /// store); `image()` gives its bytes. Writing a checkpoint this way means every
    /// disk error happens in our own POSIX writes, never inside HDF5, whose files
    /// cannot be closed cleanly once a flush has failed. `identifier` is HDF5's name
    /// for it (unique among files open in memory); `name` names it in errors.
    static func createInMemory(identifier: String, name: String) throws -> HDF5File {
        let location = HDF5Location(file: name, path: "/")
        let access = try location.handle(H5Pcreate(rw_H5P_FILE_ACCESS()), .propertyList, "cannot create file properties")
        try location.check(H5Pset_fapl_core(access.id, 1 << 20, false), "cannot select the in-memory driver")
        try location.check(H5Pset_libver_bounds(access.id, rw_H5F_LIBVER_V110(), rw_H5F_LIBVER_V110()),
                           "cannot select the HDF5 1.10 file format")
        try location.check(H5Pset_fclose_degree(access.id, H5F_CLOSE_SEMI), "cannot set the close degree")
        let file = try location.handle(H5Fcreate(identifier, rw_H5F_ACC_TRUNC(), rw_H5P_DEFAULT(), access.id), .file,
                                       "cannot create the file in memory")
        return HDF5File(handle: file, name: name)
    }

    /// Opens the existing HDF5 file at `path`, read-only unless `writable`.
    static func open(at path: String, name: String, writable: Bool = false) throws -> HDF5File {
        let location = HDF5Location(file: name, path: "/")
        let mode = writable ? rw_H5F_ACC_RDWR() : rw_H5F_ACC_RDONLY()
        let file = try location.handle(H5Fopen(path, mode, rw_H5P_DEFAULT()), .file, "cannot open the file")
        return HDF5File(handle: file, name: name)
    }

    /// Whether `path` starts with (or, after a user block, contains) the HDF5
    /// signature; nil when the file cannot be read at all.
    static func hasSignature(_ path: String) -> Bool? {
        let answer = H5Fis_hdf5(path)
        _ = HDF5Library.takeErrorReason()
        return answer < 0 ? nil : answer > 0
    }

    /// The root group "/".
    func rootGroup() throws -> HDF5Group {
        let location = HDF5Location(file: name, path: "/")
        let group = try location.handle(H5Gopen2(handle.id, "/", rw_H5P_DEFAULT()), .group, "cannot open the root group")
        return HDF5Group(handle: group, location: location)
    }

    /// Writes every buffered byte of the file to its driver (the disk, or memory).
    func flush() throws {
        try HDF5Location(file: name, path: "/").check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "cannot flush the file")
    }

    /// The complete file, as it would be on disk (flushed first).
    func image() throws -> [UInt8] {
        let location = HDF5Location(file: name, path: "/")
        try flush()
        let size = try location.check(H5Fget_file_image(handle.id, nil, 0), "cannot size the file image")
        var bytes = [UInt8](repeating: 0, count: size)
        let copied = try location.check(bytes.withUnsafeMutableBytes { H5Fget_file_image(handle.id, $0.baseAddress, size) },
                                        "cannot copy the file image")
        guard copied == size else { throw location.error(.hdf5, "file image has \(copied) bytes, expected \(size)") }
        HDF5SuperblockChecksum.repair(&bytes)
        try Self.checkOpens(image: bytes, name: name)
        return bytes
    }

    /// Throws unless HDF5 can open `image` (read-only, in memory): the last check
    /// before the bytes go to disk.
    private static func checkOpens(image: [UInt8], name: String) throws {
        let location = HDF5Location(file: name, path: "/")
        let access = try location.handle(H5Pcreate(rw_H5P_FILE_ACCESS()), .propertyList, "cannot create file properties")
        try location.check(H5Pset_fapl_core(access.id, 1 << 20, false), "cannot select the in-memory driver")
        try location.check(image.withUnsafeBytes { H5Pset_file_image(access.id, UnsafeMutableRawPointer(mutating: $0.baseAddress), $0.count) },
                           "cannot hand the image to HDF5")
        let file = try location.handle(H5Fopen("\(name).verify", rw_H5F_ACC_RDONLY(), access.id), .file,
                                       "the file image HDF5 produced does not open")
        try location.check(file.close(), "cannot close the verified image")
    }

    /// Closes the file, reporting failures (a full disk may only show here).
    func close() throws {
        try HDF5Location(file: name, path: "/").check(handle.close(), "cannot close the file")
    }
}
