import CKernels
@testable import Engine
import TestSupport
import XCTest

/// The run-time choice of kernel build (`KernelVariant`, CKernels' `rw_kernel_path`)
/// and the elementwise kernels on every build this CPU has, against the portable one.
/// (The sparse product's builds are compared in `SparseGemmTests`,
/// `SparseConvolutionTests` and `SparseInferenceNetworkTests`.)
final class KernelPathTests: XCTestCase {
    /// The CPU flags Linux reports, to check the cpuid detection against.
    private static var cpuFlags: Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return Set(line.split(separator: ":").last!.split(separator: " ").map(String.init))
    }

    func testDetectionMatchesTheCPUFlagsAndRequestsFallBack() throws {
        if let flags = Self.cpuFlags {
            XCTAssertEqual(KernelVariant.isAVX2FMAAvailable, flags.contains("avx2") && flags.contains("fma"))
            XCTAssertEqual(KernelVariant.isAVX512Available,
                           KernelVariant.isAVX2FMAAvailable && flags.isSuperset(of: ["avx512f", "avx512vl", "avx512dq"]))
        }
        let best = KernelVariant.available.last!
        XCTAssertEqual(KernelVariant.resolved, best)
        XCTAssertEqual(KernelVariant.portable.resolvedPath, .portable)
        XCTAssertEqual(KernelVariant.avx2FMA.resolvedPath, KernelVariant.isAVX2FMAAvailable ? .avx2FMA : .portable)
        XCTAssertEqual(KernelVariant.avx512.resolvedPath, best)
        for variant in KernelVariant.available { XCTAssertEqual(variant.resolvedPath, variant) }
        print("kernel builds on this CPU: \(KernelVariant.available.map(\.description).joined(separator: ", "))")
    }

    /// Lengths around the vector widths (8 and 16) so that every build runs whole
    /// vectors and a tail.
    static let lengths = [0, 1, 7, 8, 15, 16, 17, 33, 100, 1031]

    /// Runs `body(variant, seed)` for each available build and checks its outputs
    /// against the portable build's: equal to float tolerance (relative 1e-6; the
    /// builds use the same FMAs in the same order, so in practice they agree bit
    /// for bit).
    private func compareBuilds(_ name: String, _ body: (KernelVariant, Int) -> [[Float]]) {
        for n in Self.lengths {
            let reference = body(.portable, n)
            for variant in KernelVariant.available.dropFirst() {
                let got = body(variant, n)
                for (a, b) in zip(got, reference) {
                    XCTAssertEqual(a.count, b.count)
                    for i in 0..<a.count {
                        XCTAssertEqual(a[i], b[i], accuracy: 1e-6 * max(1, abs(b[i])), "\(name) \(variant) n \(n) [\(i)]")
                    }
                }
            }
        }
    }

    func testAdamBuildsAgree() {
        compareBuilds("adam") { variant, n in
            let p = randomTensor([max(n, 1)], seed: 1), g = randomTensor([max(n, 1)], seed: 2)
            let m = randomTensor([max(n, 1)], seed: 3, scale: 0.1), v = randomTensor([max(n, 1)], seed: 4, scale: 0.1)
            for i in 0..<v.count { v[i] = abs(v[i]) }
            for _ in 0..<3 {
                rw_adam_update(p.pointer, g.pointer, m.pointer, v.pointer, n, 0.9, 0.999, 0.01, 1.2, 1e-8, 0.01, variant.code)
            }
            return [p.values, m.values, v.values]
        }
    }

    func testSGDBuildsAgreeInEveryForm() {
        for (momentum, nesterov) in [(Float(0), 0), (0.9, 0), (0.9, 1)] as [(Float, Int32)] {
            compareBuilds("sgd momentum \(momentum) nesterov \(nesterov)") { variant, n in
                let p = randomTensor([max(n, 1)], seed: 5), g = randomTensor([max(n, 1)], seed: 6)
                let v = randomTensor([max(n, 1)], seed: 7)
                for _ in 0..<3 { rw_sgd_update(p.pointer, g.pointer, v.pointer, n, 0.1, momentum, nesterov, 5e-4, variant.code) }
                return [p.values, v.values]
            }
        }
    }

    /// The fused SGD against its formula, written out in double precision.
    func testSGDFollowsItsFormula() {
        let n = 37
        for (momentum, nesterov) in [(Float(0), false), (0.9, false), (0.9, true)] {
            for variant in KernelVariant.available {
                let p = randomTensor([n], seed: 8), g = randomTensor([n], seed: 9), v = randomTensor([n], seed: 10)
                let (p0, v0) = (p.values, v.values)
                let optimizer = SGD(momentum: momentum, nesterov: nesterov, weightDecay: 0.01)
                optimizer.kernelPath = variant
                let parameter = Parameter(name: "w", shape: [n], role: .weight)
                parameter.value.copy(from: p)
                parameter.gradient.copy(from: g)
                if momentum > 0 { optimizer.setState(["momentum": Tensor(shape: [n], values: v0)], for: "w") }
                optimizer.step([parameter], learningRate: 0.1)
                for i in 0..<n {
                    let grad = Double(g[i]) + 0.01 * Double(p0[i])
                    let velocity = Double(momentum) * Double(v0[i]) + grad
                    let step = momentum == 0 ? grad : nesterov ? grad + Double(momentum) * velocity : velocity
                    XCTAssertEqual(Double(parameter.value[i]), Double(p0[i]) - 0.1 * step, accuracy: 1e-6,
                                   "\(variant) momentum \(momentum) nesterov \(nesterov) [\(i)]")
                }
            }
        }
    }

    func testReLUBackwardBuildsAgree() {
        compareBuilds("relu backward") { variant, n in
            let y = randomTensor([max(n, 1)], seed: 11), dy = randomTensor([max(n, 1)], seed: 12)
            for i in stride(from: 0, to: y.count, by: 3) { y[i] = 0 }   // exactly 0 passes no gradient
            let dx = Tensor(shape: [max(n, 1)], repeating: .nan)
            rw_relu_backward(y.pointer, dy.pointer, dx.pointer, n, variant.code)
            for i in 0..<n { XCTAssertEqual(dx[i], y[i] > 0 ? dy[i] : 0) }
            return [Array(dx.values.prefix(n))]
        }
    }

    /// ReLU forward on every build equals Swift's `max(x, 0)` bit for bit: +0 for
    /// x <= 0 (-0 included), x elsewhere, NaN kept; in place too.
    func testReLUForwardBuildsAgreeWithSwiftMax() {
        compareBuilds("relu forward") { variant, n in
            let x = randomTensor([max(n, 1)], seed: 13)
            for i in stride(from: 0, to: x.count, by: 5) { x[i] = -0.0 }
            for i in stride(from: 2, to: x.count, by: 7) { x[i] = .nan }
            let y = Tensor(shape: [max(n, 1)], repeating: 7)
            rw_relu_forward(x.pointer, y.pointer, n, variant.code)
            for i in 0..<n { XCTAssertEqual(y[i].bitPattern, max(x[i], 0).bitPattern, "\(variant) [\(i)] of \(x[i])") }
            rw_relu_forward(x.pointer, x.pointer, n, variant.code)
            for i in 0..<n { XCTAssertEqual(x[i].bitPattern, y[i].bitPattern, "in place, \(variant) [\(i)]") }
            return [Array(y.values.prefix(n)).map { $0.isNaN ? 12345 : $0 }]
        }
    }
}
