import Engine
import TestSupport
import XCTest

/// BatchNorm2D: gradients in both modes, the running-statistics update, and
/// evaluation with running statistics, against direct computations.
final class BatchNormTests: XCTestCase {
    private func randomized(_ bn: BatchNorm2D, seed: UInt64) -> BatchNorm2D {
        var generator = SeededGenerator(seed: seed, concern: .initialization)
        for i in 0..<bn.channels {
            bn.weight.value[i] = 1 + 0.5 * generator.nextNormal()
            bn.bias.value[i] = 0.5 * generator.nextNormal()
        }
        return bn
    }

    func testNamesRolesAndBuffers() {
        let bn = BatchNorm2D(name: "layer1.0.bn1", channels: 4)
        XCTAssertEqual(bn.parameters.map(\.name), ["layer1.0.bn1.weight", "layer1.0.bn1.bias"])
        XCTAssertEqual(bn.parameters.map(\.role), [.normScale, .normShift])
        XCTAssertEqual(bn.buffers.map(\.name), ["layer1.0.bn1.running_mean", "layer1.0.bn1.running_var"])
        XCTAssertEqual(bn.weight.value.values, [1, 1, 1, 1])
        XCTAssertEqual(bn.runningVariance.values, [1, 1, 1, 1])
        XCTAssertEqual(bn.runningMean.values, [0, 0, 0, 0])
    }

    func testTrainingGradients() {
        for (shape, seed) in [([4, 3, 3, 3], UInt64(1)), ([2, 2, 4, 5], 2), ([8, 1, 1, 1], 3)] {
            let bn = randomized(BatchNorm2D(name: "bn", channels: shape[1]), seed: seed)
            let result = checkGradients(layer: bn, input: randomTensor(shape, seed: seed + 10, scale: 2))
            XCTAssertLessThan(result.worstRelativeError, 5e-3, "\(shape): \(result)")
        }
    }

    func testEvaluationGradients() {
        let bn = randomized(BatchNorm2D(name: "bn", channels: 3), seed: 4)
        bn.runningMean.copy(from: Tensor(shape: [3], values: [0.5, -1, 2]))
        bn.runningVariance.copy(from: Tensor(shape: [3], values: [2, 0.5, 1.5]))
        let result = checkGradients(layer: bn, input: randomTensor([2, 3, 3, 3], seed: 5), mode: .evaluation)
        XCTAssertLessThan(result.worstRelativeError, 1e-3, "\(result)")
    }

    /// Training output per channel has mean β and standard deviation γ (biased, ε aside).
    func testTrainingNormalisesWithBatchStatistics() {
        let bn = BatchNorm2D(name: "bn", channels: 2)
        bn.weight.value.copy(from: Tensor(shape: [2], values: [2, 0.5]))
        bn.bias.value.copy(from: Tensor(shape: [2], values: [1, -3]))
        let x = randomTensor([5, 2, 3, 4], seed: 6, scale: 3)
        let y = bn.forward(x, mode: .training)
        for c in 0..<2 {
            var values: [Double] = []
            for b in 0..<5 { for i in 0..<12 { values.append(Double(y[(b * 2 + c) * 12 + i])) } }
            let mean = values.reduce(0, +) / 60
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 60
            XCTAssertEqual(mean, [1.0, -3.0][c], accuracy: 1e-4)
            XCTAssertEqual(variance.squareRoot(), [2.0, 0.5][c], accuracy: 1e-3)
        }
    }

    /// running_mean ← 0.9·running_mean + 0.1·μ; running_var ← 0.9·running_var + 0.1·σ²·n/(n-1)
    /// (PyTorch's unbiased convention), checked over two steps against direct sums.
    func testRunningStatisticsUpdate() {
        let bn = BatchNorm2D(name: "bn", channels: 1, momentum: 0.1)
        let first = Tensor(shape: [2, 1, 1, 2], values: [1, 2, 3, 6])      // μ = 3, Σ(x-μ)² = 4+1+0+9 = 14
        _ = bn.forward(first, mode: .training)
        XCTAssertEqual(bn.runningMean[0], 0.3, accuracy: 1e-6)              // 0.9·0 + 0.1·3
        XCTAssertEqual(bn.runningVariance[0], 0.9 + 0.1 * 14 / 3, accuracy: 1e-6)
        let second = Tensor(shape: [1, 1, 1, 3], values: [0, 0, 3])        // μ = 1, Σ(x-μ)² = 1+1+4 = 6
        _ = bn.forward(second, mode: .training)
        XCTAssertEqual(bn.runningMean[0], 0.9 * 0.3 + 0.1 * 1, accuracy: 1e-6)
        XCTAssertEqual(bn.runningVariance[0], 0.9 * (0.9 + 0.1 * 14 / 3) + 0.1 * 6 / 2, accuracy: 1e-6)
        // Evaluation leaves them alone.
        let mean = bn.runningMean[0], variance = bn.runningVariance[0]
        _ = bn.forward(first, mode: .evaluation)
        XCTAssertEqual(bn.runningMean[0], mean)
        XCTAssertEqual(bn.runningVariance[0], variance)
    }

    /// Evaluation normalises with the running statistics: y = γ (x - rm)/√(rv + ε) + β.
    func testEvaluationUsesRunningStatistics() {
        let bn = BatchNorm2D(name: "bn", channels: 2, epsilon: 1e-5)
        bn.weight.value.copy(from: Tensor(shape: [2], values: [2, -1]))
        bn.bias.value.copy(from: Tensor(shape: [2], values: [0.5, 1]))
        bn.runningMean.copy(from: Tensor(shape: [2], values: [1, -2]))
        bn.runningVariance.copy(from: Tensor(shape: [2], values: [4, 0.25]))
        let x = Tensor(shape: [1, 2, 1, 2], values: [3, -1, -2, 0])
        let y = bn.forward(x, mode: .evaluation)
        let s0 = (4 + 1e-5).squareRoot(), s1 = (0.25 + 1e-5).squareRoot()
        let expected = [2 * (3 - 1) / s0 + 0.5, 2 * (-1 - 1) / s0 + 0.5,
                        -1 * (-2 + 2) / s1 + 1, -1 * (0 + 2) / s1 + 1]
        for i in 0..<4 { XCTAssertEqual(Double(y[i]), expected[i], accuracy: 1e-5) }
    }

    /// Splitting the channels among threads changes nothing, in either mode.
    func testChannelSplitMatchesSerial() {
        let x = randomTensor([3, 5, 4, 4], seed: 11, scale: 2), dy = randomTensor([3, 5, 4, 4], seed: 12)
        var results: [[[Float]]] = []
        for (threshold, threads) in [(Int.max, 1), (0, 2), (0, 3)] {
            let bn = randomized(BatchNorm2D(name: "bn", channels: 5), seed: 13)
            bn.configure(ComputeConfiguration(threads: threads, batchNormParallelThreshold: threshold))
            var values: [[Float]] = []
            for mode in [ForwardMode.training, .evaluation] {
                values.append(bn.forward(x, mode: mode).values)
                values.append(bn.backward(dy).values)
            }
            values += [bn.weight.gradient.values, bn.bias.gradient.values, bn.runningMean.values, bn.runningVariance.values]
            results.append(values)
        }
        for r in results.dropFirst() {
            for (a, b) in zip(r, results[0]) { XCTAssertEqual(a, b) }
        }
    }
}
