internal import CHDF5

/// Where an HDF5 object lives, for error messages: the file as the caller named
/// it and the object's absolute path inside the file.
struct HDF5Location: Sendable {
    /// The file as the caller named it (the target path, also while writing its temporary).
    let file: String
    /// The absolute object path, "/" for the root group.
    let path: String
    /// The attribute of the object this location is about, if any.
    var attribute: String? = nil

    /// The location of attribute `name` of this object.
    func attribute(_ name: String) -> HDF5Location {
        HDF5Location(file: file, path: path, attribute: name)
    }

    /// The location of child `name` of this group.
    func child(_ name: String) -> HDF5Location {
        HDF5Location(file: file, path: path == "/" ? "/" + name : path + "/" + name)
    }

    /// An error about this object (the root is named only by the file), prefixed
    /// with the attribute's name when the location is an attribute.
    func error(_ kind: CheckpointError.Kind, _ message: String) -> CheckpointError {
        let text = attribute.map { "attribute '\($0)' \(message)" } ?? message
        return CheckpointError(kind, file: file, object: path == "/" ? nil : path, text)
    }

    /// An error for a failed HDF5 call, `doing` followed by HDF5's own innermost reason.
    func failure(_ doing: String) -> CheckpointError {
        let reason = HDF5Library.takeErrorReason()
        return error(.hdf5, reason.isEmpty ? doing : "\(doing) (HDF5: \(reason))")
    }

    /// Throws `failure(doing)` when an HDF5 status or identifier is negative.
    @discardableResult
    func check<Status: BinaryInteger>(_ status: Status, _ doing: @autoclosure () -> String) throws -> Status {
        if status < 0 { throw failure(doing()) }
        return status
    }

    /// Wraps a new identifier in a handle, or throws `failure(doing)` if HDF5 returned an error.
    func handle(_ id: hid_t, _ kind: HDF5Handle.Kind, _ doing: @autoclosure () -> String) throws -> HDF5Handle {
        if id < 0 { throw failure(doing()) }
        return HDF5Handle(id, kind)
    }
}
