import Engine
import TestSupport
import XCTest

/// The blocked sliced-ELLPACK form holds exactly the CSR matrix's entries, and
/// `sparseMatrixVector` on it gives the dense matrix-vector product (bias, ReLU) on
/// every kernel build, in every layout.
final class SlicedEllpackMatrixTests: XCTestCase {
    /// The dense matrix the slots describe (padding slots hold 0, so adding them is harmless).
    static func densify(_ a: SlicedEllpackMatrix) -> [Float] {
        var dense = [Float](repeating: 0, count: a.rows * a.columns)
        let blocks = (a.columns + a.blockColumns - 1) / a.blockColumns
        var slot = 0, width = 0
        for first in stride(from: 0, to: a.rows, by: a.lanes) {
            for block in 0..<blocks {
                for _ in 0..<Int(a.widths[width]) {
                    for lane in 0..<a.lanes {
                        let column = block * a.blockColumns + Int(a.columnOffsets[slot])
                        if a.values[slot] != 0 {
                            XCTAssertLessThan(first + lane, a.rows, "a value in a lane past the last row")
                            XCTAssertLessThan(column, a.columns, "a value past the last column")
                            dense[(first + lane) * a.columns + column] += a.values[slot]
                        }
                        slot += 1
                    }
                }
                width += 1
            }
        }
        XCTAssertEqual(slot, a.slotCount, "the widths account for every slot")
        XCTAssertEqual(width, a.widths.count)
        return dense
    }

    func testHandBuiltLayoutHoldsEachRowsEntriesBlockByBlock() throws {
        // [3, 5], slices of 2 rows, blocks of 2 columns:
        //   row 0: 1 at 0, 2 at 1, 3 at 4;  row 1: 4 at 1;  row 2: 5 at 2, 6 at 3.
        let csr = try CSRMatrix(rows: 3, columns: 5, rowOffsets: [0, 3, 4, 6], columnIndices: [0, 1, 4, 1, 2, 3],
                                values: [1, 2, 3, 4, 5, 6])
        let a = SlicedEllpackMatrix(csr, lanes: 2, blockColumns: 2)
        // Slice 0 (rows 0, 1): block 0 width 2, block 1 width 0, block 2 width 1.
        // Slice 1 (row 2, padding lane): block 0 width 0, block 1 width 2, block 2 width 0.
        XCTAssertEqual(a.widths, [2, 0, 1, 0, 2, 0])
        XCTAssertEqual(a.values, [1, 4, 2, 0, 3, 0, 5, 0, 6, 0])
        XCTAssertEqual(a.columnOffsets, [0, 1, 1, 0, 0, 0, 0, 0, 1, 0])
        XCTAssertEqual(a.nonZeroCount, 6)
        XCTAssertEqual(a.slotCount, 10)
    }

    func testEveryLayoutHoldsExactlyTheCSREntries() {
        var seed: UInt64 = 40
        for (rows, columns) in [(1, 1), (7, 33), (16, 32), (17, 65), (40, 100), (3, 0), (0, 5)] {
            for density in [0, 0.05, 0.5, 1.0] {
                seed += 1
                let dense = SparseGemmTests.randomSparse(rows: rows, columns: columns, density: density, seed: seed)
                let csr = CSRMatrix(dense)
                for (lanes, blockColumns) in [(16, 32), (8, 16), (1, 1), (3, 5)] {
                    let a = SlicedEllpackMatrix(csr, lanes: lanes, blockColumns: blockColumns)
                    XCTAssertEqual(Self.densify(a), dense.buffer.map { $0 }, "[\(rows), \(columns)] \(lanes)x\(blockColumns)")
                    XCTAssertGreaterThanOrEqual(a.slotCount, csr.nonZeroCount)
                }
            }
        }
    }

    /// `sparseMatrixVector` against the dense product in double precision, within
    /// 2·(k+1)·ε·sum|a||x| per row (the float rounding of a k-term sum).
    func check(_ dense: Tensor, layout: (lanes: Int, blockColumns: Int)?, variant: KernelVariant, bias: Bool, relu: Bool,
               seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        let m = dense.shape[0], k = dense.shape[1]
        let csr = CSRMatrix(dense)
        let a = layout.map { SlicedEllpackMatrix(csr, lanes: $0.lanes, blockColumns: $0.blockColumns) }
            ?? SlicedEllpackMatrix(csr, for: variant)
        let x = randomTensor([max(k, 1)], seed: seed)
        let biasValues = randomTensor([max(m, 1)], seed: seed + 1)
        var y = [Float](repeating: .nan, count: m)
        sparseMatrixVector(a, x.pointer, bias: bias ? biasValues.pointer : nil, relu: relu, &y,
                           configuration: ComputeConfiguration(kernelPath: variant))
        for i in 0..<m {
            var exact = bias ? Double(biasValues[i]) : 0, magnitude = bias ? Double(abs(biasValues[i])) : 0
            for j in 0..<k {
                exact += Double(dense[i * k + j]) * Double(x[j])
                magnitude += Double(abs(dense[i * k + j] * x[j]))
            }
            if relu { exact = max(exact, 0) }
            let tolerance = 2 * Double(k + 1) * Double(Float.ulpOfOne) * magnitude + Double(Float.leastNormalMagnitude)
            XCTAssertLessThanOrEqual(abs(Double(y[i]) - exact), tolerance,
                                     "[\(m), \(k)] \(a.lanes)x\(a.blockColumns) \(variant) bias \(bias) relu \(relu): y[\(i)] = \(y[i]), expected \(exact)",
                                     file: file, line: line)
        }
    }

    func testProductMatchesDenseOnEveryPathAndShape() {
        // Partial last slices (rows not a multiple of 8 or 16) and partial last blocks
        // (columns not a multiple of 16 or 32), single rows and columns, LeNet's shapes.
        let shapes = [(1, 1), (1, 40), (9, 1), (8, 16), (16, 32), (17, 33), (23, 47), (31, 64), (33, 100),
                      (100, 300), (300, 784), (10, 100)]
        var seed: UInt64 = 100
        for variant in KernelVariant.available {
            XCTAssertEqual(SlicedEllpackMatrix.layout(for: variant).lanes, variant == .avx512 ? 16 : 8)
            for (m, k) in shapes {
                for density in [0, 0.02, 0.05, 0.3, 1.0] {
                    seed += 2
                    let dense = SparseGemmTests.randomSparse(rows: m, columns: k, density: density, seed: seed)
                    check(dense, layout: nil, variant: variant, bias: seed % 4 >= 2, relu: seed % 8 >= 4, seed: seed)
                }
            }
        }
    }

    func testBiasAndReLUFusionInEveryCombination() {
        let dense = SparseGemmTests.randomSparse(rows: 37, columns: 70, density: 0.3, seed: 7)
        for variant in KernelVariant.available {
            for bias in [false, true] {
                for relu in [false, true] { check(dense, layout: nil, variant: variant, bias: bias, relu: relu, seed: 8) }
            }
        }
    }

    /// A matrix built for another build's layout (or an odd one) runs the portable
    /// loop on any build, with the same result.
    func testAnyLayoutRunsOnAnyPath() {
        let dense = SparseGemmTests.randomSparse(rows: 29, columns: 90, density: 0.2, seed: 9)
        for variant in KernelVariant.available {
            for layout in [(16, 32), (8, 16), (3, 5), (1, 1)] {
                check(dense, layout: layout, variant: variant, bias: true, relu: true, seed: 10)
            }
        }
    }

    /// The vector builds agree with the portable one on LeNet-300-100's fc1 shape at
    /// 5% density to a few float roundings (they sum in a different order).
    func testVectorPathsAgreeWithPortable() {
        let dense = SparseGemmTests.randomSparse(rows: 300, columns: 784, density: 0.05, seed: 11)
        let csr = CSRMatrix(dense)
        let x = randomTensor([784], seed: 12), bias = randomTensor([300], seed: 13)
        func run(_ variant: KernelVariant) -> [Float] {
            var y = [Float](repeating: .nan, count: 300)
            sparseMatrixVector(SlicedEllpackMatrix(csr, for: variant), x.pointer, bias: bias.pointer, relu: true, &y,
                               configuration: ComputeConfiguration(kernelPath: variant))
            return y
        }
        let portable = run(.portable)
        for variant in KernelVariant.available where variant != .portable {
            XCTAssertLessThanOrEqual(maxAbsoluteDifference(run(variant), portable), 1e-5, "\(variant)")
        }
    }

    /// The choice cache's machine key names the batch-1 layout, so choices timed with
    /// another batch-1 kernel are not reused.
    func testMachineKeyNamesTheBatchOneLayout() {
        for variant in KernelVariant.available {
            let layout = SlicedEllpackMatrix.layout(for: variant)
            let key = SparseKernelChoices.machineKey(configuration: ComputeConfiguration(kernelPath: variant))
            XCTAssertTrue(key.hasSuffix("batch-1 sliced ELLPACK \(layout.lanes)x\(layout.blockColumns)"), key)
        }
    }
}
