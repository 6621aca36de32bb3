import Engine
import TestSupport
import XCTest

/// Finite-difference checks of every layer's backward pass and of the loss.
final class GradientCheckTests: XCTestCase {
    func testLinearGradients() {
        for (batch, inputs, outputs, bias) in [(3, 5, 4, true), (1, 7, 2, false), (6, 12, 9, true)] {
            let layer = Linear(name: "fc", inputFeatures: inputs, outputFeatures: outputs, bias: bias)
            var generator = SeededGenerator(seed: 3, concern: .initialization)
            for p in layer.parameters { Initializer.normal(sigma: 0.5).fill(p.value, using: &generator) }
            let result = checkGradients(layer: layer, input: randomTensor([batch, inputs], seed: 9))
            XCTAssertLessThan(result.worstRelativeError, 2e-3, "\(batch)x\(inputs)->\(outputs): \(result)")
        }
    }

    func testLinearSkipsInputGradientWhenAsked() {
        let layer = Linear(name: "fc", inputFeatures: 4, outputFeatures: 3)
        layer.computesInputGradient = false
        let x = randomTensor([2, 4], seed: 1)
        _ = layer.forward(x, mode: .training)
        let dx = layer.backward(randomTensor([2, 3], seed: 2))
        XCTAssertEqual(dx.count, 0)
        XCTAssertNotEqual(layer.weight.gradient.nonZeroCount, 0)
    }

    func testReLUGradients() {
        // Inputs kept away from the kink at 0, where the derivative is undefined.
        let x = randomTensor([4, 10], seed: 5)
        for i in 0..<x.count where abs(x[i]) < 0.05 { x[i] = 0.3 }
        let result = checkGradients(layer: ReLU(), input: x)
        XCTAssertLessThan(result.worstRelativeError, 1e-3, "\(result)")
    }

    func testFlattenGradients() {
        let result = checkGradients(layer: Flatten(), input: randomTensor([2, 3, 4, 5], seed: 6))
        XCTAssertLessThan(result.worstRelativeError, 1e-3, "\(result)")
    }

    func testDropoutGradientsWithFixedMask() {
        let dropout = Dropout(probability: 0.4)
        let result = checkGradients(layer: dropout, input: randomTensor([5, 20], seed: 7)) {
            dropout.reseed(seed: 11, stream: 0)
        }
        XCTAssertLessThan(result.worstRelativeError, 1e-3, "\(result)")
    }

    func testDropoutKeepsExpectationAndIsIdentityInEvaluation() {
        let dropout = Dropout(probability: 0.25, seed: 4)
        let x = Tensor(shape: [100, 100], repeating: 1)
        let y = dropout.forward(x, mode: .training)
        let mean = y.buffer.reduce(0, +) / Float(y.count)
        XCTAssertEqual(mean, 1, accuracy: 0.03)
        let zeros = y.buffer.filter { $0 == 0 }.count
        XCTAssertEqual(Double(zeros) / Double(y.count), 0.25, accuracy: 0.02)
        XCTAssertEqual(dropout.forward(x, mode: .evaluation).values, x.values)
    }

    func testSoftmaxCrossEntropyGradientAndValue() {
        let loss = SoftmaxCrossEntropy()
        let logits = randomTensor([4, 5], seed: 8, scale: 2)
        let labels: [Int32] = [0, 3, 4, 1]
        func value() -> Double {
            Double(labels.withUnsafeBufferPointer { loss.lossAndGradient(logits: logits, labels: $0.baseAddress!) })
        }
        // Value against a direct Double computation.
        var expected = 0.0
        for b in 0..<4 {
            let row = (0..<5).map { Double(logits[b * 5 + $0]) }
            expected += log(row.map { exp($0) }.reduce(0, +)) - row[Int(labels[b])]
        }
        XCTAssertEqual(value(), expected / 4, accuracy: 1e-5)
        let analytic = Tensor(copying: loss.logitsGradient)
        let epsilon: Float = 1e-2
        for i in 0..<logits.count {
            let saved = logits[i]
            logits[i] = saved + epsilon; let plus = value()
            logits[i] = saved - epsilon; let minus = value()
            logits[i] = saved
            XCTAssertEqual(Double(analytic[i]), (plus - minus) / Double(2 * epsilon), accuracy: 2e-4, "logit \(i)")
        }
    }

    func testSoftmaxCrossEntropyIsStableForHugeLogits() {
        let loss = SoftmaxCrossEntropy()
        let logits = Tensor(shape: [1, 3], values: [1000, -1000, 0])
        let l = [Int32(1)].withUnsafeBufferPointer { loss.lossAndGradient(logits: logits, labels: $0.baseAddress!) }
        XCTAssertEqual(l, 2000, accuracy: 1e-2)
        XCTAssertTrue(loss.logitsGradient.isFinite)
    }
}
