/// The windows of a `kernel x kernel` pooling with a stride over NCHW planes, no
/// padding, floor mode (PyTorch's defaults for `MaxPool2d`/`AvgPool2d`):
///
///     OH = (H - kernel) / stride + 1,   OW = (W - kernel) / stride + 1
///
/// Output `(oh, ow)` of a plane pools the input pixels `(oh·stride + i, ow·stride + j)`
/// for `i, j` in `0..<kernel`. MaxPool2D and AvgPool2D share this iterator.
struct PoolingWindows {
    let kernel: Int, stride: Int
    let height: Int, width: Int
    let outputHeight: Int, outputWidth: Int

    init(kernel: Int, stride: Int, height: Int, width: Int) {
        precondition(height >= kernel && width >= kernel, "pooling: \(kernel)x\(kernel) window larger than \(height)x\(width) input")
        self.kernel = kernel
        self.stride = stride
        self.height = height
        self.width = width
        outputHeight = (height - kernel) / stride + 1
        outputWidth = (width - kernel) / stride + 1
    }

    var inputPlane: Int { height * width }

    /// Calls `body(output, window)` for every output row of the planes `planes` (of a
    /// batch's `B·C`): `output` indexes the row's first pixel in `[B·C, OH, OW]`,
    /// `window` the top-left input pixel of its first window in `[B·C, H, W]`. Output `ow`
    /// of the row pools the pixels `window + i·W + ow·stride + j`, `i, j < kernel`;
    /// the layers loop over `(i, j)` outside and `ow` inside, so the inner loops run
    /// along a row without branching on the window position.
    @inline(__always)
    func forEachOutputRow(planes: Range<Int>, _ body: (_ output: Int, _ window: Int) -> Void) {
        for plane in planes {
            for oh in 0..<outputHeight {
                body((plane * outputHeight + oh) * outputWidth, plane * inputPlane + oh * stride * width)
            }
        }
    }
}

/// Shared shape logic of the pooling layers: input `[B, C, H, W]`, output `[B, C, OH, OW]`.
private func pooledShape(_ shape: [Int], kernel: Int, stride: Int) -> (PoolingWindows, [Int]) {
    precondition(shape.count == 4, "pooling expects [B, C, H, W], got \(shape)")
    let windows = PoolingWindows(kernel: kernel, stride: stride, height: shape[2], width: shape[3])
    return (windows, [shape[0], shape[1], windows.outputHeight, windows.outputWidth])
}

/// Planes are independent: an input of `configuration.poolingParallelThreshold`
/// elements or more is split among `configuration.threads` workers by planes.
private func forEachPlaneShare(of x: Tensor, configuration: ComputeConfiguration, _ body: (Range<Int>) -> Void) {
    let planes = x.shape[0] * x.shape[1]
    let workers = configuration.workers(elements: x.count, threshold: configuration.poolingParallelThreshold, units: planes)
    parallelFor(workers: workers) { body(share(of: planes, worker: $0, workers: workers)) }
}

/// A `kernel x kernel` pooling layer with a stride: MaxPool2D and AvgPool2D share their
/// output shape (`[C, OH, OW]` for `[C, H, W]`) through this protocol.
public protocol PoolingLayer: Layer {
    var kernel: Int { get }
    var stride: Int { get }
}

extension PoolingLayer {
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard shape.count == 3 else { throw LayerShapeError("expects [C, H, W], got \(shape)") }
        guard shape[1] >= kernel, shape[2] >= kernel else {
            throw LayerShapeError("a \(kernel)x\(kernel) window does not fit a \(shape[1])x\(shape[2]) input")
        }
        return Array(pooledShape([1] + shape, kernel: kernel, stride: stride).1.dropFirst())
    }
}

/// The windows for input `x`, recomputed (and `output` resized) only when its shape
/// differs from `inputShape`, so steady-state steps allocate nothing.
private func prepareWindows(for x: Tensor, kernel: Int, stride: Int, inputShape: inout [Int],
                            windows: inout PoolingWindows?, output: Tensor) -> PoolingWindows {
    if let windows, x.shape == inputShape { return windows }
    let (w, shape) = pooledShape(x.shape, kernel: kernel, stride: stride)
    inputShape = x.shape
    windows = w
    output.reshape(to: shape)
    return w
}

/// Max pooling: `y[b, c, oh, ow] = max_{i, j < k} x[b, c, oh·s + i, ow·s + j]`.
///
/// The gradient flows to the arg-max of each window (the first one in row-major
/// window order on ties, as PyTorch): `dx[argmax] += dy`.
public final class MaxPool2D: PoolingLayer {
    public let kernel: Int
    public let stride: Int
    public var computesInputGradient = true
    /// Threads and the parallel threshold (see `Layer.configure`).
    public private(set) var configuration = ComputeConfiguration.default
    public func configure(_ configuration: ComputeConfiguration) { self.configuration = configuration }
    private let output = Tensor(shape: [0])            // y, [B, C, OH, OW]
    private let inputGradient = Tensor(shape: [0])     // dL/dx, [B, C, H, W]
    private var argmax: [Int32] = []                   // flat index into x of each y, [B·C·OH·OW]
    private var inputShape: [Int] = []
    private var windows: PoolingWindows?

    /// `stride` defaults to `kernel`, as in PyTorch.
    public init(kernel: Int, stride: Int? = nil) {
        precondition(kernel > 0 && (stride ?? kernel) > 0)
        self.kernel = kernel
        self.stride = stride ?? kernel
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        let w = prepareWindows(for: x, kernel: kernel, stride: stride, inputShape: &inputShape,
                               windows: &windows, output: output)
        precondition(x.count <= Int(Int32.max), "MaxPool2D: input too large for 32-bit arg-max indices")
        if argmax.count < output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let src = x.pointer, dst = output.pointer, k = kernel, s = stride, width = w.width, columns = w.outputWidth
        argmax.withUnsafeMutableBufferPointer { arg in
            let indices = arg.baseAddress!
            forEachPlaneShare(of: x, configuration: configuration) { planes in
                w.forEachOutputRow(planes: planes) { out, window in
                    // y = max over the window, scanned in row-major order (the first maximum
                    // wins); remember where it was. Best value and index stay in registers and
                    // are updated by selects (cmov/maxss): on real data the comparison is
                    // unpredictable, and a branch per element would cost more than the rest.
                    @inline(__always) func consider(_ index: Int, _ best: inout Float, _ bestIndex: inout Int) {
                        let value = src[index], better = value > best
                        best = better ? value : best
                        bestIndex = better ? index : bestIndex
                    }
                    for ow in 0..<columns {
                        let corner = window + ow * s
                        var best = src[corner], bestIndex = corner
                        if k == 2 {
                            // the common 2x2 window, unrolled (same order: right, below, below-right)
                            consider(corner + 1, &best, &bestIndex)
                            consider(corner + width, &best, &bestIndex)
                            consider(corner + width + 1, &best, &bestIndex)
                        } else {
                            for i in 0..<k {
                                for j in 0..<k { consider(corner + i * width + j, &best, &bestIndex) }
                            }
                        }
                        dst[out + ow] = best
                        indices[out + ow] = Int32(truncatingIfNeeded: bestIndex)
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard computesInputGradient else {
            inputGradient.reshape(to: emptyShape)
            return inputGradient
        }
        // dx[argmax] += dy          (from y = x[argmax])
        inputGradient.reshape(to: inputShape)
        let g = dy.pointer, dx = inputGradient.pointer
        let inputPlane = inputShape[2] * inputShape[3], outputPlane = output.shape[2] * output.shape[3]
        argmax.withUnsafeBufferPointer { arg in
            // each plane's arg-maxes lie in its own input plane: planes split among threads
            forEachPlaneShare(of: inputGradient, configuration: configuration) { planes in
                (dx + planes.lowerBound * inputPlane).update(repeating: 0, count: planes.count * inputPlane)
                for i in planes.lowerBound * outputPlane..<planes.upperBound * outputPlane { dx[Int(arg[i])] += g[i] }
            }
        }
        return inputGradient
    }
}

/// Average pooling: `y[b, c, oh, ow] = (1/k²) sum_{i, j < k} x[b, c, oh·s + i, ow·s + j]`.
///
/// Backward spreads each output gradient evenly over its window: `dx[window] += dy / k²`.
public final class AvgPool2D: PoolingLayer {
    public let kernel: Int
    public let stride: Int
    public var computesInputGradient = true
    /// Threads and the parallel threshold (see `Layer.configure`).
    public private(set) var configuration = ComputeConfiguration.default
    public func configure(_ configuration: ComputeConfiguration) { self.configuration = configuration }
    private var windows: PoolingWindows?
    private let output = Tensor(shape: [0])            // y, [B, C, OH, OW]
    private let inputGradient = Tensor(shape: [0])     // dL/dx, [B, C, H, W]
    private var inputShape: [Int] = []

    /// `stride` defaults to `kernel`, as in PyTorch.
    public init(kernel: Int, stride: Int? = nil) {
        precondition(kernel > 0 && (stride ?? kernel) > 0)
        self.kernel = kernel
        self.stride = stride ?? kernel
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        let w = prepareWindows(for: x, kernel: kernel, stride: stride, inputShape: &inputShape,
                               windows: &windows, output: output)
        let src = x.pointer, dst = output.pointer, k = kernel, s = stride, width = w.width, columns = w.outputWidth
        let scale = 1 / Float(k * k)
        forEachPlaneShare(of: x, configuration: configuration) { planes in
            w.forEachOutputRow(planes: planes) { out, window in
                // y = (1/k²) sum over the window
                let y = dst + out
                for ow in 0..<columns { y[ow] = 0 }
                for i in 0..<k {
                    for j in 0..<k {
                        let row = src + window + i * width + j
                        for ow in 0..<columns { y[ow] += row[ow * s] }
                    }
                }
                for ow in 0..<columns { y[ow] *= scale }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard computesInputGradient, let w = windows else {
            inputGradient.reshape(to: emptyShape)
            return inputGradient
        }
        // dx[window] += dy / k²        (from y = (1/k²) sum over the window)
        inputGradient.reshape(to: inputShape)
        let g = dy.pointer, dx = inputGradient.pointer, k = kernel, s = stride, width = w.width, columns = w.outputWidth
        let scale = 1 / Float(k * k), inputPlane = w.inputPlane
        forEachPlaneShare(of: inputGradient, configuration: configuration) { planes in
            (dx + planes.lowerBound * inputPlane).update(repeating: 0, count: planes.count * inputPlane)
            w.forEachOutputRow(planes: planes) { out, window in
                let gy = g + out
                for i in 0..<k {
                    for j in 0..<k {
                        let row = dx + window + i * width + j
                        for ow in 0..<columns { row[ow * s] += gy[ow] * scale }
                    }
                }
            }
        }
        return inputGradient
    }
}
