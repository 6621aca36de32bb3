import XCTest
@testable import Reports

final class ReportNumbersTests: XCTestCase {
    func testWeightsRemainingLabelsHaveEnoughDigits() {
        let levels = (0...18).map { 100 * Foundation.pow(0.8, Double($0)) }
        let labels = ReportNumbers.weightsRemainingLabels(levels)
        XCTAssertEqual(Array(labels.prefix(4)), ["100", "80.0", "64.0", "51.2"])
        XCTAssertEqual(labels.last, "1.80")
        // 99.0% and 98.95% need a fourth digit to be told apart.
        XCTAssertEqual(ReportNumbers.weightsRemainingLabels([99.0, 98.95]), ["99.00", "98.95"])
    }

    func testSignificantDigitsHandleRoundingCarry() {
        XCTAssertEqual(ReportNumbers.significant(99.96, digits: 3), "100")
        XCTAssertEqual(ReportNumbers.significant(0.5764, digits: 3), "0.576")
        XCTAssertEqual(ReportNumbers.trimmed("64.0"), "64")
        XCTAssertEqual(ReportNumbers.trimmed("1.80"), "1.8")
        XCTAssertEqual(ReportNumbers.trimmed("100"), "100")
    }

    func testDurations() {
        XCTAssertEqual(ReportNumbers.duration(42), "42.0 s")
        XCTAssertEqual(ReportNumbers.duration(187), "3 min 07 s")
        XCTAssertEqual(ReportNumbers.duration(7509), "2 h 05 min 09 s")
    }
}
