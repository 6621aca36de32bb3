import Engine
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// ResidualBlock: torchvision-style names, shapes, and finite-difference gradients
/// through both the identity and the projection shortcut.
final class ResidualBlockTests: XCTestCase {
    private func randomize(_ block: ResidualBlock, seed: UInt64) {
        var generator = SeededGenerator(seed: seed, concern: .initialization)
        for p in block.parameters {
            switch p.role {
            case .weight: Initializer.normal(sigma: 0.4).fill(p.value, using: &generator)
            case .normScale: for i in 0..<p.value.count { p.value[i] = 1 + 0.3 * generator.nextNormal() }
            default: Initializer.normal(sigma: 0.3).fill(p.value, using: &generator)
            }
        }
    }

    func testIdentityBlockNames() throws {
        let block = ResidualBlock(name: "layer1.0", inChannels: 16, outChannels: 16)
        XCTAssertNil(block.shortcut)
        XCTAssertEqual(block.parameters.map(\.name), [
            "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
            "layer1.0.conv2.weight", "layer1.0.bn2.weight", "layer1.0.bn2.bias",
        ])
        XCTAssertEqual(block.buffers.map(\.name), [
            "layer1.0.bn1.running_mean", "layer1.0.bn1.running_var",
            "layer1.0.bn2.running_mean", "layer1.0.bn2.running_var",
        ])
        XCTAssertEqual(try block.outputShape(forInputShape: [16, 32, 32]), [16, 32, 32])
    }

    func testDownsamplingBlockNamesAndShapes() throws {
        let block = ResidualBlock(name: "layer2.0", inChannels: 16, outChannels: 32, stride: 2)
        XCTAssertEqual(block.parameters.map(\.name), [
            "layer2.0.conv1.weight", "layer2.0.bn1.weight", "layer2.0.bn1.bias",
            "layer2.0.conv2.weight", "layer2.0.bn2.weight", "layer2.0.bn2.bias",
            "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.weight", "layer2.0.shortcut.1.bias",
        ])
        XCTAssertEqual(block.parameters.map(\.value.shape), [
            [32, 16, 3, 3], [32], [32], [32, 32, 3, 3], [32], [32], [32, 16, 1, 1], [32], [32],
        ])
        XCTAssertEqual(Array(block.buffers.map(\.name).suffix(2)),
                       ["layer2.0.shortcut.1.running_mean", "layer2.0.shortcut.1.running_var"])
        XCTAssertEqual(try block.outputShape(forInputShape: [16, 32, 32]), [32, 16, 16])
        let y = block.forward(randomTensor([2, 16, 8, 8], seed: 1), mode: .training)
        XCTAssertEqual(y.shape, [2, 32, 4, 4])
        XCTAssertTrue(y.buffer.allSatisfy { $0 >= 0 })
    }

    // MARK: Finite differences
    //
    // In training mode a change to one conv weight moves every pre-activation of its
    // channel (through the batch statistics), so central differences over a block
    // whose ReLUs are active almost surely straddle a kink. These checks therefore
    // shift every BN output well above zero (β = 6, inputs offset by 3), which makes
    // both ReLUs the identity and checks the convolutions, the normalisations, the
    // shortcut and the sum. Float32 rounding of outputs near 6 limits the agreement
    // to a few percent on the smallest gradients (a wrong term gives errors near 1);
    // the exact check, ReLU masks included, is against PyTorch below.

    private func checkSmoothBlock(_ block: ResidualBlock, inputShape: [Int], mode: ForwardMode = .training,
                                  seed: UInt64) -> GradientCheckResult {
        randomize(block, seed: seed)
        for p in block.parameters where p.role == .normShift { p.value.fill(6) }
        let x = randomTensor(inputShape, seed: seed + 1)
        for i in 0..<x.count { x[i] = abs(x[i]) + 3 }
        if mode == .evaluation {
            // running statistics close to this batch's, so evaluation outputs stay positive too
            for _ in 0..<60 { _ = block.forward(x, mode: .training) }
        }
        let y = block.forward(x, mode: mode)
        XCTAssertEqual(y.nonZeroCount, y.count, "a ReLU is active: the check below would straddle kinks")
        return checkGradients(layer: block, input: x, mode: mode, epsilon: 1e-2, samples: 40, seed: seed)
    }

    func testIdentityBlockGradients() {
        let result = checkSmoothBlock(ResidualBlock(name: "b", inChannels: 3, outChannels: 3), inputShape: [2, 3, 5, 5], seed: 1)
        XCTAssertLessThan(result.worstRelativeError, 5e-2, "\(result)")
    }

    func testDownsamplingBlockGradients() {
        let result = checkSmoothBlock(ResidualBlock(name: "b", inChannels: 2, outChannels: 4, stride: 2),
                                      inputShape: [3, 2, 6, 6], seed: 3)
        XCTAssertLessThan(result.worstRelativeError, 5e-2, "\(result)")
    }

    /// The rounding allowance does not hide a wrong gradient at this scale: the same
    /// block with its input gradient scaled by 1.3 (a wrong term) fails the check.
    func testCheckCatchesAWrongInputGradient() {
        let block = ResidualBlock(name: "b", inChannels: 2, outChannels: 4, stride: 2)
        let wrong = ScaledInputGradient(block, factor: 1.3)
        randomize(block, seed: 3)
        for p in block.parameters where p.role == .normShift { p.value.fill(6) }
        let x = randomTensor([3, 2, 6, 6], seed: 4)
        for i in 0..<x.count { x[i] = abs(x[i]) + 3 }
        let result = checkGradients(layer: wrong, input: x, epsilon: 1e-2, samples: 40, seed: 3)
        XCTAssertGreaterThan(result.worstRelativeError, 5e-2, "\(result)")
    }

    func testEvaluationModeGradients() {
        let block = ResidualBlock(name: "b", inChannels: 2, outChannels: 4, stride: 2)
        let result = checkSmoothBlock(block, inputShape: [2, 2, 6, 6], mode: .evaluation, seed: 5)
        XCTAssertLessThan(result.worstRelativeError, 5e-2, "\(result)")
    }

    // MARK: Against PyTorch

    /// Output, input gradient and every parameter gradient against PyTorch (float64),
    /// with the ReLUs active (see `ResidualBlockReference`).
    func testMatchesPyTorch() {
        for (name, block, shape) in [
            ("downsampling", ResidualBlock(name: "b", inChannels: 2, outChannels: 4, stride: 2), [2, 2, 4, 4]),
            ("identity", ResidualBlock(name: "b", inChannels: 3, outChannels: 3), [2, 3, 4, 4]),
        ] {
            for (k, p) in block.parameters.enumerated() {
                for i in 0..<p.value.count {
                    let s = sin(1.3 * Double(i) + Double(k))
                    p.value[i] = Float(p.role == .normScale ? 1 + 0.3 * s : 0.5 * s)
                }
            }
            let x = Tensor(shape: shape)
            for i in 0..<x.count { x[i] = Float(1.5 * sin(0.7 * Double(i))) }
            let y = block.forward(x, mode: .training)
            let dy = Tensor(shape: y.shape)
            for i in 0..<dy.count { dy[i] = Float(cos(0.9 * Double(i))) }
            let dx = block.backward(dy)
            func compare(_ actual: Tensor, _ key: String) {
                guard let expected = ResidualBlockReference.values["\(name).\(key)"] else { return XCTFail("no reference \(key)") }
                XCTAssertEqual(actual.count, expected.count, key)
                let scale = expected.map(abs).max() ?? 1
                XCTAssertLessThan(maxAbsoluteDifference(actual.values, expected), 1e-4 * max(scale, 1), "\(name) \(key)")
            }
            compare(y, "y")
            compare(dx, "dx")
            for p in block.parameters { compare(p.gradient, String(p.name.dropFirst(2))) }
        }
    }

    /// As the first layer of a network the block returns no input gradient but still
    /// fills every parameter gradient.
    func testSkipsInputGradientWhenAsked() {
        let block = ResidualBlock(name: "b", inChannels: 2, outChannels: 4, stride: 2)
        randomize(block, seed: 8)
        block.computesInputGradient = false
        XCTAssertFalse(block.conv1.computesInputGradient)
        XCTAssertFalse(block.shortcut!.conv.computesInputGradient)
        _ = block.forward(randomTensor([2, 2, 6, 6], seed: 9), mode: .training)
        XCTAssertEqual(block.backward(randomTensor([2, 4, 3, 3], seed: 10)).count, 0)
        for p in block.parameters { XCTAssertNotEqual(p.gradient.nonZeroCount, 0, p.name) }
    }
}

/// A layer whose input gradient is its inner layer's times `factor`: a deliberately
/// wrong backward, to show the gradient check fails on it.
private final class ScaledInputGradient: Layer {
    let inner: Layer
    let factor: Float
    init(_ inner: Layer, factor: Float) { self.inner = inner; self.factor = factor }
    var parameters: [Parameter] { inner.parameters }
    var computesInputGradient: Bool {
        get { inner.computesInputGradient }
        set { inner.computesInputGradient = newValue }
    }
    func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] { try inner.outputShape(forInputShape: shape) }
    func forward(_ input: Tensor, mode: ForwardMode) -> Tensor { inner.forward(input, mode: mode) }
    func backward(_ outputGradient: Tensor) -> Tensor {
        let gradient = Tensor(copying: inner.backward(outputGradient))
        for i in 0..<gradient.count { gradient[i] *= factor }
        return gradient
    }
}
