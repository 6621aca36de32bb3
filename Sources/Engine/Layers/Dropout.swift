/// Inverted dropout: in training, each element is kept with probability `1 - p`
/// and scaled by `1 / (1 - p)`, so evaluation is the identity.
///
///     y = x * m / (1 - p),   m ~ Bernoulli(1 - p)      (training)
///     y = x                                            (evaluation)
///
/// The mask comes from a `SeededGenerator` the trainer reseeds per epoch
/// (`reseed(seed:epoch:)`), so runs and resumed runs draw the same masks.
public final class Dropout: Layer {
    public let probability: Float
    public var computesInputGradient = true
    private var generator: SeededGenerator
    private let output = Tensor(shape: [0])
    private let scaledMask = Tensor(shape: [0])      // m / (1 - p), same shape as x
    private let inputGradient = Tensor(shape: [0])
    private var lastModeWasTraining = false

    public init(probability: Float, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1)")
        self.probability = probability
        generator = SeededGenerator(seed: seed, concern: .dropout)
    }

    /// Restarts the mask stream at a point derived from `(seed, stream)`.
    public func reseed(seed: UInt64, stream: UInt64) {
        generator = SeededGenerator(seed: seed, concern: .dropout, stream: stream)
    }

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] { shape }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        output.reshape(to: x.shape)
        lastModeWasTraining = mode == .training && probability > 0
        guard lastModeWasTraining else {
            output.pointer.update(from: x.pointer, count: x.count)
            return output
        }
        scaledMask.reshape(to: x.shape)
        let keep = 1 - probability, scale = 1 / keep
        let m = scaledMask.pointer, src = x.pointer, dst = output.pointer
        for i in 0..<x.count {
            m[i] = generator.nextFloat() < keep ? scale : 0
            dst[i] = src[i] * m[i]                         // y = x * m / (1 - p)
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        inputGradient.reshape(to: dy.shape)
        if lastModeWasTraining {
            let m = scaledMask.pointer, g = dy.pointer, dx = inputGradient.pointer
            for i in 0..<dy.count { dx[i] = g[i] * m[i] }  // dx = dy * m / (1 - p)
        } else {
            inputGradient.pointer.update(from: dy.pointer, count: dy.count)
        }
        return inputGradient
    }
}
