import Engine
import TestSupport
import XCTest

/// `sparseGemm` against Engine's dense `gemm` on the same (densified) matrix, for
/// both kernel builds, both layouts of B, with and without bias and ReLU.
final class SparseGemmTests: XCTestCase {
    /// The builds this CPU can run: always the portable one, AVX2/FMA and AVX-512 when present.
    static var variants: [KernelVariant] { KernelVariant.available }

    /// The default configuration with kernel build `variant`.
    static func configuration(_ variant: KernelVariant) -> ComputeConfiguration {
        ComputeConfiguration(kernelPath: variant)
    }

    /// A `[rows, columns]` matrix whose entries are non-zero with probability `density`.
    static func randomSparse(rows: Int, columns: Int, density: Double, seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed, concern: .pruning)
        let dense = randomTensor([rows, columns], seed: seed)
        for i in 0..<dense.count where generator.nextDouble() >= density { dense[i] = 0 }
        return dense
    }

    /// Checks `sparseGemm(CSR(a), transB, B)` against `gemm(a, B)` (+ bias, ReLU) with
    /// a float-rounding tolerance: 2·k·ε·sum|a||b| per element.
    func check(a: Tensor, n: Int, transB: Transpose, bias: Bool, relu: Bool, variant: KernelVariant,
               threads: Int? = nil, workspace: SparseWorkspace? = nil, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let m = a.shape[0], k = a.shape[1]
        let b = randomTensor([k, n], seed: seed + 1)                   // op(B) [k, n]
        let bT = Tensor(shape: [n, k])                                 // B stored transposed [n, k]
        for r in 0..<k { for c in 0..<n { bT[c * k + r] = b[r * n + c] } }
        let biasValues = randomTensor([m], seed: seed + 2)
        let expected = Tensor(shape: [m, n])
        gemm(.none, .none, m: m, n: n, k: k, a.pointer, b.pointer, expected.pointer, threads: 1)
        let got = Tensor(shape: [m, n], repeating: .nan)
        sparseGemm(CSRMatrix(a), transB, n: n, transB == .none ? b.pointer : bT.pointer,
                   bias: bias ? biasValues.pointer : nil, relu: relu, got.pointer,
                   workspace: workspace, threads: threads, configuration: Self.configuration(variant))
        for i in 0..<m {
            for j in 0..<n {
                var reference = expected[i * n + j] + (bias ? biasValues[i] : 0)
                if relu { reference = max(reference, 0) }
                var magnitude: Float = bias ? abs(biasValues[i]) : 0
                for p in 0..<k { magnitude += abs(a[i * k + p] * b[p * n + j]) }
                let tolerance = 2 * Float(k + 1) * Float.ulpOfOne * magnitude + Float.leastNormalMagnitude
                let error = abs(got[i * n + j] - reference)
                XCTAssertLessThanOrEqual(error, tolerance, "[\(m), \(k)] x [\(k), \(n)] \(transB) bias \(bias) relu \(relu) \(variant): C[\(i), \(j)] = \(got[i * n + j]), expected \(reference)", file: file, line: line)
                if error > tolerance { return }
            }
        }
    }

    func testManyShapesAndDensities() {
        // (m, k, n): batch 1, tails of 1 and of 2...7 columns, whole panels, M or K = 1.
        let shapes = [(1, 1, 1), (1, 9, 1), (6, 1, 3), (7, 13, 1), (17, 33, 2), (17, 33, 5), (17, 33, 7),
                      (17, 33, 8), (17, 33, 9), (9, 40, 10), (30, 50, 16), (5, 20, 24), (13, 29, 63),
                      (13, 29, 64), (13, 29, 65), (11, 70, 100), (1, 50, 130), (40, 1, 70)]
        var seed: UInt64 = 10
        for variant in Self.variants {
            for (m, k, n) in shapes {
                for density in [0, 0.01, 0.05, 0.5, 1.0] {
                    seed += 3
                    let a = Self.randomSparse(rows: m, columns: k, density: density, seed: seed)
                    let combination = Int(seed % 4)
                    for transB in [Transpose.none, .transposed] {
                        check(a: a, n: n, transB: transB, bias: combination & 1 == 1, relu: combination & 2 == 2,
                              variant: variant, seed: seed)
                    }
                }
            }
        }
    }

    func testBiasAndReLUFusionInEveryCombination() {
        let a = Self.randomSparse(rows: 23, columns: 41, density: 0.3, seed: 5)
        for variant in Self.variants {
            for n in [1, 3, 8, 19, 72] {
                for bias in [false, true] {
                    for relu in [false, true] {
                        check(a: a, n: n, transB: .none, bias: bias, relu: relu, variant: variant, seed: 6)
                        check(a: a, n: n, transB: .transposed, bias: bias, relu: relu, variant: variant, seed: 7)
                    }
                }
            }
        }
    }

    func testEmptyRowsAllZeroAndFullyDenseMatrices() {
        let withEmptyRows = Self.randomSparse(rows: 9, columns: 12, density: 0.6, seed: 8)
        for row in [0, 4, 8] { for c in 0..<12 { withEmptyRows[row * 12 + c] = 0 } }
        let allZero = Tensor(shape: [7, 10])
        let fullyDense = randomTensor([12, 30], seed: 9)
        for variant in Self.variants {
            for a in [withEmptyRows, allZero, fullyDense] {
                for n in [1, 6, 8, 21] {
                    check(a: a, n: n, transB: .none, bias: true, relu: false, variant: variant, seed: 11)
                    check(a: a, n: n, transB: .transposed, bias: false, relu: true, variant: variant, seed: 12)
                }
            }
        }
    }

    func testSplittingAcrossThreadsByColumnsAndByRows() {
        let a = Self.randomSparse(rows: 37, columns: 60, density: 0.2, seed: 13)
        let workspace = SparseWorkspace()
        for variant in Self.variants {
            for n in [1, 5, 15, 16, 100, 131] {       // n < 16 splits rows, else columns
                for threads in [2, 3] {
                    check(a: a, n: n, transB: .none, bias: true, relu: true, variant: variant,
                          threads: threads, workspace: workspace, seed: 14)
                    check(a: a, n: n, transB: .transposed, bias: false, relu: false, variant: variant,
                          threads: threads, workspace: workspace, seed: 15)
                }
            }
        }
    }

    func testWorkspaceIsReusedAcrossShapes() {
        let workspace = SparseWorkspace()
        for (m, k, n) in [(5, 8, 70), (30, 200, 67), (3, 4, 9)] {
            let a = Self.randomSparse(rows: m, columns: k, density: 0.4, seed: UInt64(m))
            check(a: a, n: n, transB: .transposed, bias: true, relu: false, variant: .automatic,
                  workspace: workspace, seed: 16)
        }
    }

    func testTransposeMatchesTheDefinition() {
        for variant in Self.variants {
            for (rows, columns) in [(1, 1), (3, 5), (8, 8), (9, 17), (64, 100), (1, 33)] {
                let source = randomTensor([rows, columns], seed: UInt64(rows * 100 + columns))
                let destination = Tensor(shape: [columns, rows], repeating: .nan)
                transpose(rows: rows, columns: columns, source.pointer, destination.pointer, variant: variant)
                for r in 0..<rows {
                    for c in 0..<columns {
                        XCTAssertEqual(destination[c * rows + r], source[r * columns + c], "\(variant) [\(rows), \(columns)]")
                    }
                }
            }
        }
    }
}
