import Engine

/// Between a live `Network` (and optimizer) and `CheckpointContents`.
extension CheckpointContents {
    /// A snapshot of `network` (parameters, buffers and normalisation, all copied)
    /// and of `optimizer`'s state, with the run's bookkeeping. Masks come from the
    /// pruning code (copied too).
    public init(network: Network, optimizer: Optimizer? = nil, masks: [String: Tensor] = [:],
                schedule: LearningRateSchedule? = nil, step: Int = 0, epoch: Int = 0, seed: UInt64 = 0,
                recipe: String? = nil, metrics: [String: Double] = [:], attributes: [String: String] = [:]) {
        self.init(architecture: network.architecture, normalization: network.normalization,
                  parameters: Dictionary(uniqueKeysWithValues: network.parameters.map { ($0.name, Tensor(copying: $0.value)) }),
                  masks: masks.mapValues { Tensor(copying: $0) },
                  buffers: Dictionary(uniqueKeysWithValues: network.buffers.map { ($0.name, Tensor(copying: $0.value)) }),
                  optimizer: optimizer.map { OptimizerSnapshot($0) }, schedule: schedule, step: step, epoch: epoch,
                  seed: seed, recipe: recipe, metrics: metrics, attributes: attributes)
    }

    /// Copies the saved parameters, buffers and normalisation into `network`, and the
    /// saved optimizer state into `optimizer` (which is reset to fresh state when the
    /// checkpoint holds none). Masks are not applied: that is the pruning code's job.
    ///
    /// Throws if a name or shape differs from `network`'s (nothing is changed then),
    /// or if the optimizer state cannot go into `optimizer`.
    public func restore(into network: Network, optimizer: Optimizer? = nil) throws {
        for name in parameters.keys where network.parameter(named: name) == nil {
            throw CheckpointRestoreError("the checkpoint has parameter '\(name)', which the network lacks")
        }
        for name in buffers.keys where network.buffer(named: name) == nil {
            throw CheckpointRestoreError("the checkpoint has buffer '\(name)', which the network lacks")
        }
        // Network.load copies as it goes; check every name and shape first so that a
        // failure leaves the network as it was.
        let saved = parameters.merging(buffers) { first, _ in first }
        let targets = network.parameters.map { ($0.name, $0.value) } + network.buffers.map { ($0.name, $0.value) }
        for (name, target) in targets {
            guard let source = saved[name] else { throw EngineError.missingTensor(name) }
            guard source.shape == target.shape else {
                throw EngineError.shapeMismatch(name: name, expected: target.shape, found: source.shape)
            }
        }
        if let snapshot = self.optimizer {
            try checkOptimizerShapes(snapshot) { network.parameter(named: $0)?.value.shape }
            if let optimizer { try snapshot.checkRestorable(into: optimizer) }
        }
        try network.load(stateDictionary: saved)
        network.normalization = normalization
        if let optimizer {
            if let snapshot = self.optimizer {
                try snapshot.restore(into: optimizer)
            } else {
                optimizer.resetState()
            }
        }
    }

    /// A new network of the saved architecture (`ModelZoo.build`) holding the saved
    /// parameters, buffers and normalisation.
    public func makeNetwork() throws -> Network {
        let network = try ModelZoo.build(architecture)
        try restore(into: network)
        return network
    }

    /// A new optimizer (`SGD` or `Adam`) with the saved hyperparameters, state and
    /// step count; nil when the checkpoint holds no optimizer state.
    public func makeOptimizer() throws -> Optimizer? {
        guard let snapshot = optimizer else { return nil }
        try checkOptimizerShapes(snapshot) { parameters[$0]?.shape }
        return try snapshot.makeOptimizer()
    }

    /// Throws unless every slot tensor has the shape `shape(name)` gives its parameter.
    private func checkOptimizerShapes(_ snapshot: OptimizerSnapshot, shape: (String) -> [Int]?) throws {
        for (slot, tensors) in snapshot.slots {
            for (name, tensor) in tensors where shape(name) != tensor.shape {
                let parameter = shape(name).map { "the parameter has \($0)" } ?? "there is no such parameter"
                throw CheckpointRestoreError("optimizer \(slot) state for '\(name)' has shape \(tensor.shape); \(parameter)")
            }
        }
    }
}
