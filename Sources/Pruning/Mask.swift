import Engine

/// Which weights of each prunable parameter survive: 1 keeps a weight, 0 prunes it.
///
/// A `Mask` is a value: pruning returns a new mask and never edits one in place.
/// Invariants (checked by `validate`): every entry is exactly 0 or 1, every shape
/// matches its parameter, and along a pruning run masks only shrink
/// (`isSubset(of:)`): a weight once pruned never comes back.
public struct Mask: Equatable, Sendable {
    /// Prunable parameter names, in network order.
    public let names: [String]
    /// Shapes by name.
    public let shapes: [String: [Int]]
    /// 0/1 values by name, row-major like the parameter.
    public private(set) var values: [String: [Float]]

    /// The all-ones mask (nothing pruned) for `names` of `network`.
    public init(allOnesFor network: Network, names: [String]? = nil) {
        let chosen = names ?? network.prunableParameterNames
        self.names = chosen
        var shapes: [String: [Int]] = [:], values: [String: [Float]] = [:]
        for name in chosen {
            let p = network.parameter(named: name)!
            shapes[name] = p.value.shape
            values[name] = [Float](repeating: 1, count: p.value.count)
        }
        self.shapes = shapes
        self.values = values
    }

    /// A mask from explicit values; throws if a value is not 0 or 1 or a count is off.
    public init(names: [String], shapes: [String: [Int]], values: [String: [Float]]) throws {
        self.names = names
        self.shapes = shapes
        self.values = values
        try validate()
    }

    /// Checks that every entry is 0 or 1 and every count matches its shape.
    public func validate() throws {
        for name in names {
            guard let shape = shapes[name], let v = values[name] else { throw PruningError.invalidMask("no entry for '\(name)'") }
            guard v.count == shape.reduce(1, *) else {
                throw PruningError.invalidMask("'\(name)' has \(v.count) entries for shape \(shape)")
            }
            if let bad = v.first(where: { $0 != 0 && $0 != 1 }) {
                throw PruningError.invalidMask("'\(name)' holds \(bad); masks hold only 0 and 1")
            }
        }
    }

    /// Replaces the values of one parameter (used by criteria).
    mutating func set(_ name: String, _ newValues: [Float]) {
        precondition(newValues.count == values[name]!.count)
        values[name] = newValues
    }

    /// Surviving weights of `name`.
    public func remaining(_ name: String) -> Int { values[name]!.reduce(0) { $0 + Int($1) } }
    /// Total weights of `name`.
    public func size(_ name: String) -> Int { values[name]!.count }
    /// Fraction of `name`'s weights pruned, in [0, 1].
    public func sparsity(_ name: String) -> Double { 1 - Double(remaining(name)) / Double(max(size(name), 1)) }
    /// Per-parameter sparsity.
    public var layerSparsity: [String: Double] { Dictionary(uniqueKeysWithValues: names.map { ($0, sparsity($0)) }) }
    /// Surviving weights over all masked parameters.
    public var totalRemaining: Int { names.reduce(0) { $0 + remaining($1) } }
    /// All masked weights.
    public var totalSize: Int { names.reduce(0) { $0 + size($1) } }
    /// Fraction of all masked weights that survive, in [0, 1].
    public var weightsRemaining: Double { Double(totalRemaining) / Double(max(totalSize, 1)) }
    /// Fraction of all masked weights pruned.
    public var sparsity: Double { 1 - weightsRemaining }

    /// Whether every weight this mask keeps is also kept by `other` (masks only shrink).
    public func isSubset(of other: Mask) -> Bool {
        names == other.names && names.allSatisfy { name in
            zip(values[name]!, other.values[name]!).allSatisfy { $0 <= $1 }
        }
    }

    /// Multiplies each masked parameter of `network` by its mask (pruned weights become exactly 0).
    public func apply(to network: Network) {
        for name in names { multiply(network.parameter(named: name)!.value, name) }
    }

    /// `tensor ← tensor ⊙ mask[name]`.
    public func multiply(_ tensor: Tensor, _ name: String) {
        values[name]!.withUnsafeBufferPointer { m in
            let t = tensor.pointer
            for i in 0..<tensor.count { t[i] *= m[i] }
        }
    }

    /// A 16-hex-digit FNV-1a hash of the names, shapes and 0/1 entries: what a resume
    /// point stores instead of the mask itself (`ResumableTraining`).
    public var digest: String {
        var hash = FNV1a()
        for name in names {
            hash.add(name.utf8)
            hash.add(shapes[name]!.description.utf8)
            values[name]!.withUnsafeBufferPointer { hash.add($0.lazy.map { $0 == 0 ? 0 : 1 }) }
        }
        return hash.hex
    }

    /// The masks as tensors by name (for checkpoints).
    public var tensors: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, Tensor(shape: shapes[$0]!, values: values[$0]!)) })
    }

    /// A mask from checkpoint tensors, ordered as `network`'s prunable parameters.
    public init(tensors: [String: Tensor], network: Network) throws {
        let names = network.prunableParameterNames.filter { tensors[$0] != nil }
        guard names.count == tensors.count else {
            let unknown = tensors.keys.filter { network.parameter(named: $0) == nil }.sorted()
            throw PruningError.invalidMask("masks for unknown parameters: \(unknown.joined(separator: ", "))")
        }
        try self.init(names: names,
                      shapes: tensors.mapValues(\.shape),
                      values: tensors.mapValues(\.values))
    }
}

/// Errors from the pruning pipeline that a user can act on.
public enum PruningError: Error, CustomStringConvertible, Equatable {
    case invalidMask(String)
    case invalidPlan(String)
    case missingCheckpoint(path: String, why: String)
    case incompatible(String)
    case interrupted(String)

    public var description: String {
        switch self {
        case .invalidMask(let why): return "invalid mask: \(why)"
        case .invalidPlan(let why): return why
        case let .missingCheckpoint(path, why): return "\(path): not found; \(why)"
        case .incompatible(let why): return why
        case .interrupted(let context): return "interrupted during \(context) after a saved epoch; rerun the same command to resume"
        }
    }
}
