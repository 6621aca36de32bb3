/// Test (or training) loss and accuracy of a network on a dataset.
public struct Evaluation: Codable, Equatable, Sendable {
    public var loss: Double
    public var accuracy: Double
    public init(loss: Double, accuracy: Double) {
        self.loss = loss
        self.accuracy = accuracy
    }
}

/// What one epoch of training did.
public struct EpochSummary: Sendable {
    public var epoch: Int
    /// Mean training loss over the epoch's batches.
    public var trainLoss: Double
    /// The learning rate of the epoch's last step.
    public var learningRate: Float
    /// The schedule step after the epoch (the next step to run).
    public var nextStep: Int
    public var seconds: Double
    public var imagesPerSecond: Double
    /// Set when the epoch stopped at a non-finite loss or left a non-finite parameter
    /// (nil: it ran to its end with finite values). The network is then unusable.
    public var divergence: TrainingDivergence?
}

/// Training that produced a non-finite loss (or parameter): where, and what to try.
/// `epoch` and `batch` are 1-based as a person counts them; `step` is the global
/// optimizer step (0-based, as `Trainer` counts it).
public struct TrainingDivergence: Error, Equatable, CustomStringConvertible, Sendable {
    public var epoch: Int
    public var batch: Int
    public var batches: Int
    public var step: Int
    public var learningRate: Float
    /// What became non-finite: "the loss" or "parameter fc1.bias".
    public var what: String

    public init(epoch: Int, batch: Int, batches: Int, step: Int, learningRate: Float, what: String) {
        self.epoch = epoch
        self.batch = batch
        self.batches = batches
        self.step = step
        self.learningRate = learningRate
        self.what = what
    }

    public var description: String {
        "training diverged at epoch \(epoch) step \(step) (batch \(batch) of \(batches), learning rate \(learningRate)): "
            + "\(what) became NaN or infinite; try a lower train.lr or set train.clip_norm"
    }
}

/// Progress inside an epoch, reported every few batches.
public struct BatchProgress: Sendable {
    public var epoch: Int
    public var batch: Int
    public var batches: Int
    public var loss: Float
    public var imagesPerSecond: Double
    /// Seconds since the epoch started.
    public var elapsed: Double
    /// Estimated seconds to the end of the epoch.
    public var remaining: Double { elapsed / Double(max(batch, 1)) * Double(batches - batch) }
}

/// Trains a network with an optimizer and a learning-rate schedule.
///
/// One step: load batch → forward → softmax cross-entropy → zero grads → backward →
/// hooks.afterBackward → clip → optimizer step at `schedule(step)` → hooks.afterStep.
/// Buffers are reused, so steady-state steps allocate nothing.
///
/// Steps are counted globally: epoch `e`'s batch `b` is step `e · stepsPerEpoch + b`.
/// The schedule is looked up at that step, so starting at an epoch `k > 0` replays
/// the schedule from `k` (learning-rate rewinding), and a fixed rate is just a
/// `.constant` schedule (fine-tuning).
public final class Trainer {
    public let network: Network
    public let optimizer: Optimizer
    public var schedule: LearningRateSchedule
    public let loader: BatchLoader
    /// Global gradient-norm bound (nil: no clipping).
    public var clipNorm: Float?
    /// Seed of the data-order and dropout streams (one stream per epoch).
    public var dataSeed: UInt64
    public var hooks: [TrainingHook] = []
    private let loss = SoftmaxCrossEntropy()

    public init(network: Network, optimizer: Optimizer, schedule: LearningRateSchedule,
                trainingSet: Dataset, batchSize: Int, clipNorm: Float? = nil, dataSeed: UInt64) {
        self.network = network
        self.optimizer = optimizer
        optimizer.configuration = network.configuration   // the updates' kernel build and threads
        self.schedule = schedule
        self.loader = BatchLoader(dataset: trainingSet, batchSize: batchSize)
        self.clipNorm = clipNorm
        self.dataSeed = dataSeed
    }

    public var stepsPerEpoch: Int { loader.batchesPerEpoch }

    /// Runs epoch `epoch` (0-based) of the schedule: shuffles by `(dataSeed, epoch)`,
    /// reseeds dropout, and takes `stepsPerEpoch` optimizer steps. Stops at the first
    /// non-finite batch loss, and checks every parameter is finite at the end; either
    /// is reported in the summary's `divergence` (the caller must not save the network).
    /// `firstBatch` starts inside the epoch and `limitBatches` stops before batch
    /// `limitBatches` (a rewind point such as k = 0.25 epochs, benchmarks): batch `b`
    /// is still the epoch's `b`-th in its order, at step `epoch · stepsPerEpoch + b`.
    /// `progress` is called every `progressInterval` batches.
    @discardableResult
    public func trainEpoch(_ epoch: Int, from firstBatch: Int = 0, limitBatches: Int? = nil, progressInterval: Int = 20,
                           progress: ((BatchProgress) -> Void)? = nil) -> EpochSummary {
        let clock = ContinuousClock(), start = clock.now
        loader.startEpoch(seed: dataSeed, epoch: epoch)
        network.reseedDropout(seed: dataSeed, stream: UInt64(epoch))
        let batches = min(loader.batchesPerEpoch, limitBatches ?? .max)
        var lossSum = 0.0, images = 0, rate: Float = 0
        let first = min(firstBatch, batches)
        for batch in first..<batches {
            let step = epoch * stepsPerEpoch + batch
            rate = schedule.learningRate(atStep: step)
            let batchLoss = trainStep(batch: batch, learningRate: rate)
            if !batchLoss.isFinite {
                return summary(epoch: epoch, batches: batches - first, lossSum: .nan, rate: rate, images: images, start: start,
                               divergence: TrainingDivergence(epoch: epoch + 1, batch: batch + 1, batches: batches, step: step,
                                                              learningRate: rate, what: "the loss"))
            }
            lossSum += Double(batchLoss)
            images += loader.currentBatchSize
            if let progress, (batch + 1) % progressInterval == 0 || batch + 1 == batches {
                let elapsed = (clock.now - start).seconds
                progress(BatchProgress(epoch: epoch, batch: batch + 1, batches: batches, loss: batchLoss,
                                       imagesPerSecond: Double(images) / elapsed, elapsed: elapsed))
            }
        }
        let broken = network.parameters.first { !$0.value.isFinite }.map { parameter in
            TrainingDivergence(epoch: epoch + 1, batch: batches, batches: batches, step: epoch * stepsPerEpoch + batches - 1,
                               learningRate: rate, what: "parameter \(parameter.name)")
        }
        return summary(epoch: epoch, batches: batches - first, lossSum: lossSum, rate: rate, images: images, start: start,
                       divergence: broken)
    }

    /// `batches`: how many were trained (the mean loss divides by it).
    private func summary(epoch: Int, batches: Int, lossSum: Double, rate: Float, images: Int, start: ContinuousClock.Instant,
                         divergence: TrainingDivergence?) -> EpochSummary {
        let seconds = (ContinuousClock.now - start).seconds
        return EpochSummary(epoch: epoch, trainLoss: lossSum / Double(max(batches, 1)), learningRate: rate,
                            nextStep: (epoch + 1) * stepsPerEpoch, seconds: seconds,
                            imagesPerSecond: Double(images) / seconds, divergence: divergence)
    }

    /// One optimizer step on batch `batch` of the current order; returns the batch loss.
    @discardableResult
    public func trainStep(batch: Int, learningRate: Float) -> Float {
        loader.load(batch: batch)
        let logits = network.forward(loader.inputs, mode: .training)
        let batchLoss = loader.labels.withUnsafeBufferPointer {
            loss.lossAndGradient(logits: logits, labels: $0.baseAddress!)
        }
        network.zeroGradients()
        network.backward(loss.logitsGradient)
        for hook in hooks { hook.afterBackward(network) }
        if let clipNorm { clipGradientNorm(network.parameters, maxNorm: clipNorm) }
        optimizer.step(network.parameters, learningRate: learningRate)
        for hook in hooks { hook.afterStep(network, optimizer: optimizer) }
        return batchLoss
    }
}

/// Evaluates `network` on `dataset` in batches of `batchSize` (evaluation mode).
public func evaluate(_ network: Network, on dataset: Dataset, batchSize: Int = 1000) -> Evaluation {
    evaluate(on: dataset, batchSize: batchSize) { network.forward($0, mode: .evaluation) }
}

/// Evaluates any inference path (`forward` maps a batch `[B, C, H, W]` to logits
/// `[B, classes]`, e.g. a `SparseInferenceNetwork`) on `dataset`: mean loss and accuracy.
///
/// The batches are taken in order straight from the dataset's memory (tensors that
/// borrow it), not copied: evaluation is a sequential pass, and the copy was about 5%
/// of LeNet-300-100's inference time.
public func evaluate(on dataset: Dataset, batchSize: Int = 1000, forward: (Tensor) -> Tensor) -> Evaluation {
    precondition(batchSize > 0)
    var lossSum = 0.0, correct = 0
    let exampleSize = dataset.exampleSize
    for start in stride(from: 0, to: dataset.count, by: batchSize) {
        let size = min(batchSize, dataset.count - start)
        let batch = Tensor(borrowing: dataset.images.pointer + start * exampleSize, shape: [size] + dataset.exampleShape)
        let logits = forward(batch)
        let (l, c) = dataset.labels.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.lossSumAndCorrect(logits: logits, labels: $0.baseAddress! + start)
        }
        lossSum += l
        correct += c
    }
    let n = Double(max(dataset.count, 1))
    return Evaluation(loss: lossSum / n, accuracy: Double(correct) / n)
}

extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
