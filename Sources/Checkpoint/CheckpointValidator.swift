import Engine

/// Checks a checkpoint against its architecture and the schema's value rules.
///
/// The writer runs `validate(_:)` on the whole contents before touching the disk
/// (so nothing unreadable is ever written); the reader runs the individual checks
/// as it meets each object, before reading its data. Every error names the file
/// and the object's path in the file.
struct CheckpointValidator {
    let file: String
    let architecture: Architecture
    /// The architecture's parameters and buffers, in network order, with shapes.
    let parameterNames: [String]
    let bufferNames: [String]
    /// The parameters a mask may cover (the weights magnitude pruning acts on).
    let prunableNames: [String]
    private let parameterShapes: [String: [Int]]
    private let bufferShapes: [String: [Int]]

    /// Rebuilds the network of `architecture` (ModelZoo.build) to learn its names and shapes.
    init(architecture: Architecture, file: String) throws {
        let network: Network
        do {
            network = try ModelZoo.build(architecture)
        } catch {
            throw CheckpointError(.invalidValue, file: file, "attribute 'architecture' cannot be built: \(error)")
        }
        self.file = file
        self.architecture = architecture
        parameterNames = network.parameters.map(\.name)
        bufferNames = network.buffers.map(\.name)
        prunableNames = network.prunableParameterNames
        parameterShapes = Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, $0.value.shape) })
        bufferShapes = Dictionary(uniqueKeysWithValues: network.buffers.map { ($0.name, $0.value.shape) })
    }

    /// The location object `name` would have in group `group` ("/params/fc1.weight").
    func location(_ group: String, _ name: String) -> HDF5Location {
        HDF5Location(file: file, path: "/").child(group).child(name)
    }

    // MARK: Names and shapes

    /// The shape the architecture gives parameter `name`; an unknown name is an error.
    func parameterShape(_ name: String, at location: HDF5Location) throws -> [Int] {
        guard let shape = parameterShapes[name] else {
            throw location.error(.unexpected, "is not a parameter of \(architecture.model) (its parameters: "
                                 + "\(parameterNames.joined(separator: ", ")))")
        }
        return shape
    }

    /// The shape the architecture gives buffer `name`; an unknown name is an error.
    func bufferShape(_ name: String, at location: HDF5Location) throws -> [Int] {
        guard let shape = bufferShapes[name] else {
            let known = bufferNames.isEmpty ? "it has none" : "its buffers: \(bufferNames.joined(separator: ", "))"
            throw location.error(.unexpected, "is not a buffer of \(architecture.model) (\(known))")
        }
        return shape
    }

    /// Throws unless `shape` equals the architecture's `expected`.
    func checkShape(_ shape: [Int], expected: [Int], at location: HDF5Location) throws {
        guard shape == expected else {
            throw location.error(.shapeMismatch, "shape \(shape) does not match the architecture's \(expected)")
        }
    }

    /// Throws for the first name of `expected` not in `found`, inside `group`.
    func checkPresent(_ expected: [String], in found: Set<String>, group: String, what: String) throws {
        if let absent = expected.first(where: { !found.contains($0) }) {
            throw location(group, absent).error(.missing, "\(what) is missing (\(architecture.model) has it)")
        }
    }

    /// Throws unless `name` can be an HDF5 link or attribute name of ours.
    func checkName(_ name: String, at location: HDF5Location) throws {
        guard !name.isEmpty, name != ".", !name.contains("/") else {
            throw location.error(.invalidValue, "name '\(name)' is empty, '.' or contains '/'")
        }
    }

    // MARK: Values

    /// Throws if any element is NaN or infinite.
    func checkFinite(_ tensor: Tensor, at location: HDF5Location) throws {
        guard let first = tensor.buffer.firstIndex(where: { !$0.isFinite }) else { return }
        let count = tensor.buffer.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        throw location.error(.nonFinite, "\(count) non-finite values (first at flat index \(first): \(tensor[first]))")
    }

    /// Throws if any element is neither 0 nor 1.
    func checkMask(_ mask: Tensor, at location: HDF5Location) throws {
        guard let first = mask.buffer.firstIndex(where: { $0 != 0 && $0 != 1 }) else { return }
        throw location.error(.invalidMask, "value \(mask[first]) at flat index \(first); masks hold only 0 and 1")
    }

    /// Throws unless mask `name` covers a prunable parameter present in `parameters`
    /// whose pruned entries (mask 0) are exactly zero: a mask that disagrees with its
    /// weights would make the dense and the sparse inference paths give different answers.
    func checkMaskAgreement(_ name: String, mask: Tensor, parameters: [String: Tensor]) throws {
        let at = location(CheckpointSchema.Group.masks, name)
        guard prunableNames.contains(name) else {
            throw at.error(.unexpected, "masks /params/\(name), which is not prunable in \(architecture.model) "
                           + "(prunable: \(prunableNames.joined(separator: ", ")))")
        }
        guard let weights = parameters[name] else {
            throw at.error(.missing, "masks /params/\(name), which the file does not hold")
        }
        var count = 0, first = -1
        for i in 0..<mask.count where mask[i] == 0 && weights[i] != 0 {
            if first < 0 { first = i }
            count += 1
        }
        if count > 0 {
            throw at.error(.invalidMask, "\(count) weights of /params/\(name) are non-zero where the mask is 0 "
                           + "(first at flat index \(first): \(weights[first])); pruned weights must be exactly 0")
        }
    }

    /// Throws unless there is one finite mean and one positive finite std per input channel.
    func checkNormalization(_ normalization: Normalization, at location: HDF5Location) throws {
        let channels = architecture.inputShape[0]
        guard normalization.mean.count == channels, normalization.std.count == channels else {
            throw location.error(.invalidValue, "has \(normalization.mean.count) means and \(normalization.std.count) "
                                 + "stds for \(channels) input channels")
        }
        guard normalization.mean.allSatisfy(\.isFinite), normalization.std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw location.error(.invalidValue, "needs finite means and positive finite stds, got \(normalization)")
        }
    }

    /// Throws unless every slot tensor belongs to a parameter, has its shape and is finite.
    func checkOptimizer(_ snapshot: OptimizerSnapshot) throws {
        let group = HDF5Location(file: file, path: "/").child(CheckpointSchema.Group.optimizer)
        guard !snapshot.kind.isEmpty, snapshot.stepCount >= 0 else {
            throw group.error(.invalidValue, "kind '\(snapshot.kind)' and step_count \(snapshot.stepCount) "
                              + "must be non-empty and non-negative")
        }
        for (name, value) in snapshot.hyperparameters where !value.isFinite || name.isEmpty {
            throw group.error(.invalidValue, "hyperparameter '\(name)' = \(value) must be named and finite")
        }
        for (slot, tensors) in snapshot.slots {
            try checkName(slot, at: group.child(slot))
            for (name, tensor) in tensors {
                let at = group.child(slot).child(name)
                try checkShape(tensor.shape, expected: try parameterShape(name, at: at), at: at)
                try checkFinite(tensor, at: at)
            }
        }
    }

    // MARK: Whole contents

    /// Everything above, for contents about to be written.
    func validate(_ contents: CheckpointContents) throws {
        let root = HDF5Location(file: file, path: "/")
        try checkNormalization(contents.normalization, at: root.attribute(CheckpointSchema.RootAttribute.normalization))
        guard contents.step >= 0, contents.epoch >= 0 else {
            throw root.error(.invalidValue, "step \(contents.step) and epoch \(contents.epoch) must be non-negative")
        }
        for key in contents.attributes.keys {
            guard !key.isEmpty, !CheckpointSchema.RootAttribute.all.contains(key) else {
                throw root.attribute(key).error(.invalidValue, "is reserved by the schema (or empty); "
                                                + "choose another name for a free-form attribute")
            }
        }
        let parameters = CheckpointSchema.Group.parameters
        try checkPresent(parameterNames, in: Set(contents.parameters.keys), group: parameters, what: "parameter")
        for (name, tensor) in contents.parameters {
            let at = location(parameters, name)
            try checkShape(tensor.shape, expected: try parameterShape(name, at: at), at: at)
            try checkFinite(tensor, at: at)
        }
        for (name, mask) in contents.masks {
            let at = location(CheckpointSchema.Group.masks, name)
            try checkShape(mask.shape, expected: try parameterShape(name, at: at), at: at)
            try checkMask(mask, at: at)
            try checkMaskAgreement(name, mask: mask, parameters: contents.parameters)
        }
        let buffers = CheckpointSchema.Group.buffers
        try checkPresent(bufferNames, in: Set(contents.buffers.keys), group: buffers, what: "buffer")
        for (name, tensor) in contents.buffers {
            let at = location(buffers, name)
            try checkShape(tensor.shape, expected: try bufferShape(name, at: at), at: at)
            try checkFinite(tensor, at: at)
        }
        if let optimizer = contents.optimizer { try checkOptimizer(optimizer) }
        for name in contents.metrics.keys where name.isEmpty {
            throw root.child(CheckpointSchema.Group.metrics).error(.invalidValue, "a metric has an empty name")
        }
    }
}
