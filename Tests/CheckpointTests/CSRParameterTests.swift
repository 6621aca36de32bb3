@testable import Checkpoint
import Engine
import XCTest

/// A masked tensor as Engine's CSRMatrix and back, checked by hand on tiny tensors.
final class CSRParameterTests: XCTestCase {
    func testConvWeightIsViewedAsOutByTheRestAndTheMaskIsTheStructure() throws {
        // A conv weight [out 2, in 1, kh 2, kw 2] is the matrix [2, 4].
        let values = Tensor(shape: [2, 1, 2, 2], values: [0.5, 0, -1, 0,
                                                          0, 0, 0, 2])
        let mask = Tensor(shape: [2, 1, 2, 2], values: [1, 1, 1, 0,
                                                        0, 0, 0, 1])
        let matrix = try CSRParameter.encode(values, mask: mask)
        XCTAssertEqual(matrix.rows, 2)
        XCTAssertEqual(matrix.columns, 4)
        XCTAssertEqual(matrix.values, [0.5, 0, -1, 2], "the kept zero at (0, 1) is stored: the structure is the mask")
        XCTAssertEqual(matrix.columnIndices, [0, 1, 2, 3])
        XCTAssertEqual(matrix.rowOffsets, [0, 3, 4])
        let (dense, structure) = CSRParameter.decode(matrix, shape: [2, 1, 2, 2])
        XCTAssertEqual(dense.shape, [2, 1, 2, 2])
        XCTAssertEqual(dense.values, values.values)
        XCTAssertEqual(structure.values, mask.values)
    }

    func testVectorIsAColumn() throws {
        let matrix = try CSRParameter.encode(Tensor(shape: [3], values: [4, 0, 6]), mask: Tensor(shape: [3], values: [1, 0, 1]))
        XCTAssertEqual(matrix.columns, 1)
        XCTAssertEqual(matrix.columnIndices, [0, 0])
        XCTAssertEqual(matrix.rowOffsets, [0, 1, 1, 2])
    }

    func testEmptyMaskStoresNothing() throws {
        let matrix = try CSRParameter.encode(Tensor(shape: [2, 3]), mask: Tensor(shape: [2, 3]))
        XCTAssertEqual(matrix.nonZeroCount, 0)
        XCTAssertEqual(matrix.rowOffsets, [0, 0, 0])
        XCTAssertEqual(CSRParameter.decode(matrix, shape: [2, 3]).mask.nonZeroCount, 0)
    }

    func testRefusesNonZeroWeightsOutsideTheMask() {
        let values = Tensor(shape: [2, 2], values: [1, 2, 3, 4]), mask = Tensor(shape: [2, 2], values: [1, 0, 1, 1])
        XCTAssertThrowsError(try CSRParameter.encode(values, mask: mask)) { error in
            XCTAssertEqual((error as? CSRParameter.Problem)?.message, "1 non-zero weights lie outside the mask (first at "
                           + "flat index 1); the sparse format would drop them: apply the mask before exporting")
        }
    }
}
