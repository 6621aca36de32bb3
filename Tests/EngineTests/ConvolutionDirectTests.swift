import Engine
import TestSupport
import XCTest

/// The direct lowering of Conv2D (`DirectConvolution`, the C kernels
/// `rw_conv_correlate` / `rw_conv_weight_gradient`) against the im2col + gemm
/// lowering, on every kernel build this CPU runs: output, input gradient, weight
/// gradient and bias gradient, for LeNet-5's and Conv-2's shapes and odd ones
/// (padding 0/1/2 and more than the kernel reaches, 1 to 16 channels, even
/// kernels, non-square images, one and two workers, the backward's images one
/// group at a time or all at once).
final class ConvolutionDirectTests: XCTestCase {
    /// (in channels, out channels, height, width, kernel, padding)
    private let shapes: [(c: Int, o: Int, h: Int, w: Int, k: Int, p: Int)] = [
        (1, 6, 28, 28, 5, 2),    // LeNet-5 conv1
        (6, 16, 14, 14, 5, 0),   // LeNet-5 conv2
        (3, 5, 9, 7, 3, 1),
        (16, 4, 11, 13, 3, 0),
        (2, 16, 5, 6, 1, 0),     // 1x1 kernel
        (1, 1, 7, 7, 5, 2),
        (8, 3, 6, 5, 3, 2),      // padding wider than the kernel's reach past the edge
        (5, 7, 10, 9, 4, 1),     // even kernel
        (4, 9, 3, 3, 3, 1),
    ]

    private struct Result { var y, dx, dw, db: [Float] }

    private func run(_ shape: (c: Int, o: Int, h: Int, w: Int, k: Int, p: Int), stride: Int = 1,
                     lowering: ConvolutionLowering, path: KernelVariant, threads: Int,
                     columnBudget: Int = ComputeConfiguration.default.convolutionColumnBudget) -> Result {
        let conv = Conv2D(name: "c", inChannels: shape.c, outChannels: shape.o, kernelSize: shape.k,
                          stride: stride, padding: shape.p)
        conv.lowering = lowering
        conv.configure(ComputeConfiguration(threads: threads, convolutionColumnBudget: columnBudget,
                                            convolutionParallelThreshold: threads > 1 ? 0 : Int.max, kernelPath: path))
        var generator = SeededGenerator(seed: 11, concern: .initialization)
        for p in conv.parameters { Initializer.normal(sigma: 0.5).fill(p.value, using: &generator) }
        let batch = 3
        let x = randomTensor([batch, shape.c, shape.h, shape.w], seed: 12)
        let outputShape = try! conv.outputShape(forInputShape: [shape.c, shape.h, shape.w])
        let dy = randomTensor([batch] + outputShape, seed: 13)
        // two steps: the second reuses every buffer (borders must still read as zero)
        var result = Result(y: [], dx: [], dw: [], db: [])
        for _ in 0..<2 {
            for p in conv.parameters { p.gradient.fill(0) }
            result.y = conv.forward(x, mode: .training).values
            result.dx = conv.backward(dy).values
            result.dw = conv.weight.gradient.values
            result.db = conv.bias!.gradient.values
        }
        return result
    }

    /// `|a - b| <= 1e-4 · (1 + max |b|)` elementwise: float rounding of sums of up to 400 products.
    private func assertClose(_ a: [Float], _ b: [Float], _ message: String) {
        XCTAssertEqual(a.count, b.count, message)
        let scale = 1 + (b.map(abs).max() ?? 0)
        XCTAssertLessThan(maxAbsoluteDifference(a, b), 1e-4 * scale, message)
    }

    func testDirectLoweringMatchesIm2colOnEveryKernelPath() {
        for shape in shapes {
            let reference = run(shape, lowering: .im2col, path: .automatic, threads: 1)
            for path in KernelVariant.available {
                // (threads, column budget): a budget of 1 gives backward groups of one image
                for (threads, budget) in [(1, 1 << 18), (2, 1 << 18), (2, 1)] {
                    let direct = run(shape, lowering: .direct, path: path, threads: threads, columnBudget: budget)
                    let label = "\(shape), \(path), \(threads) thread(s), budget \(budget)"
                    assertClose(direct.y, reference.y, "y, " + label)
                    assertClose(direct.dx, reference.dx, "dx, " + label)
                    assertClose(direct.dw, reference.dw, "dW, " + label)
                    assertClose(direct.db, reference.db, "db, " + label)
                }
            }
        }
    }

    /// Stride 2 has no direct lowering: asking for it runs im2col, with identical results.
    func testStride2FallsBackToIm2col() {
        let shape = (c: 3, o: 4, h: 9, w: 8, k: 3, p: 1)
        let lowered = run(shape, stride: 2, lowering: .im2col, path: .automatic, threads: 1)
        let asked = run(shape, stride: 2, lowering: .direct, path: .automatic, threads: 1)
        XCTAssertEqual(asked.y, lowered.y)
        XCTAssertEqual(asked.dx, lowered.dx)
        XCTAssertEqual(asked.dw, lowered.dw)
    }

    /// The direct lowering's gradients against finite differences (LeNet-5's conv2 shape, smaller).
    func testDirectLoweringGradients() {
        let conv = Conv2D(name: "c", inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1)
        conv.lowering = .direct
        var generator = SeededGenerator(seed: 5, concern: .initialization)
        for p in conv.parameters { Initializer.normal(sigma: 0.5).fill(p.value, using: &generator) }
        let result = checkGradients(layer: conv, input: randomTensor([2, 2, 5, 6], seed: 6))
        XCTAssertLessThan(result.worstRelativeError, 2e-3, "\(result)")
    }
}
