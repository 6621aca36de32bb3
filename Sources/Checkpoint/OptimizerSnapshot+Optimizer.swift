import Engine

/// Between live optimizers (`SGD`, `Adam`) and their saved form.
///
/// Hyperparameter names follow PyTorch's: SGD has "momentum", "nesterov" (0 or 1)
/// and "weight_decay"; Adam has "beta1", "beta2", "eps" and "weight_decay" (PyTorch's
/// `betas` split in two). The learning rate is not optimizer state in Rewind: it
/// comes from the schedule (`CheckpointContents.schedule`) at the saved step.
extension OptimizerSnapshot {
    /// The state slots each optimizer Rewind knows keeps for every parameter it has stepped.
    static let slotNames: [String: Set<String>] = ["sgd": ["momentum"], "adam": ["exp_avg", "exp_avg_sq"]]
    /// The hyperparameters each optimizer Rewind knows saves and needs.
    static let hyperparameterNames: [String: Set<String>] = [
        "sgd": ["momentum", "nesterov", "weight_decay"],
        "adam": ["beta1", "beta2", "eps", "weight_decay"],
    ]

    /// A copy of `optimizer`'s state: kind, step count, hyperparameters (for `SGD`
    /// and `Adam`; none for other optimizers) and every slot tensor (copied).
    public init(_ optimizer: Optimizer) {
        var hyperparameters: [String: Double] = [:]
        if let sgd = optimizer as? SGD {
            hyperparameters = ["momentum": Self.decimal(sgd.momentum), "nesterov": sgd.nesterov ? 1 : 0,
                               "weight_decay": Self.decimal(sgd.weightDecay)]
        } else if let adam = optimizer as? Adam {
            hyperparameters = ["beta1": Self.decimal(adam.beta1), "beta2": Self.decimal(adam.beta2),
                               "eps": Self.decimal(adam.epsilon), "weight_decay": Self.decimal(adam.weightDecay)]
        }
        var slots: [String: [String: Tensor]] = [:]
        for name in optimizer.namesWithState {
            for (slot, tensor) in optimizer.state(for: name) {
                slots[slot, default: [:]][name] = Tensor(copying: tensor)
            }
        }
        self.init(kind: optimizer.kind, stepCount: optimizer.stepCount, hyperparameters: hyperparameters, slots: slots)
    }

    /// `value` as the Double of its shortest decimal form (0.9, not 0.8999999761581421),
    /// which converts back to exactly `value`; the plain widening when it would not.
    static func decimal(_ value: Float) -> Double {
        guard let shortest = Double(value.description), Float(shortest) == value else { return Double(value) }
        return shortest
    }

    /// A new `SGD` or `Adam` with the saved hyperparameters, state and step count.
    public func makeOptimizer() throws -> Optimizer {
        guard let expected = Self.hyperparameterNames[kind] else {
            throw CheckpointRestoreError("optimizer kind '\(kind)' is not one Rewind can build (sgd, adam)")
        }
        let given = Set(hyperparameters.keys)
        guard given == expected else {
            throw CheckpointRestoreError("\(kind) hyperparameters are \(given.sorted()), expected \(expected.sorted())")
        }
        let optimizer: Optimizer
        if kind == "sgd" {
            let momentum = Float(hyperparameters["momentum"]!), nesterov = hyperparameters["nesterov"]!
            guard nesterov == 0 || (nesterov == 1 && momentum > 0) else {
                throw CheckpointRestoreError("sgd nesterov must be 0, or 1 with momentum > 0 (got \(nesterov), "
                                             + "momentum \(momentum))")
            }
            optimizer = SGD(momentum: momentum, nesterov: nesterov == 1,
                            weightDecay: Float(hyperparameters["weight_decay"]!))
        } else {
            optimizer = Adam(beta1: Float(hyperparameters["beta1"]!), beta2: Float(hyperparameters["beta2"]!),
                             epsilon: Float(hyperparameters["eps"]!),
                             weightDecay: Float(hyperparameters["weight_decay"]!))
        }
        try restore(into: optimizer)
        return optimizer
    }

    /// Replaces `optimizer`'s state and step count with copies of the saved ones.
    /// Its hyperparameters stay the caller's (a recipe may change them on purpose).
    /// Throws, changing nothing, if `checkRestorable(into:)` does.
    public func restore(into optimizer: Optimizer) throws {
        try checkRestorable(into: optimizer)
        var states: [String: [String: Tensor]] = [:]
        for (slot, tensors) in slots {
            for (name, tensor) in tensors { states[name, default: [:]][slot] = Tensor(copying: tensor) }
        }
        optimizer.resetState()
        for (name, state) in states { optimizer.setState(state, for: name) }
        optimizer.stepCount = stepCount
    }

    /// Throws if the kinds differ, or if a parameter lacks one of the slots its kind
    /// keeps (the optimizer would crash on its next step).
    public func checkRestorable(into optimizer: Optimizer) throws {
        guard optimizer.kind == kind else {
            throw CheckpointRestoreError("saved optimizer state is \(kind), cannot restore it into \(optimizer.kind)")
        }
        guard let expected = Self.slotNames[kind] else { return }
        var slotsByName: [String: Set<String>] = [:]
        for (slot, tensors) in slots {
            for name in tensors.keys { slotsByName[name, default: []].insert(slot) }
        }
        for (name, found) in slotsByName where found != expected {
            throw CheckpointRestoreError("\(kind) state of '\(name)' has slots \(found.sorted()), expected \(expected.sorted())")
        }
    }
}
