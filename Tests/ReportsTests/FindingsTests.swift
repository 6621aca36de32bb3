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

    /// With several seeds a difference smaller than the spread is a tie (level 1:
    /// lr-rewind 88.50 ± 0.14 against fine-tune 87.50 ± 0.71 is 1.0 point apart, more
    /// than either spread; with fine-tune at 88.00 ± 0.71 it is 0.5 point, within it).
    func testDifferencesWithinTheSpreadAreTies() throws {
        let clear = try Comparison(rows: Array(Fixtures.rows.prefix(6)), context: Fixtures.context)
        let clearSentence = Findings.bands(clear)[0].sentence(strategyOrder: clear.strategyNames)
        XCTAssertTrue(clearSentence.hasSuffix("and 1.00 points ahead of fine-tune."), clearSentence)
        var rows = Array(Fixtures.rows.prefix(6))
        rows[2].testAccuracy = 0.885
        rows[3].testAccuracy = 0.875
        let close = try Comparison(rows: rows, context: Fixtures.context)
        let sentence = Findings.bands(close)[0].sentence(strategyOrder: close.strategyNames)
        XCTAssertTrue(sentence.contains("tied with fine-tune (88.00 ± 0.71%: the difference is within the spread over seeds)"), sentence)
    }

    /// One seed: no ± and a sentence saying no spread is known.
    func testOneSeedSaysNoSpreadIsKnown() throws {
        let rows = Fixtures.rows.filter { $0.seed == 0 }
        let comparison = try Comparison(rows: rows, context: Fixtures.context)
        let sentence = Findings.bands(comparison)[0].sentence(strategyOrder: comparison.strategyNames)
        XCTAssertFalse(sentence.contains("±"), sentence)
        XCTAssertTrue(sentence.hasSuffix("One seed: no spread over seeds is known, so no difference here is shown to be real."), sentence)
    }
}
