internal import CHDF5

/// An open HDF5 object that can carry attributes: a group or a dataset.
protocol HDF5Node: AnyObject {
    var handle: HDF5Handle { get }
    var location: HDF5Location { get }
}

/// Makes a dataspace of `shape` (a scalar dataspace for `[]`).
func makeDataspace(_ shape: [Int], at location: HDF5Location) throws -> HDF5Handle {
    if shape.isEmpty {
        return try location.handle(H5Screate(H5S_SCALAR), .dataspace, "cannot create a scalar dataspace")
    }
    var dimensions = shape.map { hsize_t($0) }
    return try location.handle(H5Screate_simple(Int32(dimensions.count), &dimensions, nil), .dataspace,
                               "cannot create a dataspace of shape \(shape)")
}

/// The dimensions of dataspace `space` (`[]` for a scalar).
func dataspaceShape(_ space: HDF5Handle, at location: HDF5Location) throws -> [Int] {
    let rank = try location.check(H5Sget_simple_extent_ndims(space.id), "cannot read the rank")
    var dimensions = [hsize_t](repeating: 0, count: Int(rank))
    try location.check(H5Sget_simple_extent_dims(space.id, &dimensions, nil), "cannot read the shape")
    return dimensions.map { Int($0) }
}
