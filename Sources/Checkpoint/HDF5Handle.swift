internal import CHDF5

/// An open HDF5 identifier that is closed exactly once: by `close()` when the
/// caller wants to see the result (a file's close flushes, and can fail on a full
/// disk), otherwise by `deinit`, so every handle is released on every path,
/// including thrown errors.
final class HDF5Handle {
    /// What the identifier refers to, which decides the `H5?close` that releases it.
    enum Kind {
        case file, group, dataset, attribute, dataspace, datatype, propertyList, object
    }

    let id: hid_t
    let kind: Kind
    private var isOpen = true

    /// Takes ownership of `id`, which must be valid (non-negative).
    init(_ id: hid_t, _ kind: Kind) {
        precondition(id >= 0, "HDF5Handle: invalid identifier \(id)")
        self.id = id
        self.kind = kind
    }

    /// Closes the identifier now and reports HDF5's status (negative on failure).
    /// Later calls, and `deinit`, do nothing.
    @discardableResult
    func close() -> herr_t {
        guard isOpen else { return 0 }
        isOpen = false
        switch kind {
        case .file: return H5Fclose(id)
        case .group: return H5Gclose(id)
        case .dataset: return H5Dclose(id)
        case .attribute: return H5Aclose(id)
        case .dataspace: return H5Sclose(id)
        case .datatype: return H5Tclose(id)
        case .propertyList: return H5Pclose(id)
        case .object: return H5Oclose(id)
        }
    }

    deinit { close() }
}
