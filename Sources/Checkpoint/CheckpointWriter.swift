import Engine

/// Lays out `CheckpointContents` in an open HDF5 file as schema v1
/// (docs/checkpoint-format.md). The contents must have passed
/// `CheckpointValidator.validate`; `CheckpointFile.write` sees to that.
struct CheckpointWriter {
    let contents: CheckpointContents
    let format: CheckpointFormat

    /// What a dataset holds, which decides whether compressing it pays.
    private enum Role {
        /// float32 values: near-random mantissas; shuffle + deflate saves ~10% (more on zeros).
        case values
        /// uint8 masks and CSR index arrays: few distinct values, deflate saves most bytes.
        case structure
    }

    func write(into file: HDF5File) throws {
        let root = try file.rootGroup()
        try writeRootAttributes(root)
        try writeParameters(into: root.createGroup(CheckpointSchema.Group.parameters))
        let masks = try root.createGroup(CheckpointSchema.Group.masks)
        if format == .dense {  // in the sparse format every masked parameter is CSR: its structure is its mask
            for (name, mask) in contents.masks.sorted(by: { $0.key < $1.key }) {
                try writeTensor(mask, named: name, into: masks, as: .uint8, role: .structure)
            }
        }
        let buffers = try root.createGroup(CheckpointSchema.Group.buffers)
        for (name, tensor) in contents.buffers.sorted(by: { $0.key < $1.key }) {
            try writeTensor(tensor, named: name, into: buffers, as: .float32, role: .values)
        }
        if let optimizer = contents.optimizer {
            try writeOptimizer(optimizer, into: root.createGroup(CheckpointSchema.Group.optimizer))
        }
        let metrics = try root.createGroup(CheckpointSchema.Group.metrics)
        for (name, value) in contents.metrics.sorted(by: { $0.key < $1.key }) {
            try metrics.setAttribute(name, scalar: value)
        }
    }

    private func writeRootAttributes(_ root: HDF5Group) throws {
        typealias Name = CheckpointSchema.RootAttribute
        try root.setAttribute(Name.format, string: CheckpointSchema.formatTag)
        try root.setAttribute(Name.version, scalar: Int64(CheckpointSchema.version))
        try root.setAttribute(Name.architecture, string: CheckpointSchema.encodeJSON(contents.architecture))
        try root.setAttribute(Name.normalization, string: CheckpointSchema.encodeJSON(contents.normalization))
        try root.setAttribute(Name.step, scalar: Int64(contents.step))
        try root.setAttribute(Name.epoch, scalar: Int64(contents.epoch))
        try root.setAttribute(Name.seed, scalar: contents.seed)
        if let recipe = contents.recipe { try root.setAttribute(Name.recipe, string: recipe) }
        if let schedule = contents.schedule {
            try root.setAttribute(Name.schedule, string: CheckpointSchema.encodeJSON(schedule))
        }
        for (name, value) in contents.attributes.sorted(by: { $0.key < $1.key }) {
            try root.setAttribute(name, string: value)
        }
    }

    /// Dense parameters as float32 datasets; in the sparse format, masked ones as CSR groups.
    private func writeParameters(into group: HDF5Group) throws {
        for (name, tensor) in contents.parameters.sorted(by: { $0.key < $1.key }) {
            if format == .sparse, let mask = contents.masks[name] {
                try writeCSR(tensor, mask: mask, named: name, into: group)
            } else {
                try writeTensor(tensor, named: name, into: group, as: .float32, role: .values)
            }
        }
    }

    /// Group `name` with attrs format="csr" and shape, and datasets data (float32),
    /// indices and indptr (each the narrowest unsigned type for its range).
    private func writeCSR(_ tensor: Tensor, mask: Tensor, named name: String, into parent: HDF5Group) throws {
        typealias CSR = CheckpointSchema.CSR
        let matrix: CSRMatrix
        do {
            matrix = try CSRParameter.encode(tensor, mask: mask)
        } catch let problem as CSRParameter.Problem {
            throw parent.location.child(name).error(.invalidValue, problem.message)
        }
        let group = try parent.createGroup(name)
        try group.setAttribute(CSR.formatAttribute, string: CSR.formatTag)
        try group.setAttribute(CSR.shapeAttribute, array: tensor.shape.map { Int64($0) })
        let stored = matrix.nonZeroCount
        try group.createDataset(CSR.data, shape: [stored], values: matrix.values,
                                layout: layout(.values, bytes: stored * 4))
        let indexType = HDF5ElementType.narrowestUnsigned(holding: max(matrix.columns - 1, 0))
        try group.createDataset(CSR.indices, shape: [stored], values: matrix.columnIndices, fileType: indexType,
                                layout: layout(.structure, bytes: stored * indexType.byteCount))
        let pointerType = HDF5ElementType.narrowestUnsigned(holding: stored)
        try group.createDataset(CSR.indptr, shape: [matrix.rows + 1], values: matrix.rowOffsets, fileType: pointerType,
                                layout: layout(.structure, bytes: (matrix.rows + 1) * pointerType.byteCount))
    }

    /// `/optimizer`: attrs kind, step_count, hyperparameters (JSON); one group per slot.
    /// In the sparse format a masked parameter's slot tensor (momentum, exp_avg,
    /// exp_avg_sq: exactly zero where the weight is pruned) keeps only its values at
    /// the weight's stored positions, in CSR order, as a 1-D dataset whose attribute
    /// `csr_structure` names the CSR group it shares indices and indptr with; the
    /// optimizer state then shrinks with sparsity like the weights. A slot tensor that
    /// is not zero outside the mask is stored dense, so nothing is ever dropped.
    private func writeOptimizer(_ snapshot: OptimizerSnapshot, into group: HDF5Group) throws {
        typealias Name = CheckpointSchema.OptimizerAttribute
        try group.setAttribute(Name.kind, string: snapshot.kind)
        try group.setAttribute(Name.stepCount, scalar: Int64(snapshot.stepCount))
        try group.setAttribute(Name.hyperparameters, string: CheckpointSchema.encodeJSON(snapshot.hyperparameters))
        for (slot, tensors) in snapshot.slots.sorted(by: { $0.key < $1.key }) {
            let slotGroup = try group.createGroup(slot)
            for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
                if format == .sparse, let mask = contents.masks[name], CSRParameter.isZeroOutside(tensor, mask: mask) {
                    let values = CSRParameter.storedValues(tensor, mask: mask)
                    let dataset = try slotGroup.createDataset(name, shape: [values.count], values: values,
                                                              layout: layout(.values, bytes: values.count * 4))
                    try dataset.setAttribute(CheckpointSchema.CSR.structureAttribute,
                                             string: "/\(CheckpointSchema.Group.parameters)/\(name)")
                } else {
                    try writeTensor(tensor, named: name, into: slotGroup, as: .float32, role: .values)
                }
            }
        }
    }

    private func writeTensor(_ tensor: Tensor, named name: String, into group: HDF5Group,
                             as fileType: HDF5ElementType, role: Role) throws {
        try group.createDataset(name, shape: tensor.shape, values: UnsafeBufferPointer(tensor.buffer),
                                fileType: fileType, layout: layout(role, bytes: tensor.count * fileType.byteCount))
    }

    /// Compression where it pays: structure (masks, CSR indices) always; values only
    /// in sparse exports, the compact form. Dense checkpoints are the working format
    /// of training and the pruning loop (written and read back every level), so their
    /// values stay contiguous: plain float32 that any tool can map. Nothing below
    /// `CheckpointSchema.compressionThresholdBytes` is compressed.
    private func layout(_ role: Role, bytes: Int) -> HDF5DatasetLayout {
        guard bytes >= CheckpointSchema.compressionThresholdBytes else { return .contiguous }
        switch (role, format) {
        case (.structure, _), (.values, .sparse): return .compressed(level: CheckpointSchema.deflateLevel)
        case (.values, .dense): return .contiguous
        }
    }
}
