import Engine
import Pruning

extension Experiment {
    /// The pruning tests' task: LeNet-300-100 on 96 synthetic 5x5 images of 3 classes
    /// (48 to test), 3 epochs of SGD (batch 16, so 6 steps an epoch) with a multistep
    /// schedule (x0.1 at epoch 2), rewind point at epoch 1.
    static func tiny() throws -> Experiment {
        var data = DataSettings(dataset: .synthetic)
        data.syntheticTrain = 96; data.syntheticTest = 48; data.syntheticClasses = 3; data.syntheticSide = 5
        let (pair, normalization) = try data.load()
        var train = TrainingSettings()
        train.optimizer = .sgd; train.learningRate = 0.05; train.momentum = 0.9; train.batchSize = 16
        train.epochs = 3; train.rewindEpoch = 1; train.schedule = .multistep; train.milestones = [2]; train.gamma = 0.1
        let architecture = Architecture(model: "lenet-300-100", inputShape: [1, 5, 5], classes: 3)
        return Experiment(architecture: architecture, data: pair, normalization: normalization, settings: train,
                          recipeText: nil, observer: SilentObserver())
    }
}
