/// The basic residual block of He et al. 2016 ("Deep Residual Learning for Image
/// Recognition", §4.2, the CIFAR-10 networks):
///
///     h = relu(bn1(conv1(x)))                 conv1: 3x3, stride s, padding 1, no bias
///     y = relu(bn2(conv2(h)) + shortcut(x))   conv2: 3x3, stride 1, padding 1, no bias
///
/// with `shortcut(x) = x` when the shape is kept, and a projection
/// `shortcut(x) = bn(conv1x1_s(x))` when the block downsamples (stride 2) or widens.
///
/// Shortcut choice: option B (projection), not He et al.'s CIFAR option A
/// (zero-padded identity). Rewind reproduces lottery-ticket experiments, and
/// Frankle et al.'s reference implementation (open_lth, `models/cifar_resnet.py`,
/// used for the ResNet-20 results of "Linear Mode Connectivity and the Lottery
/// Ticket Hypothesis" and "Stabilizing the LTH") uses exactly this 1x1-conv + BN
/// shortcut; matching it keeps parameter counts, prunable weights and checkpoints
/// comparable. The cost is two small layers per stage (512 + 64 and 2,048 + 128
/// parameters in ResNet-20).
///
/// Names follow torchvision-style CIFAR ResNets: a block named "layer2.0" has
/// "layer2.0.conv1.weight", "layer2.0.bn1.weight", "layer2.0.bn1.bias",
/// "layer2.0.conv2.weight", "layer2.0.bn2.*", and for the projection
/// "layer2.0.shortcut.0.weight" (conv) and "layer2.0.shortcut.1.*" (BN), plus the
/// BN buffers "….running_mean" and "….running_var".
public final class ResidualBlock: Layer {
    public let conv1: Conv2D
    public let bn1: BatchNorm2D
    public let conv2: Conv2D
    public let bn2: BatchNorm2D
    /// The projection shortcut (1x1 conv, BN), nil for the identity.
    public let shortcut: (conv: Conv2D, norm: BatchNorm2D)?
    public let inChannels: Int
    public let outChannels: Int
    public let stride: Int

    private let relu1 = ReLU()
    private let relu2 = ReLU()
    private let sum = Tensor(shape: [0])               // bn2(conv2(h)) + shortcut(x), [B, O, OH, OW]
    private let inputGradient = Tensor(shape: [0])     // dL/dx, [B, C, H, W]

    public var computesInputGradient = true {
        didSet {
            conv1.computesInputGradient = computesInputGradient
            shortcut?.conv.computesInputGradient = computesInputGradient
        }
    }

    /// A block named `name` ("layer1.0") from `inChannels` to `outChannels` with the
    /// first convolution's `stride`; the shortcut projects when `stride != 1` or the
    /// channel count changes.
    public init(name: String, inChannels: Int, outChannels: Int, stride: Int = 1) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.stride = stride
        conv1 = Conv2D(name: "\(name).conv1", inChannels: inChannels, outChannels: outChannels,
                       kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2D(name: "\(name).bn1", channels: outChannels)
        conv2 = Conv2D(name: "\(name).conv2", inChannels: outChannels, outChannels: outChannels,
                       kernelSize: 3, stride: 1, padding: 1, bias: false)
        bn2 = BatchNorm2D(name: "\(name).bn2", channels: outChannels)
        if stride != 1 || inChannels != outChannels {
            shortcut = (Conv2D(name: "\(name).shortcut.0", inChannels: inChannels, outChannels: outChannels,
                               kernelSize: 1, stride: stride, padding: 0, bias: false),
                        BatchNorm2D(name: "\(name).shortcut.1", channels: outChannels))
        } else {
            shortcut = nil
        }
    }

    private var sublayers: [Layer] {
        [conv1, bn1, conv2, bn2] + (shortcut.map { [$0.conv, $0.norm] } ?? [])
    }

    public var parameters: [Parameter] { sublayers.flatMap(\.parameters) }
    public var buffers: [NamedBuffer] { sublayers.flatMap(\.buffers) }

    public func configure(_ configuration: ComputeConfiguration) {
        for layer in sublayers + [relu1, relu2] { layer.configure(configuration) }
    }

    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        try conv1.outputShape(forInputShape: shape)
    }

    public func forward(_ x: Tensor, mode: ForwardMode) -> Tensor {
        // h = relu(bn1(conv1(x)))
        let h = relu1.forward(bn1.forward(conv1.forward(x, mode: mode), mode: mode), mode: mode)
        let main = bn2.forward(conv2.forward(h, mode: mode), mode: mode)
        let skip = shortcut.map { $0.norm.forward($0.conv.forward(x, mode: mode), mode: mode) } ?? x
        precondition(main.shape == skip.shape, "ResidualBlock: branch \(main.shape) and shortcut \(skip.shape) differ")
        // sum = bn2(conv2(h)) + shortcut(x)
        sum.reshape(to: main.shape)
        let a = main.pointer, b = skip.pointer, s = sum.pointer
        for i in 0..<sum.count { s[i] = a[i] + b[i] }
        // y = relu(sum)
        return relu2.forward(sum, mode: mode)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        // dsum = dy · [sum > 0]                                      (from y = relu(sum))
        let dsum = relu2.backward(dy)
        // the main branch, in reverse: bn2, conv2, relu1, bn1, conv1  (from sum = bn2(conv2(h)) + ...)
        let dh = relu1.backward(conv2.backward(bn2.backward(dsum)))
        let dxMain = conv1.backward(bn1.backward(dh))
        // the shortcut: projection backward, or dsum itself          (from sum = ... + shortcut(x))
        let dxSkip = shortcut.map { $0.conv.backward($0.norm.backward(dsum)) } ?? dsum
        guard computesInputGradient else {
            inputGradient.reshape(to: emptyShape)
            return inputGradient
        }
        // dx = d(main branch)/dx + d(shortcut)/dx
        inputGradient.reshape(to: dxMain.shape)
        let a = dxMain.pointer, b = dxSkip.pointer, d = inputGradient.pointer
        for i in 0..<inputGradient.count { d[i] = a[i] + b[i] }
        return inputGradient
    }
}
