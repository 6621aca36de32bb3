internal import CHDF5

/// An open HDF5 group: a directory of named groups and datasets, with attributes.
final class HDF5Group: HDF5Node {
    let handle: HDF5Handle
    let location: HDF5Location

    init(handle: HDF5Handle, location: HDF5Location) {
        self.handle = handle
        self.location = location
    }

    /// What a child link points at.
    enum ChildKind: Equatable {
        case group, dataset, other
    }

    /// Creates child group `name`. Modification times are not recorded.
    func createGroup(_ name: String) throws -> HDF5Group {
        let target = location.child(name)
        let properties = try target.handle(H5Pcreate(rw_H5P_GROUP_CREATE()), .propertyList,
                                           "cannot create group properties")
        try target.check(H5Pset_obj_track_times(properties.id, false), "cannot disable time tracking")
        let group = try target.handle(H5Gcreate2(handle.id, name, rw_H5P_DEFAULT(), properties.id, rw_H5P_DEFAULT()),
                                      .group, "cannot create group")
        return HDF5Group(handle: group, location: target)
    }

    /// Opens child group `name`; a missing or non-group child is a `.missing` error.
    func openGroup(_ name: String) throws -> HDF5Group {
        let target = location.child(name)
        guard try childKind(name) == .group else {
            throw target.error(.missing, try contains(name) ? "is not a group" : "group is missing")
        }
        let group = try target.handle(H5Gopen2(handle.id, name, rw_H5P_DEFAULT()), .group, "cannot open group")
        return HDF5Group(handle: group, location: target)
    }

    /// Whether a link called `name` exists in this group.
    func contains(_ name: String) throws -> Bool {
        try location.check(H5Lexists(handle.id, name, rw_H5P_DEFAULT()), "cannot look up '\(name)'") > 0
    }

    /// What child `name` is, or nil if there is no such link.
    func childKind(_ name: String) throws -> ChildKind? {
        guard try contains(name) else { return nil }
        let object = try location.child(name).handle(H5Oopen(handle.id, name, rw_H5P_DEFAULT()), .object,
                                                     "cannot open object")
        switch H5Iget_type(object.id) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// The names of every link in this group, in HDF5's name order.
    func childNames() throws -> [String] {
        var info = H5G_info_t()
        try location.check(H5Gget_info(handle.id, &info), "cannot list the group")
        return try (0..<info.nlinks).map { index in
            let length = try location.check(
                H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, rw_H5P_DEFAULT()),
                "cannot read link name \(index)")
            var name = [CChar](repeating: 0, count: Int(length) + 1)
            try location.check(
                H5Lget_name_by_idx(handle.id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &name, name.count, rw_H5P_DEFAULT()),
                "cannot read link name \(index)")
            return String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Deletes link `name` (the object's space is not reclaimed until the file is repacked).
    func removeChild(_ name: String) throws {
        try location.child(name).check(H5Ldelete(handle.id, name, rw_H5P_DEFAULT()), "cannot delete")
    }
}
