import Engine
import TestSupport
import XCTest

/// Building CSR matrices from dense weights and masks, and validating CSR arrays.
final class SparseCSRMatrixTests: XCTestCase {
    func testNonZerosAreStoredRowByRow() {
        let dense = Tensor(shape: [3, 4], values: [0, 2, 0, 3,
                                                   0, 0, 0, 0,
                                                   5, 0, 0, -1])
        let matrix = CSRMatrix(dense)
        XCTAssertEqual(matrix.rows, 3)
        XCTAssertEqual(matrix.columns, 4)
        XCTAssertEqual(matrix.rowOffsets, [0, 2, 2, 4])
        XCTAssertEqual(matrix.columnIndices, [1, 3, 0, 3])
        XCTAssertEqual(matrix.values, [2, 3, 5, -1])
        XCTAssertEqual(matrix.nonZeroCount, 4)
        XCTAssertEqual(matrix.density, 4.0 / 12.0, accuracy: 1e-12)
        XCTAssertEqual(matrix.dense().values, dense.values)
    }

    func testMaskDecidesTheStoredPatternEvenForZeroValues() {
        let dense = Tensor(shape: [2, 3], values: [1, 0, 2,
                                                   0, 4, 0])
        let mask = Tensor(shape: [2, 3], values: [1, 1, 0,
                                                  0, 1, 1])
        let matrix = CSRMatrix(dense, mask: mask)
        XCTAssertEqual(matrix.rowOffsets, [0, 2, 4])
        XCTAssertEqual(matrix.columnIndices, [0, 1, 1, 2])
        XCTAssertEqual(matrix.values, [1, 0, 4, 0])
        XCTAssertEqual(matrix.density, 4.0 / 6.0, accuracy: 1e-12)
    }

    func testConvolutionWeightIsReadAsOutputByLoweredInput() {
        let weight = randomTensor([4, 2, 3, 3], seed: 3)
        let matrix = CSRMatrix(weight)
        XCTAssertEqual(matrix.rows, 4)
        XCTAssertEqual(matrix.columns, 18)
        XCTAssertEqual(matrix.dense().values, weight.values)
    }

    func testAllZeroAndEmptyMatrices() {
        let zero = CSRMatrix(Tensor(shape: [3, 5]))
        XCTAssertEqual(zero.rowOffsets, [0, 0, 0, 0])
        XCTAssertEqual(zero.nonZeroCount, 0)
        XCTAssertEqual(zero.density, 0)
        let empty = CSRMatrix(Tensor(shape: [0, 5]))
        XCTAssertEqual(empty.rowOffsets, [0])
        XCTAssertEqual(empty.density, 1)
    }

    func testValidatedInitialiserAcceptsScipyArraysAndRejectsBadOnes() throws {
        let matrix = try CSRMatrix(rows: 2, columns: 3, rowOffsets: [0, 1, 3], columnIndices: [2, 0, 1], values: [1, 2, 3])
        XCTAssertEqual(matrix.dense().values, [0, 0, 1, 2, 3, 0])
        let bad: [(Int, Int, [Int32], [Int32], [Float])] = [
            (2, 3, [0, 1], [0], [1]),                 // too few offsets
            (2, 3, [1, 1, 1], [0], [1]),              // does not start at 0
            (2, 3, [0, 2, 1], [0], [1]),              // decreasing / wrong end
            (1, 3, [0, 1], [3], [1]),                 // column out of range
            (1, 3, [0, 2], [1, 1], [1, 2]),           // not ascending within the row
            (1, 3, [0, 1], [0], [1, 2]),              // index and value counts differ
            (-1, 3, [0], [], []),                     // negative shape
        ]
        for (rows, columns, offsets, indices, values) in bad {
            XCTAssertThrowsError(try CSRMatrix(rows: rows, columns: columns, rowOffsets: offsets,
                                               columnIndices: indices, values: values),
                                 "\(offsets) \(indices) \(values)")
        }
    }
}
