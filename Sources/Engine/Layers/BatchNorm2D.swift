/// Batch normalisation over the channels of NCHW batches (Ioffe & Szegedy 2015),
/// with PyTorch's `nn.BatchNorm2d` semantics. Per channel `c`, over the
/// `n = B·H·W` values `x[:, c, :, :]`:
///
///     training:    μ = mean(x),  σ² = mean((x - μ)²)                  (biased, for normalising)
///                  running_mean ← (1 - m) running_mean + m μ
///                  running_var  ← (1 - m) running_var  + m σ² n/(n - 1)  (unbiased)
///     evaluation:  μ = running_mean,  σ² = running_var
///     both:        x̂ = (x - μ) / √(σ² + ε),   y = γ x̂ + β
///
/// Parameters "<name>.weight" (γ, role `.normScale`) and "<name>.bias" (β, role
/// `.normShift`); buffers "<name>.running_mean" and "<name>.running_var".
/// PyTorch's `num_batches_tracked` is not kept (it only matters for `momentum=None`).
public final class BatchNorm2D: Layer {
    public let weight: Parameter           // γ, [C]
    public let bias: Parameter             // β, [C]
    public let runningMean: Tensor         // [C]
    public let runningVariance: Tensor     // [C]
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    public var computesInputGradient = true
    public let buffers: [NamedBuffer]

    /// Threads and the parallel threshold (see `Layer.configure`).
    public private(set) var configuration = ComputeConfiguration.default

    private var input: Tensor?                         // x, [B, C, H, W] (not owned)
    private let output = Tensor(shape: [0])            // y, [B, C, H, W]
    private let mean: Tensor                           // μ of the last forward, [C]
    private let inverseStd: Tensor                     // 1/√(σ² + ε) of the last forward, [C]
    private let inputGradient = Tensor(shape: [0])     // dL/dx, [B, C, H, W]
    private var lastModeWasTraining = false

    /// A layer named `name` ("bn1", "layer1.0.bn1") over `channels` channels;
    /// γ = 1, β = 0, running mean 0 and variance 1 until initialised or loaded.
    public init(name: String, channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(channels > 0 && momentum >= 0 && momentum <= 1 && epsilon > 0, "BatchNorm2D \(name): invalid configuration")
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(name: "\(name).weight", shape: [channels], role: .normScale)
        bias = Parameter(name: "\(name).bias", shape: [channels], role: .normShift)
        weight.value.fill(1)
        runningMean = Tensor(shape: [channels])
        runningVariance = Tensor(shape: [channels], repeating: 1)
        mean = Tensor(shape: [channels])
        inverseStd = Tensor(shape: [channels])
        buffers = [NamedBuffer(name: "\(name).running_mean", value: runningMean),
                   NamedBuffer(name: "\(name).running_var", value: runningVariance)]
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard shape.count == 3, shape[0] == channels else { throw LayerShapeError("expects [\(channels), H, W], got \(shape)") }
        return shape
    }

    public func configure(_ configuration: ComputeConfiguration) { self.configuration = configuration }

    /// Channels are independent: from `configuration.batchNormParallelThreshold`
    /// elements on they are split among `configuration.threads` workers.
    private func forEachChannel(elements: Int, _ body: (Int) -> Void) {
        let workers = configuration.workers(elements: elements, threshold: configuration.batchNormParallelThreshold,
                                            units: channels)
        parallelFor(workers: workers) { worker in
            for c in share(of: channels, worker: worker, workers: workers) { body(c) }
        }
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == channels, "BatchNorm2D: input \(x.shape) is not [B, \(channels), H, W]")
        let batch = x.shape[0], plane = x.shape[2] * x.shape[3], n = batch * plane
        input = x
        output.reshape(to: x.shape)
        lastModeWasTraining = mode == .training
        precondition(!lastModeWasTraining || n > 1, "BatchNorm2D: training needs more than one value per channel, got \(x.shape)")
        let src = x.pointer, dst = output.pointer
        let gamma = weight.value.pointer, beta = bias.value.pointer
        let rm = runningMean.pointer, rv = runningVariance.pointer, mu = mean.pointer, inv = inverseStd.pointer
        let training = lastModeWasTraining, m = momentum, eps = epsilon
        forEachChannel(elements: x.count) { c in
            if training {
                // μ and σ² of x[:, c] in one pass, shifted by the channel's first value
                // (K) against cancellation: μ = K + Σ(x-K)/n, σ² = Σ(x-K)²/n - (μ-K)²
                let shift = src[c * plane]
                var sum = 0.0, squares = 0.0
                for b in 0..<batch {
                    let values = src + (b * channels + c) * plane
                    var s: Float = 0, q: Float = 0
                    for i in 0..<plane {
                        let d = values[i] - shift
                        s += d
                        q += d * d
                    }
                    sum += Double(s)
                    squares += Double(q)
                }
                let centred = sum / Double(n)
                let variance = max(squares / Double(n) - centred * centred, 0)
                mu[c] = Float(Double(shift) + centred)
                inv[c] = Float(1 / (variance + Double(eps)).squareRoot())
                // running_mean ← (1 - m) running_mean + m μ;  running_var ← (1 - m) running_var + m σ² n/(n-1)
                rm[c] = (1 - m) * rm[c] + m * mu[c]
                rv[c] = (1 - m) * rv[c] + m * Float(variance * Double(n) / Double(n - 1))
            } else {
                mu[c] = rm[c]
                inv[c] = 1 / (rv[c] + eps).squareRoot()
            }
            // y = γ x̂ + β with x̂ = (x - μ) / √(σ² + ε), as y = a·x + b per channel
            let a = gamma[c] * inv[c], b = beta[c] - a * mu[c]
            for batchIndex in 0..<batch {
                let offset = (batchIndex * channels + c) * plane
                let values = src + offset, y = dst + offset
                for i in 0..<plane { y[i] = a * values[i] + b }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("BatchNorm2D.backward before forward") }
        let batch = x.shape[0], plane = x.shape[2] * x.shape[3], n = batch * plane
        inputGradient.reshape(to: computesInputGradient ? x.shape : emptyShape)
        let g = dy.pointer, src = x.pointer, dx = inputGradient.pointer
        let gamma = weight.value.pointer, mu = mean.pointer, inv = inverseStd.pointer
        let dGamma = weight.gradient.pointer, dBeta = bias.gradient.pointer
        let training = lastModeWasTraining, inputGradientWanted = computesInputGradient
        forEachChannel(elements: x.count) { c in
            // Σ dy and Σ dy·x̂ over the channel, x̂ = (x - μ)·invStd recomputed from x
            let m = mu[c], invStd = inv[c]
            var sumDy = 0.0, sumDyXhat = 0.0
            for b in 0..<batch {
                let offset = (b * channels + c) * plane
                let gy = g + offset, values = src + offset
                var s: Float = 0, t: Float = 0
                for i in 0..<plane {
                    s += gy[i]
                    t += gy[i] * (values[i] - m)
                }
                sumDy += Double(s)
                sumDyXhat += Double(t) * Double(invStd)
            }
            // dβ += Σ dy;  dγ += Σ dy·x̂                         (from y = γ x̂ + β)
            dBeta[c] += Float(sumDy)
            dGamma[c] += Float(sumDyXhat)
            guard inputGradientWanted else { return }
            let scale = gamma[c] * invStd
            if training {
                // dx = γ/√(σ²+ε) · (dy - Σdy/n - x̂ Σ(dy·x̂)/n)    (μ and σ² depend on x)
                let meanDy = Float(sumDy / Double(n)), slope = Float(sumDyXhat / Double(n)) * invStd
                for b in 0..<batch {
                    let offset = (b * channels + c) * plane
                    let gy = g + offset, values = src + offset, d = dx + offset
                    for i in 0..<plane { d[i] = scale * (gy[i] - meanDy - (values[i] - m) * slope) }
                }
            } else {
                // dx = γ/√(σ²+ε) · dy                               (running statistics are constants)
                for b in 0..<batch {
                    let offset = (b * channels + c) * plane
                    let gy = g + offset, d = dx + offset
                    for i in 0..<plane { d[i] = scale * gy[i] }
                }
            }
        }
        return inputGradient
    }
}
