import XCTest
@testable import Reports

final class FindingsTests: XCTestCase {
    func testBandsFollowTheOneTwoFiveSeries() {
        func band(_ percent: Double) -> String { SparsityBand.containing(percent).label }
        XCTAssertEqual(band(100), "50–100%")
        XCTAssertEqual(band(80), "50–100%")
        XCTAssertEqual(band(50), "20–50%")
        XCTAssertEqual(band(21), "20–50%")
        XCTAssertEqual(band(10.7), "10–20%")
        XCTAssertEqual(band(5.5), "5–10%")
        XCTAssertEqual(band(1.8), "1–2%")
        XCTAssertEqual(band(0.5), "0.2–0.5%")
        XCTAssertEqual(band(0.3), "0.2–0.5%")
    }

    func testOneSentencePerBandFromTheData() throws {
        let (rows, context) = Fixtures.paperSized()
        let comparison = try Comparison(rows: rows, context: context)
        let findings = Findings.bands(comparison)
        XCTAssertEqual(findings.map(\.band.label), ["50–100%", "20–50%", "10–20%", "5–10%", "2–5%", "1–2%"])
        XCTAssertEqual(findings.map { $0.levels.count }, [3, 4, 3, 3, 4, 1])
        let last = try XCTUnwrap(findings.last)
        XCTAssertEqual(last.best.strategy, "lr-rewind")
        XCTAssertEqual(last.sentence(strategyOrder: comparison.strategyNames),
                       "**1–2% weights remaining** (level 18, 1.80%): lr-rewind is best with 88.88 ± 0.40%, "
                       + "0.52 points below dense (89.40%) and 0.43 points ahead of weight-rewind.")
        XCTAssertEqual(findings[3].winCounts(strategyOrder: comparison.strategyNames).map(\.strategy), ["lr-rewind"])
    }
}
