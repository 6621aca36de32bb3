internal import CHDF5

/// An attribute's value as read from a file, typed by what is stored.
enum HDF5AttributeValue: Equatable {
    /// A single string (variable-length or fixed-length, UTF-8 or ASCII).
    case string(String)
    /// Integers of any width and sign, widened (a scalar is one element).
    case integers([Int64], scalar: Bool)
    /// Unsigned 64-bit integers, kept unsigned so values above `Int64.max` survive.
    case unsignedIntegers([UInt64], scalar: Bool)
    /// Floating-point numbers of any width, widened.
    case floats([Double], scalar: Bool)
    /// Anything else; the payload describes the type.
    case other(String)
}

extension HDF5Node {
    // MARK: Writing

    /// Sets string attribute `name` as a variable-length UTF-8 string, which h5py reads as `str`.
    func setAttribute(_ name: String, string value: String) throws {
        let target = attributeLocation(name)
        let datatype = try target.handle(H5Tcopy(rw_H5T_C_S1()), .datatype, "cannot make a string type")
        try target.check(H5Tset_size(datatype.id, rw_H5T_VARIABLE()), "cannot make the string type variable-length")
        try target.check(H5Tset_cset(datatype.id, H5T_CSET_UTF8), "cannot make the string type UTF-8")
        try value.withCString { characters in
            var pointer: UnsafePointer<CChar>? = characters
            try writeAttribute(name, datatype: datatype.id, memoryType: datatype.id, shape: [], values: &pointer)
        }
    }

    /// Sets numeric attribute `name` to the scalar `value`, stored as `T`'s default file type.
    func setAttribute<T: HDF5Element>(_ name: String, scalar value: T) throws {
        try writeNumbers(name, [value], shape: [])
    }

    /// Sets numeric attribute `name` to the 1-D array `values`, stored as `T`'s default file type.
    func setAttribute<T: HDF5Element>(_ name: String, array values: [T]) throws {
        try writeNumbers(name, values, shape: [values.count])
    }

    private func writeNumbers<T: HDF5Element>(_ name: String, _ values: [T], shape: [Int]) throws {
        var copy = values
        var placeholder: UInt64 = 0  // H5Awrite wants a non-null buffer even for zero elements
        try copy.withUnsafeMutableBytes { bytes in
            try withUnsafeMutableBytes(of: &placeholder) { empty in
                try writeAttribute(name, datatype: T.defaultFileType.fileType, memoryType: T.memoryType,
                                   shape: shape, values: bytes.baseAddress ?? empty.baseAddress!)
            }
        }
    }

    /// Deletes attribute `name` if present.
    func removeAttribute(_ name: String) throws {
        let target = attributeLocation(name)
        if try target.check(H5Aexists(handle.id, name), "cannot look up the attribute") > 0 {
            try target.check(H5Adelete(handle.id, name), "cannot delete the attribute")
        }
    }

    /// The one writer behind every `setAttribute`: replaces attribute `name` with
    /// `values` (`memoryType` in memory, `datatype` in the file) of `shape`.
    private func writeAttribute(_ name: String, datatype: hid_t, memoryType: hid_t, shape: [Int],
                                values: UnsafeMutableRawPointer) throws {
        let target = attributeLocation(name)
        try removeAttribute(name)
        let space = try makeDataspace(shape, at: target)
        let attribute = try target.handle(H5Acreate2(handle.id, name, datatype, space.id, rw_H5P_DEFAULT(), rw_H5P_DEFAULT()),
                                          .attribute, "cannot create the attribute")
        try target.check(H5Awrite(attribute.id, memoryType, values), "cannot write the attribute")
    }

    // MARK: Reading

    /// The names of every attribute, in name order.
    func attributeNames() throws -> [String] {
        var names: [String] = []
        var index: hsize_t = 0
        let status = withUnsafeMutablePointer(to: &names) { pointer in
            H5Aiterate2(handle.id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                context!.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name!))
                return 0
            }, pointer)
        }
        try location.check(status, "cannot list the attributes")
        return names
    }

    /// Whether attribute `name` exists.
    func hasAttribute(_ name: String) throws -> Bool {
        try attributeLocation(name).check(H5Aexists(handle.id, name), "cannot look up the attribute") > 0
    }

    /// Attribute `name`, typed by what is stored; a missing attribute is a `.missing` error.
    func attribute(_ name: String) throws -> HDF5AttributeValue {
        guard try hasAttribute(name) else {
            throw attributeLocation(name).error(.missing, "is missing")
        }
        let target = attributeLocation(name)
        let attribute = try target.handle(H5Aopen(handle.id, name, rw_H5P_DEFAULT()), .attribute, "cannot open the attribute")
        let datatype = try target.handle(H5Aget_type(attribute.id), .datatype, "cannot read the attribute's type")
        let space = try target.handle(H5Aget_space(attribute.id), .dataspace, "cannot read the attribute's dataspace")
        let shape = try dataspaceShape(space, at: target)
        let count = shape.reduce(1, *), scalar = shape.isEmpty || shape == [1]

        func numbers<T: HDF5Element & Numeric>(_ type: T.Type) throws -> [T] {
            var values = [T](repeating: 0, count: count)
            if count > 0 {
                try target.check(values.withUnsafeMutableBytes { H5Aread(attribute.id, T.memoryType, $0.baseAddress!) },
                                 "cannot read the attribute")
            }
            return values
        }

        if H5Tget_class(datatype.id) == H5T_STRING {
            guard count == 1 else { return .other("array of \(count) strings") }
            return .string(try readString(attribute: attribute, datatype: datatype, at: target))
        }
        switch HDF5ElementType(datatype: datatype.id) {
        case .uint64?: return .unsignedIntegers(try numbers(UInt64.self), scalar: scalar)
        case let type? where type.isInteger: return .integers(try numbers(Int64.self), scalar: scalar)
        case .some: return .floats(try numbers(Double.self), scalar: scalar)
        case nil: return .other(HDF5ElementType.describe(datatype: datatype.id))
        }
    }

    /// Reads a single string, variable- or fixed-length; fixed strings end at their
    /// first NUL (or lose trailing spaces when space-padded).
    private func readString(attribute: HDF5Handle, datatype: HDF5Handle, at target: HDF5Location) throws -> String {
        if try target.check(H5Tis_variable_str(datatype.id), "cannot inspect the string type") > 0 {
            var pointer: UnsafeMutablePointer<CChar>? = nil
            try target.check(H5Aread(attribute.id, datatype.id, &pointer), "cannot read the string")
            defer { if let pointer { H5free_memory(pointer) } }
            return pointer.map { String(cString: $0) } ?? ""
        }
        var bytes = [UInt8](repeating: 0, count: H5Tget_size(datatype.id))
        try target.check(bytes.withUnsafeMutableBytes { H5Aread(attribute.id, datatype.id, $0.baseAddress!) },
                         "cannot read the string")
        var text = bytes.prefix { $0 != 0 }
        if H5Tget_strpad(datatype.id) == H5T_STR_SPACEPAD {
            while text.last == UInt8(ascii: " ") { text.removeLast() }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Errors about an attribute name the owning object and the attribute.
    private func attributeLocation(_ name: String) -> HDF5Location { location.attribute(name) }
}
