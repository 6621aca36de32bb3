import Engine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and validates a schema-v1 checkpoint (docs/checkpoint-format.md).
///
/// Checks run in the order a person would want to hear about them: is it a file,
/// is it HDF5, is it whole, is it a Rewind checkpoint, of a version we read, then
/// object by object against the architecture (rebuilt with `ModelZoo.build`), each
/// shape checked before its data is read. The first problem is thrown as a
/// `CheckpointError` naming the file and the object.
struct CheckpointReader {
    /// The file to read, as the caller named it.
    let path: String

    func read() throws -> CheckpointContents {
        let file = try openFile()
        return try withExtendedLifetime(file) { try readContents(of: file.rootGroup()) }
    }

    // MARK: The file

    /// Opens `path`, telling apart a missing file, a non-HDF5 file and a truncated one.
    private func openFile() throws -> HDF5File {
        guard access(path, F_OK) == 0 else {
            throw CheckpointError(.fileNotFound, file: path, "no such file")
        }
        guard access(path, R_OK) == 0 else {
            throw CheckpointError(.corrupt, file: path, "cannot be read: \(String(cString: strerror(errno)))")
        }
        switch HDF5File.hasSignature(path) {
        case nil:
            throw CheckpointError(.corrupt, file: path, "HDF5 cannot read the file")
        case false?:
            throw CheckpointError(.notHDF5, file: path, "not an HDF5 file (no HDF5 signature)")
        case true?:
            break
        }
        do {
            return try HDF5File.open(at: path, name: path)
        } catch let error as CheckpointError {
            // HDF5 compares the end-of-file address in the superblock with the file's
            // size on open; a short file fails with "truncated file: eof = ...".
            if error.message.contains("truncated file") {
                var detail = ""
                if let size = error.message.integer(after: " eof = "),
                   let expected = error.message.integer(after: "stored_eof = ") {
                    detail = ": \(size) of \(expected) bytes"
                }
                throw CheckpointError(.truncated, file: path, "the file is truncated\(detail) (an interrupted write or copy?)")
            }
            throw CheckpointError(.corrupt, file: path, "HDF5 signature present but the file cannot be opened: "
                                  + error.message)
        }
    }

    // MARK: Root

    private func readContents(of root: HDF5Group) throws -> CheckpointContents {
        typealias Name = CheckpointSchema.RootAttribute
        try checkFormatAndVersion(root)
        let required = [Name.architecture, Name.normalization, Name.step, Name.epoch, Name.seed]
        let missing = try required.filter { try !root.hasAttribute($0) }
        guard missing.isEmpty else {
            throw CheckpointError(.missing, file: path, "missing root attribute\(missing.count > 1 ? "s" : "") "
                                  + missing.map { "'\($0)'" }.joined(separator: ", ") + " (schema v1 requires "
                                  + required.joined(separator: ", ") + ")")
        }
        let architecture = try decodeJSON(Architecture.self, root, Name.architecture)
        let validator = try CheckpointValidator(architecture: architecture, file: path)
        let normalization = try decodeJSON(Normalization.self, root, Name.normalization)
        try validator.checkNormalization(normalization, at: root.location.attribute(Name.normalization))
        let step = try nonNegative(root, Name.step), epoch = try nonNegative(root, Name.epoch)
        let seed = try root.unsignedAttribute(Name.seed)
        let recipe = try root.hasAttribute(Name.recipe) ? try root.stringAttribute(Name.recipe) : nil
        let schedule = try root.hasAttribute(Name.schedule)
            ? try decodeJSON(LearningRateSchedule.self, root, Name.schedule) : nil
        var attributes: [String: String] = [:]
        for name in try root.attributeNames() where !Name.all.contains(name) {
            attributes[name] = try root.stringAttribute(name)
        }

        typealias Group = CheckpointSchema.Group
        for name in try root.childNames() where !Group.all.contains(name) {
            throw root.location.child(name).error(.unexpected, "is not part of schema v1 (its groups: "
                                                  + "\(Group.all.sorted().joined(separator: ", ")))")
        }
        let (parameters, csrMasks) = try readParameters(root.openGroup(Group.parameters), validator)
        var masks = csrMasks
        if try root.contains(Group.masks) {
            for (name, mask) in try readMasks(root.openGroup(Group.masks), validator) {
                guard csrMasks[name] == nil else {
                    throw validator.location(Group.masks, name).error(.unexpected, "duplicates the mask implied by the "
                                                                      + "CSR structure of /params/\(name)")
                }
                try validator.checkMaskAgreement(name, mask: mask, parameters: parameters)
                masks[name] = mask
            }
        }
        let buffers = try root.contains(Group.buffers) ? try readBuffers(root.openGroup(Group.buffers), validator) : [:]
        try validator.checkPresent(validator.bufferNames, in: Set(buffers.keys), group: Group.buffers, what: "buffer")
        let optimizer = try root.contains(Group.optimizer)
            ? try readOptimizer(root.openGroup(Group.optimizer), csrMasks: csrMasks, validator) : nil
        let metrics = try root.contains(Group.metrics) ? try readMetrics(root.openGroup(Group.metrics)) : [:]

        return CheckpointContents(architecture: architecture, normalization: normalization, parameters: parameters,
                                  masks: masks, buffers: buffers, optimizer: optimizer, schedule: schedule,
                                  step: step, epoch: epoch, seed: seed, recipe: recipe, metrics: metrics,
                                  attributes: attributes)
    }

    /// format == "rewind.checkpoint" and version == 1, or a message that says which.
    private func checkFormatAndVersion(_ root: HDF5Group) throws {
        typealias Name = CheckpointSchema.RootAttribute
        let expected = CheckpointSchema.formatTag, supported = CheckpointSchema.version
        guard try root.hasAttribute(Name.format) else {
            throw CheckpointError(.wrongFormat, file: path, "not a Rewind checkpoint (no root attribute "
                                  + "'format' = '\(expected)')")
        }
        let format = try root.stringAttribute(Name.format)
        guard format == expected else {
            throw CheckpointError(.wrongFormat, file: path, "format is '\(format)', expected '\(expected)': "
                                  + "not a Rewind checkpoint")
        }
        let version = try root.integerAttribute(Name.version)
        if version > supported {
            throw CheckpointError(.unsupportedVersion, file: path, "checkpoint version \(version) is newer than this "
                                  + "Rewind reads (version \(supported)); upgrade Rewind")
        }
        guard version == supported else {
            throw CheckpointError(.unsupportedVersion, file: path, "unknown checkpoint version \(version); this Rewind "
                                  + "reads version \(supported)")
        }
    }

    // MARK: Groups

    /// Every parameter, dense or CSR, with the masks CSR groups imply.
    private func readParameters(_ group: HDF5Group, _ validator: CheckpointValidator) throws
        -> (parameters: [String: Tensor], masks: [String: Tensor]) {
        var parameters: [String: Tensor] = [:], masks: [String: Tensor] = [:]
        for name in try group.childNames() {
            let at = group.location.child(name)
            let shape = try validator.parameterShape(name, at: at)
            switch try group.childKind(name) {
            case .dataset?:
                parameters[name] = try readTensor(group.openDataset(name), as: .float32, shape: shape, validator)
            case .group?:
                (parameters[name], masks[name]) = try readCSR(group.openGroup(name), shape: shape, validator)
            default:
                throw at.error(.unexpected, "is neither a dataset nor a CSR group")
            }
        }
        try validator.checkPresent(validator.parameterNames, in: Set(parameters.keys),
                                   group: CheckpointSchema.Group.parameters, what: "parameter")
        return (parameters, masks)
    }

    private func readMasks(_ group: HDF5Group, _ validator: CheckpointValidator) throws -> [String: Tensor] {
        try readTensors(in: group, as: .uint8, validator) { name, at in try validator.parameterShape(name, at: at) }
    }

    private func readBuffers(_ group: HDF5Group, _ validator: CheckpointValidator) throws -> [String: Tensor] {
        try readTensors(in: group, as: .float32, validator) { name, at in try validator.bufferShape(name, at: at) }
    }

    /// `/optimizer`: attrs kind, step_count, hyperparameters; one group per slot of
    /// float32 datasets named and shaped like the parameters, or, in a sparse export,
    /// holding only the values at a CSR parameter's stored positions (`csr_structure`).
    private func readOptimizer(_ group: HDF5Group, csrMasks: [String: Tensor], _ validator: CheckpointValidator) throws -> OptimizerSnapshot {
        typealias Name = CheckpointSchema.OptimizerAttribute
        try checkAttributes(of: group, are: [Name.kind, Name.stepCount, Name.hyperparameters])
        let kind = try group.stringAttribute(Name.kind)
        let stepCount = try nonNegative(group, Name.stepCount)
        let hyperparameters = try decodeJSON([String: Double].self, group, Name.hyperparameters)
        var slots: [String: [String: Tensor]] = [:]
        for slot in try group.childNames() {
            let slotGroup = try group.openGroup(slot)
            var tensors: [String: Tensor] = [:]
            for name in try slotGroup.childNames() {
                let at = slotGroup.location.child(name)
                let shape = try validator.parameterShape(name, at: at)
                let dataset = try slotGroup.openDataset(name)
                if try dataset.hasAttribute(CheckpointSchema.CSR.structureAttribute) {
                    // A sparse export's slot values, in the CSR order of their weight.
                    let structure = try dataset.stringAttribute(CheckpointSchema.CSR.structureAttribute)
                    guard structure == "/\(CheckpointSchema.Group.parameters)/\(name)", let mask = csrMasks[name] else {
                        throw at.error(.invalidValue, "csr_structure is '\(structure)'; expected the CSR group /\(CheckpointSchema.Group.parameters)/\(name)")
                    }
                    let kept = mask.values.reduce(0) { $0 + Int($1) }
                    let stored = try readTensor(dataset, as: .float32, shape: [kept], validator)
                    guard let tensor = CSRParameter.expand(stored, mask: mask) else {
                        throw at.error(.invalidValue, "holds \(stored.count) values for \(kept) stored weights")
                    }
                    tensors[name] = tensor
                } else {
                    tensors[name] = try readTensor(dataset, as: .float32, shape: shape, validator)
                }
            }
            slots[slot] = tensors
        }
        let snapshot = OptimizerSnapshot(kind: kind, stepCount: stepCount, hyperparameters: hyperparameters, slots: slots)
        try validator.checkOptimizer(snapshot)
        return snapshot
    }

    /// `/metrics`: one numeric attribute per metric.
    private func readMetrics(_ group: HDF5Group) throws -> [String: Double] {
        if let child = try group.childNames().first {
            throw group.location.child(child).error(.unexpected, "metrics are attributes of /metrics, not objects")
        }
        var metrics: [String: Double] = [:]
        for name in try group.attributeNames() { metrics[name] = try group.doubleAttribute(name) }
        return metrics
    }

    // MARK: Tensors

    /// Every dataset of `group`, each checked against the shape `expectedShape` gives its name.
    private func readTensors(in group: HDF5Group, as type: HDF5ElementType, _ validator: CheckpointValidator,
                             expectedShape: (String, HDF5Location) throws -> [Int]) throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for name in try group.childNames() {
            let shape = try expectedShape(name, group.location.child(name))
            tensors[name] = try readTensor(group.openDataset(name), as: type, shape: shape, validator)
        }
        return tensors
    }

    /// A dataset stored as `type` (float32 values or uint8 masks) of the expected
    /// shape, read as Float and checked (finite values, 0/1 masks).
    private func readTensor(_ dataset: HDF5Dataset, as type: HDF5ElementType, shape expected: [Int],
                            _ validator: CheckpointValidator) throws -> Tensor {
        try checkElementType(of: dataset, is: type)
        let shape = try dataset.shape()
        try validator.checkShape(shape, expected: expected, at: dataset.location)
        let tensor = Tensor(shape: shape)
        try dataset.read(into: tensor.buffer)
        if type == .uint8 {
            try validator.checkMask(tensor, at: dataset.location)
        } else {
            try validator.checkFinite(tensor, at: dataset.location)
        }
        return tensor
    }

    /// A CSR group: attrs format="csr" and shape; datasets data (float32), indices
    /// and indptr (any integer type). Returns the dense tensor and its mask.
    private func readCSR(_ group: HDF5Group, shape expected: [Int], _ validator: CheckpointValidator) throws
        -> (Tensor, Tensor) {
        typealias CSR = CheckpointSchema.CSR
        try checkAttributes(of: group, are: [CSR.formatAttribute, CSR.shapeAttribute])
        let format = try group.stringAttribute(CSR.formatAttribute)
        guard format == CSR.formatTag else {
            throw group.location.error(.invalidValue, "sparse format '\(format)' is not one this Rewind reads "
                                       + "('\(CSR.formatTag)')")
        }
        let shape = try group.integerArrayAttribute(CSR.shapeAttribute)
        try validator.checkShape(shape, expected: expected, at: group.location)
        for name in try group.childNames() where ![CSR.data, CSR.indices, CSR.indptr].contains(name) {
            throw group.location.child(name).error(.unexpected, "is not part of a CSR group (data, indices, indptr)")
        }
        let rows = shape[0], columns = shape.dropFirst().reduce(1, *), capacity = rows * columns
        let data = try group.openDataset(CSR.data), indices = try group.openDataset(CSR.indices)
        let indptr = try group.openDataset(CSR.indptr)
        try checkElementType(of: data, is: .float32)
        try checkIntegerType(of: indices)
        try checkIntegerType(of: indptr)
        let stored = try data.shape()
        guard stored.count == 1, stored[0] <= capacity, try indices.shape() == stored,
              try indptr.shape() == [rows + 1] else {
            throw group.location.error(.invalidCSR, "data \(stored), indices \(try indices.shape()) and indptr "
                                       + "\(try indptr.shape()) must be 1-D with data and indices of equal length "
                                       + "(at most \(capacity)) and indptr of rows + 1 = \(rows + 1)")
        }
        // Indices are read as Int32, the kernels' index type; HDF5 clamps larger values,
        // which the range checks then reject.
        let matrix: CSRMatrix
        do {
            matrix = try CSRMatrix(rows: rows, columns: columns, rowOffsets: indptr.read(as: Int32.self),
                                   columnIndices: indices.read(as: Int32.self), values: data.read(as: Float.self))
        } catch let error as CSRMatrixError {
            throw group.location.error(.invalidCSR, "\(error)")
        }
        let (values, mask) = CSRParameter.decode(matrix, shape: shape)
        try validator.checkFinite(values, at: data.location)
        return (values, mask)
    }

    // MARK: Helpers

    private func checkElementType(of dataset: HDF5Dataset, is expected: HDF5ElementType) throws {
        let (type, description) = try dataset.elementType()
        guard type == expected else {
            throw dataset.location.error(.typeMismatch, "dtype \(description), expected \(expected)")
        }
    }

    private func checkIntegerType(of dataset: HDF5Dataset) throws {
        let (type, description) = try dataset.elementType()
        guard type?.isInteger == true else {
            throw dataset.location.error(.typeMismatch, "dtype \(description), expected an integer type")
        }
    }

    /// Throws if `node` has an attribute outside `names`.
    private func checkAttributes(of node: HDF5Node, are names: Set<String>) throws {
        for name in try node.attributeNames() where !names.contains(name) {
            throw node.location.attribute(name).error(.unexpected, "is not part of schema v1 here (expected "
                                                      + "\(names.sorted().joined(separator: ", ")))")
        }
    }

    private func nonNegative(_ node: HDF5Node, _ name: String) throws -> Int {
        let value = try node.integerAttribute(name)
        guard value >= 0 else { throw node.location.attribute(name).error(.invalidValue, "is \(value), expected >= 0") }
        return value
    }

    /// A string attribute holding JSON of `type`.
    private func decodeJSON<T: Decodable>(_ type: T.Type, _ node: HDF5Node, _ name: String) throws -> T {
        let text = try node.stringAttribute(name)
        do {
            return try CheckpointSchema.decodeJSON(type, from: text)
        } catch let error as DecodingError {
            throw node.location.attribute(name).error(.invalidValue, "is not valid \(T.self) JSON: \(error.oneLine)")
        } catch {
            throw node.location.attribute(name).error(.invalidValue, "is not valid \(T.self) JSON")
        }
    }
}

private extension String {
    /// The decimal integer right after the first `marker`, if any.
    func integer(after marker: String) -> Int? {
        guard let range = range(of: marker) else { return nil }
        return Int(self[range.upperBound...].prefix { $0.isNumber })
    }
}
