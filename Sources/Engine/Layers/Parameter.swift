/// A trainable tensor with its gradient and its dotted name ("fc1.weight").
///
/// The name keys everything that refers to a parameter: optimizer state, pruning
/// masks, HDF5 datasets and report rows. It is the name PyTorch would give the
/// same parameter, so a checkpoint maps 1:1 onto a `state_dict`.
public final class Parameter {
    /// Dotted path, e.g. "fc1.weight" or "layer1.0.conv1.weight".
    public let name: String
    /// The current value.
    public let value: Tensor
    /// dLoss/dValue, accumulated by `backward` and cleared by the trainer each step.
    public let gradient: Tensor
    /// What the parameter is, which decides its default initialisation and whether
    /// it can be pruned (weights of Linear and Conv2D layers can; biases and
    /// normalisation parameters are not pruned unless asked).
    public let role: Role
    /// The flat indices of the elements that train, ascending, or nil for all of them:
    /// set for a pruned weight trained sparsely (`Linear.setSparsity(pattern:)`), whose
    /// other elements are zero and stay zero. Optimizers update only these elements.
    public internal(set) var survivingIndices: [Int32]?

    public enum Role: String, Sendable, Codable {
        case weight, bias, normScale, normShift
    }

    public init(name: String, shape: [Int], role: Role) {
        self.name = name
        self.value = Tensor(shape: shape)
        self.gradient = Tensor(shape: shape)
        self.role = role
    }

    /// Linear and convolution weights: what magnitude pruning acts on by default.
    public var isPrunableByDefault: Bool { role == .weight }
}

/// A named non-trainable tensor kept with the model, e.g. BatchNorm's running mean.
public struct NamedBuffer {
    public let name: String
    public let value: Tensor
    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
    }
}
