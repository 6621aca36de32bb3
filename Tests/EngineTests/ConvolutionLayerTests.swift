import Engine
import TestSupport
import XCTest

/// Conv2D, pooling and global pooling: hand-computed outputs and finite-difference
/// gradient checks.
final class ConvolutionLayerTests: XCTestCase {
    private func randomize(_ layer: Layer, seed: UInt64, sigma: Float = 0.5) {
        var generator = SeededGenerator(seed: seed, concern: .initialization)
        for p in layer.parameters { Initializer.normal(sigma: sigma).fill(p.value, using: &generator) }
    }

    // MARK: Conv2D by hand

    /// x = [[1,2,3],[4,5,6],[7,8,9]], W = [[1,2],[3,4]], bias 0.5, stride 1, no padding:
    /// y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, y[0,1] = 2 + 6 + 15 + 24 = 47,
    /// y[1,0] = 4 + 10 + 21 + 32 = 67, y[1,1] = 5 + 12 + 24 + 36 = 77; plus 0.5.
    func testHandComputed2x2Convolution() {
        let conv = Conv2D(name: "c", inChannels: 1, outChannels: 1, kernelSize: 2)
        conv.weight.value.copy(from: Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]))
        conv.bias!.value[0] = 0.5
        let x = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = conv.forward(x, mode: .training)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.values, [37.5, 47.5, 67.5, 77.5])
    }

    /// Same x and W with padding 1 and stride 2 (OH = (3 + 2 - 2)/2 + 1 = 2); windows
    /// start at (-1,-1), (-1,1), (1,-1), (1,1):
    /// y[0,0] = 1·4 = 4, y[0,1] = 2·3 + 3·4 = 18, y[1,0] = 4·2 + 7·4 = 36,
    /// y[1,1] = 5·1 + 6·2 + 8·3 + 9·4 = 77.
    func testHandComputedPaddedStridedConvolution() {
        let conv = Conv2D(name: "c", inChannels: 1, outChannels: 1, kernelSize: 2, stride: 2, padding: 1, bias: false)
        conv.weight.value.copy(from: Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4]))
        let x = Tensor(shape: [1, 1, 3, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let y = conv.forward(x, mode: .training)
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.values, [4, 18, 36, 77])
    }

    /// Two input channels, two filters, 3x3 kernel on a 3x3 image, padding 1: the
    /// centre output is the full dot product, a corner sees a 2x2 sub-window.
    /// Filter 0 is all ones on channel 0 and all twos on channel 1; filter 1 picks
    /// the centre tap of channel 1 (identity on that channel).
    func testHandComputedMultiChannel3x3Convolution() {
        let conv = Conv2D(name: "c", inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1, bias: false)
        var w = [Float](repeating: 1, count: 9) + [Float](repeating: 2, count: 9)
        w += [Float](repeating: 0, count: 9) + [0, 0, 0, 0, 1, 0, 0, 0, 0]
        conv.weight.value.copy(from: Tensor(shape: [2, 2, 3, 3], values: w))
        let channel0: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let channel1: [Float] = [9, 8, 7, 6, 5, 4, 3, 2, 1]
        let y = conv.forward(Tensor(shape: [1, 2, 3, 3], values: channel0 + channel1), mode: .training)
        XCTAssertEqual(y.shape, [1, 2, 3, 3])
        // centre: sum(ch0) + 2·sum(ch1) = 45 + 90; top-left: (1+2+4+5) + 2·(9+8+6+5) = 12 + 56
        XCTAssertEqual(y[4], 135)
        XCTAssertEqual(y[0], 68)
        // bottom-right: (5+6+8+9) + 2·(5+4+2+1) = 28 + 24
        XCTAssertEqual(y[8], 52)
        XCTAssertEqual(Array(y.values[9..<18]), channel1)
    }

    func testConv2DOutputShapes() throws {
        let conv = Conv2D(name: "c", inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 1)
        XCTAssertEqual(try conv.outputShape(forInputShape: [3, 32, 32]), [8, 16, 16])
        XCTAssertEqual(try conv.outputShape(forInputShape: [3, 7, 5]), [8, 4, 3])
        XCTAssertEqual(conv.weight.name, "c.weight")
        XCTAssertEqual(conv.weight.value.shape, [8, 3, 3, 3])
        XCTAssertEqual(conv.bias?.name, "c.bias")
        XCTAssertEqual(conv.weight.role, .weight)
        XCTAssertEqual(conv.bias?.role, .bias)
    }

    // MARK: Conv2D gradients

    func testConv2DGradients() {
        // (batch, in, out, height, width, kernel, stride, padding, bias)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Bool)] = [
            (2, 1, 2, 5, 5, 3, 1, 0, true),
            (2, 3, 4, 6, 5, 3, 1, 1, false),
            (1, 2, 3, 7, 7, 3, 2, 1, true),
            (2, 3, 2, 6, 6, 3, 2, 0, false),
            (3, 2, 5, 5, 4, 2, 1, 1, true),
            (2, 4, 3, 5, 5, 1, 2, 0, false),
            (2, 5, 6, 4, 4, 5, 1, 2, true),
        ]
        for (index, (batch, c, o, h, w, k, s, p, bias)) in cases.enumerated() {
            let conv = Conv2D(name: "conv", inChannels: c, outChannels: o, kernelSize: k, stride: s, padding: p, bias: bias)
            randomize(conv, seed: UInt64(index))
            // The layer is linear in x and W, so a large step has no truncation error
            // and keeps Float32 rounding small against the difference.
            let result = checkGradients(layer: conv, input: randomTensor([batch, c, h, w], seed: UInt64(20 + index)), epsilon: 0.25)
            XCTAssertLessThan(result.worstRelativeError, 2e-3,
                              "case \(index): \(batch)x\(c)x\(h)x\(w) -> \(o), k\(k) s\(s) p\(p) bias \(bias): \(result)")
        }
    }

    /// Every division of the work gives the same output and gradients: one worker with
    /// the whole batch in one group, groups of two images (and a remainder, columns
    /// recomputed in backward), single images, and the batch split among two or three
    /// workers (each with its own partial gradients), for a strided and a "same"
    /// convolution.
    func testConv2DWorkDivisionsAgree() {
        for (stride, padding, output) in [(2, 1, 3), (1, 1, 6)] {
            let x = randomTensor([7, 3, 6, 6], seed: 4), dy = randomTensor([7, 4, output, output], seed: 5)
            var results: [(y: [Float], dx: [Float], dw: [Float], db: [Float])] = []
            // (column budget, parallel threshold, workers)
            for (budget, threshold, threads) in [(1 << 24, Int.max, 1), (27 * output * output * 2, Int.max, 1), (1, Int.max, 1),
                                                 (1 << 24, 0, 2), (1, 0, 2), (27 * output * output * 2, 0, 3)] {
                let conv = Conv2D(name: "c", inChannels: 3, outChannels: 4, kernelSize: 3, stride: stride, padding: padding)
                conv.configure(ComputeConfiguration(threads: threads, convolutionColumnBudget: budget,
                                                    convolutionParallelThreshold: threshold))
                randomize(conv, seed: 8)
                let y = conv.forward(x, mode: .training).values
                let dx = conv.backward(dy).values
                results.append((y, dx, conv.weight.gradient.values, conv.bias!.gradient.values))
            }
            for (i, r) in results.enumerated().dropFirst() {
                XCTAssertLessThan(maxAbsoluteDifference(r.y, results[0].y), 1e-5, "stride \(stride), division \(i)")
                XCTAssertLessThan(maxAbsoluteDifference(r.dx, results[0].dx), 1e-5, "stride \(stride), division \(i)")
                XCTAssertLessThan(maxAbsoluteDifference(r.dw, results[0].dw), 1e-4, "stride \(stride), division \(i)")
                XCTAssertLessThan(maxAbsoluteDifference(r.db, results[0].db), 1e-4, "stride \(stride), division \(i)")
            }
        }
    }

    /// Backward adds into parameter gradients (two backward passes give twice the gradient).
    func testConv2DBackwardAccumulates() {
        let conv = Conv2D(name: "c", inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1)
        randomize(conv, seed: 2)
        let x = randomTensor([2, 2, 4, 4], seed: 3), dy = randomTensor([2, 3, 4, 4], seed: 4)
        _ = conv.forward(x, mode: .training)
        _ = conv.backward(dy)
        let once = conv.weight.gradient.values, onceBias = conv.bias!.gradient.values
        _ = conv.forward(x, mode: .training)
        _ = conv.backward(dy)
        XCTAssertLessThan(maxAbsoluteDifference(conv.weight.gradient.values, once.map { 2 * $0 }), 1e-4)
        XCTAssertLessThan(maxAbsoluteDifference(conv.bias!.gradient.values, onceBias.map { 2 * $0 }), 1e-4)
    }

    /// The first layer of a network computes no input gradient but still its weight gradient.
    func testConv2DSkipsInputGradientWhenAsked() {
        let conv = Conv2D(name: "c", inChannels: 1, outChannels: 2, kernelSize: 3, padding: 1)
        randomize(conv, seed: 1)
        conv.computesInputGradient = false
        let result = checkGradients(layer: conv, input: randomTensor([2, 1, 5, 5], seed: 2))
        XCTAssertLessThan(result.worstRelativeError, 2e-3, "\(result)")
        _ = conv.forward(randomTensor([2, 1, 5, 5], seed: 2), mode: .training)
        XCTAssertEqual(conv.backward(randomTensor([2, 2, 5, 5], seed: 3)).count, 0)
    }

    // MARK: Pooling

    func testMaxPoolValues() {
        let pool = MaxPool2D(kernel: 2)
        let x = Tensor(shape: [1, 1, 4, 4], values: [1, 5, 2, 0,
                                                    3, 4, 8, 1,
                                                    0, 0, -1, -2,
                                                    9, 1, -3, -4])
        XCTAssertEqual(pool.forward(x, mode: .training).values, [5, 8, 9, -1])
        let dx = pool.backward(Tensor(shape: [1, 1, 2, 2], values: [10, 20, 30, 40]))
        XCTAssertEqual(dx.values, [0, 10, 0, 0,
                                   0, 0, 20, 0,
                                   0, 0, 40, 0,
                                   30, 0, 0, 0])
    }

    func testAvgPoolValues() {
        let pool = AvgPool2D(kernel: 2)
        let x = Tensor(shape: [1, 1, 2, 4], values: [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(pool.forward(x, mode: .training).values, [3.5, 5.5])
        XCTAssertEqual(pool.backward(Tensor(shape: [1, 1, 1, 2], values: [4, 8])).values,
                       [1, 1, 2, 2, 1, 1, 2, 2])
    }

    func testPoolingOutputShapes() throws {
        XCTAssertEqual(try MaxPool2D(kernel: 2).outputShape(forInputShape: [16, 7, 7]), [16, 3, 3])
        XCTAssertEqual(try AvgPool2D(kernel: 3, stride: 2).outputShape(forInputShape: [4, 9, 8]), [4, 4, 3])
        XCTAssertEqual(try GlobalAveragePool().outputShape(forInputShape: [64, 8, 8]), [64])
    }

    func testMaxPoolGradients() {
        for (kernel, stride, shape) in [(2, 2, [2, 3, 6, 6]), (3, 2, [1, 2, 7, 5]), (2, 1, [2, 1, 4, 4])] {
            // Distinct, well-separated values so no window's arg-max changes under ±ε.
            let x = Tensor(shape: shape)
            var generator = SeededGenerator(seed: 6, concern: .benchmark)
            var values = (0..<x.count).map { Float($0) * 0.1 }
            values.shuffle(using: &generator)
            for i in 0..<x.count { x[i] = values[i] }
            let result = checkGradients(layer: MaxPool2D(kernel: kernel, stride: stride), input: x, epsilon: 1e-2)
            XCTAssertLessThan(result.worstRelativeError, 1e-3, "k\(kernel) s\(stride) \(shape): \(result)")
        }
    }

    func testAvgPoolGradients() {
        for (kernel, stride, shape) in [(2, 2, [2, 3, 6, 6]), (3, 2, [1, 2, 7, 5]), (2, 1, [2, 1, 4, 4])] {
            let result = checkGradients(layer: AvgPool2D(kernel: kernel, stride: stride), input: randomTensor(shape, seed: 7))
            XCTAssertLessThan(result.worstRelativeError, 1e-3, "k\(kernel) s\(stride) \(shape): \(result)")
        }
    }

    /// Splitting the planes among threads changes nothing.
    func testPoolingPlaneSplitMatchesSerial() {
        let x = randomTensor([3, 5, 7, 6], seed: 9), dy = randomTensor([3, 5, 3, 2], seed: 10)
        var results: [[Float]] = []
        for (threshold, threads) in [(Int.max, 1), (0, 2), (0, 4)] {
            var values: [Float] = []
            for pool in [MaxPool2D(kernel: 3, stride: 2) as Layer, AvgPool2D(kernel: 3, stride: 2)] {
                pool.configure(ComputeConfiguration(threads: threads, poolingParallelThreshold: threshold))
                values += pool.forward(x, mode: .training).values
                values += pool.backward(dy).values
            }
            results.append(values)
        }
        XCTAssertEqual(results[1], results[0])
        XCTAssertEqual(results[2], results[0])
    }

    func testGlobalAveragePoolValuesAndGradients() {
        let pool = GlobalAveragePool()
        let x = Tensor(shape: [1, 2, 2, 2], values: [1, 2, 3, 4, 10, 20, 30, 40])
        let y = pool.forward(x, mode: .training)
        XCTAssertEqual(y.shape, [1, 2])
        XCTAssertEqual(y.values, [2.5, 25])
        let result = checkGradients(layer: GlobalAveragePool(), input: randomTensor([3, 4, 3, 5], seed: 8))
        XCTAssertLessThan(result.worstRelativeError, 1e-3, "\(result)")
    }
}
