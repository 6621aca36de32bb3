/// The hyperparameters of a training run, as a recipe's `train:` section gives them.
/// Epoch-based values are converted to steps here, once the steps per epoch are known.
public struct TrainingSettings: Codable, Equatable, Sendable {
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case sgd, adam }
    public enum ScheduleKind: String, Codable, Sendable, CaseIterable { case constant, multistep, cosine }

    public var optimizer: OptimizerKind = .sgd
    public var learningRate: Float = 0.1
    public var momentum: Float = 0
    public var nesterov = false
    public var weightDecay: Float = 0
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var batchSize = 60
    public var epochs = 10
    public var schedule: ScheduleKind = .constant
    /// Multistep milestones, in epochs.
    public var milestones: [Int] = []
    public var gamma: Float = 0.1
    /// Cosine schedule's final learning rate.
    public var minimumLearningRate: Float = 0
    /// Linear warm-up length, in epochs (0: none).
    public var warmupEpochs = 0
    /// Global gradient-norm bound (nil: no clipping).
    public var clipNorm: Float?
    /// The epoch whose end is kept as the rewind point (weights at step k).
    public var rewindEpoch = 1

    public init() {}

    /// A fresh optimizer with these hyperparameters.
    public func makeOptimizer() -> Optimizer {
        switch optimizer {
        case .sgd: return SGD(momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        case .adam: return Adam(beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        }
    }

    /// The schedule in steps, for `stepsPerEpoch` optimizer steps per epoch.
    public func makeSchedule(stepsPerEpoch: Int) -> LearningRateSchedule {
        var result: LearningRateSchedule
        switch schedule {
        case .constant:
            result = .constant(base: learningRate)
        case .multistep:
            result = .multistep(base: learningRate, milestones: milestones.map { $0 * stepsPerEpoch }, gamma: gamma)
        case .cosine:
            result = .cosine(base: learningRate, totalSteps: epochs * stepsPerEpoch, minimum: minimumLearningRate)
        }
        if warmupEpochs > 0 { result = .warmup(steps: warmupEpochs * stepsPerEpoch, then: result) }
        return result
    }
}
