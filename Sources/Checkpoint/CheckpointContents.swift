import Engine

/// Everything a Rewind checkpoint holds, in memory (schema v1; docs/checkpoint-format.md).
///
/// Tensors are keyed by their dotted parameter names in PyTorch layout, so a
/// checkpoint maps 1:1 onto a `state_dict`.
public struct CheckpointContents {
    /// The network's architecture, enough to rebuild it (`ModelZoo.build`).
    public var architecture: Architecture
    /// Input normalisation the network was trained with.
    public var normalization: Normalization
    /// Trainable parameters by dotted name ("fc1.weight"), float32.
    public var parameters: [String: Tensor]
    /// Pruning masks by parameter name (prunable weights only), values exactly 0 or 1;
    /// stored as uint8 on disk.
    public var masks: [String: Tensor]
    /// Non-trainable tensors by name (BatchNorm running statistics).
    public var buffers: [String: Tensor]
    /// Optimizer state, if saved (needed for exact resume).
    public var optimizer: OptimizerSnapshot?
    /// The learning-rate schedule the run follows (JSON on disk).
    public var schedule: LearningRateSchedule?
    /// Optimizer steps taken and epochs completed when the checkpoint was written.
    public var step: Int
    public var epoch: Int
    /// The run's seed.
    public var seed: UInt64
    /// The recipe (YAML text) that produced the checkpoint, if any.
    public var recipe: String?
    /// Evaluation results: "test_accuracy", "test_loss", "sparsity", ...
    public var metrics: [String: Double]
    /// Free-form string attributes (e.g. "strategy", "level", "role").
    public var attributes: [String: String]

    public init(architecture: Architecture, normalization: Normalization,
                parameters: [String: Tensor], masks: [String: Tensor] = [:], buffers: [String: Tensor] = [:],
                optimizer: OptimizerSnapshot? = nil, schedule: LearningRateSchedule? = nil,
                step: Int = 0, epoch: Int = 0, seed: UInt64 = 0, recipe: String? = nil,
                metrics: [String: Double] = [:], attributes: [String: String] = [:]) {
        self.architecture = architecture
        self.normalization = normalization
        self.parameters = parameters
        self.masks = masks
        self.buffers = buffers
        self.optimizer = optimizer
        self.schedule = schedule
        self.step = step
        self.epoch = epoch
        self.seed = seed
        self.recipe = recipe
        self.metrics = metrics
        self.attributes = attributes
    }
}

/// An optimizer's state: its kind, hyperparameters, step count, and per-parameter slots
/// (`slots["exp_avg"]["fc1.weight"]`), with PyTorch's slot names.
public struct OptimizerSnapshot {
    /// "sgd" or "adam".
    public var kind: String
    public var stepCount: Int
    /// Hyperparameters by name ("momentum", "beta1", "weight_decay", ...).
    public var hyperparameters: [String: Double]
    /// slot name -> parameter name -> tensor.
    public var slots: [String: [String: Tensor]]

    public init(kind: String, stepCount: Int, hyperparameters: [String: Double], slots: [String: [String: Tensor]]) {
        self.kind = kind
        self.stepCount = stepCount
        self.hyperparameters = hyperparameters
        self.slots = slots
    }
}
