internal import CHDF5

/// An open HDF5 dataset: an n-dimensional array of numbers with attributes.
final class HDF5Dataset: HDF5Node {
    let handle: HDF5Handle
    let location: HDF5Location

    init(handle: HDF5Handle, location: HDF5Location) {
        self.handle = handle
        self.location = location
    }

    /// The dimensions, outermost first (`[]` for a scalar dataset).
    func shape() throws -> [Int] {
        let space = try location.handle(H5Dget_space(handle.id), .dataspace, "cannot read the dataspace")
        return try dataspaceShape(space, at: location)
    }

    /// The stored element type, or nil with a description when it is not a plain number.
    func elementType() throws -> (type: HDF5ElementType?, description: String) {
        let datatype = try location.handle(H5Dget_type(handle.id), .datatype, "cannot read the element type")
        return (HDF5ElementType(datatype: datatype.id), HDF5ElementType.describe(datatype: datatype.id))
    }

    /// Bytes the dataset occupies in the file (after compression).
    func storageSize() -> Int { Int(H5Dget_storage_size(handle.id)) }

    /// Reads every element into `buffer`, converting from the stored type to `T`
    /// (HDF5 clamps values out of `T`'s range). `buffer.count` must equal the
    /// number of elements.
    func read<T: HDF5Element>(into buffer: UnsafeMutableBufferPointer<T>) throws {
        let count = try shape().reduce(1, *)
        guard count == buffer.count else {
            throw location.error(.shapeMismatch, "holds \(count) elements, expected \(buffer.count)")
        }
        guard count > 0, let base = buffer.baseAddress else { return }
        try location.check(H5Dread(handle.id, T.memoryType, rw_H5S_ALL(), rw_H5S_ALL(), rw_H5P_DEFAULT(), base),
                           "cannot read the data")
    }

    /// Every element as `T`, row-major.
    func read<T: HDF5Element & Numeric>(as type: T.Type) throws -> [T] {
        let count = try shape().reduce(1, *)
        var values = [T](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try read(into: $0) }
        return values
    }
}

extension HDF5Group {
    /// Creates dataset `name` of `shape` from `values` (row-major, `T` in memory),
    /// stored as `fileType` (HDF5 converts, e.g. `Int` to uint16) with `layout`.
    @discardableResult
    func createDataset<T: HDF5Element>(_ name: String, shape: [Int], values: UnsafeBufferPointer<T>,
                                       fileType: HDF5ElementType = T.defaultFileType,
                                       layout: HDF5DatasetLayout = .contiguous) throws -> HDF5Dataset {
        let target = location.child(name)
        precondition(values.count == shape.reduce(1, *), "\(target.path): \(values.count) values for shape \(shape)")
        let space = try makeDataspace(shape, at: target)
        let elementSize = H5Tget_size(fileType.fileType)
        let properties = try layout.creationProperties(shape: shape, elementSize: elementSize, at: target)
        let dataset = try target.handle(
            H5Dcreate2(handle.id, name, fileType.fileType, space.id, rw_H5P_DEFAULT(), properties.id, rw_H5P_DEFAULT()),
            .dataset, "cannot create dataset")
        if let base = values.baseAddress, values.count > 0 {
            try target.check(H5Dwrite(dataset.id, T.memoryType, rw_H5S_ALL(), rw_H5S_ALL(), rw_H5P_DEFAULT(), base),
                             "cannot write the data")
        }
        return HDF5Dataset(handle: dataset, location: target)
    }

    /// `createDataset` for an array.
    @discardableResult
    func createDataset<T: HDF5Element>(_ name: String, shape: [Int], values: [T],
                                       fileType: HDF5ElementType = T.defaultFileType,
                                       layout: HDF5DatasetLayout = .contiguous) throws -> HDF5Dataset {
        try values.withUnsafeBufferPointer {
            try createDataset(name, shape: shape, values: $0, fileType: fileType, layout: layout)
        }
    }

    /// Opens existing dataset `name`; a missing or non-dataset child is a `.missing` error.
    func openDataset(_ name: String) throws -> HDF5Dataset {
        let target = location.child(name)
        guard try childKind(name) == .dataset else {
            throw target.error(.missing, try contains(name) ? "is not a dataset" : "dataset is missing")
        }
        let dataset = try target.handle(H5Dopen2(handle.id, name, rw_H5P_DEFAULT()), .dataset, "cannot open dataset")
        return HDF5Dataset(handle: dataset, location: target)
    }
}
