/// Softmax cross-entropy over a batch, averaged over the batch.
///
///     p[b, c]   = exp(z[b, c] - max_c z[b, :]) / sum_c' exp(z[b, c'] - max_c z[b, :])
///     loss      = -(1/B) sum_b log p[b, y_b]
///     dL/dz[b,c] = (p[b, c] - [c == y_b]) / B
///
/// Subtracting the row maximum keeps `exp` from overflowing; `log p` is computed as
/// `z - max - log(sum)` so it never takes the log of an underflowed zero.
public final class SoftmaxCrossEntropy {
    /// dLoss/dLogits of the last `lossAndGradient` call, `[B, C]`.
    public let logitsGradient = Tensor(shape: [0])

    public init() {}

    /// Mean loss over the batch; fills `logitsGradient`.
    public func lossAndGradient(logits: Tensor, labels: UnsafePointer<Int32>) -> Float {
        let batch = logits.shape[0], classes = logits.shape[1]
        logitsGradient.reshape(to: logits.shape)
        var total = 0.0
        let invBatch = 1 / Float(batch)
        for b in 0..<batch {
            let z = logits.pointer + b * classes, g = logitsGradient.pointer + b * classes
            let label = Int(labels[b])
            var maximum = z[0]
            for c in 1..<classes { maximum = max(maximum, z[c]) }
            var sum: Float = 0
            for c in 0..<classes {
                g[c] = expf(z[c] - maximum)
                sum += g[c]
            }
            total += Double(logf(sum) - (z[label] - maximum))     // -log p[b, y]
            let invSum = 1 / sum
            for c in 0..<classes { g[c] *= invSum * invBatch }   // p / B
            g[label] -= invBatch                                 // (p - 1) / B at the label
        }
        return Float(total / Double(batch))
    }

    /// Summed loss and number of correct arg-max predictions over a batch (for evaluation).
    public static func lossSumAndCorrect(logits: Tensor, labels: UnsafePointer<Int32>) -> (loss: Double, correct: Int) {
        let batch = logits.shape[0], classes = logits.shape[1]
        var total = 0.0, correct = 0
        for b in 0..<batch {
            let z = logits.pointer + b * classes
            var maximum = z[0], best = 0
            for c in 1..<classes where z[c] > maximum { maximum = z[c]; best = c }
            var sum: Float = 0
            for c in 0..<classes { sum += expf(z[c] - maximum) }
            total += Double(logf(sum) - (z[Int(labels[b])] - maximum))
            if best == Int(labels[b]) { correct += 1 }
        }
        return (total, correct)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
