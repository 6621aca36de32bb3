import Foundation
import XCTest
@testable import Reports

final class JSONReportTests: XCTestCase {
    func testRoundTripGivesTheSameAggregates() throws {
        let comparison = try Fixtures.comparison()
        let decoded = try JSONReport.decode(try JSONReport.encode(comparison))
        XCTAssertEqual(decoded, comparison)
        XCTAssertEqual(decoded.levels.map(\.best), ["lr-rewind", "lr-rewind", "fine-tune"])
        XCTAssertEqual(decoded.aggregate(strategy: "fine-tune", level: 1)?.testAccuracy,
                       comparison.aggregate(strategy: "fine-tune", level: 1)?.testAccuracy)
    }

    func testSameRowsGiveByteIdenticalFilesInAnyOrder() throws {
        let (rows, context) = Fixtures.paperSized()
        let first = try JSONReport.encode(try Comparison(rows: rows, context: context))
        let again = try JSONReport.encode(try Comparison(rows: rows, context: context))
        let shuffled = try JSONReport.encode(try Comparison(rows: rows.reversed(), context: context))
        XCTAssertEqual(first, again)
        XCTAssertEqual(first, shuffled)
    }

    func testDocumentHasFormatVersionAndSortedKeys() throws {
        let data = try JSONReport.encode(try Fixtures.comparison())
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["format"] as? String, "rewind-report")
        XCTAssertEqual(object["version"] as? Int, 2)
        XCTAssertEqual(Set(object.keys), ["format", "version", "context", "dense", "levels", "strategies", "rows"])
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("{\n  \"context\" : {"), "keys sorted")
        XCTAssertTrue(text.hasSuffix("}\n"))
        XCTAssertEqual((object["rows"] as? [Any])?.count, Fixtures.rows.count)
    }

    func testNonFiniteLossRoundTrips() throws {
        var row = Fixtures.row("fine-tune", 1, 0, weights: 0.8, accuracy: 0.1)
        row.testLoss = .infinity
        let comparison = try Comparison(rows: [row], context: Fixtures.context)
        let data = try JSONReport.encode(comparison)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"test_loss\" : \"Infinity\""))
        XCTAssertEqual(try JSONReport.decode(data).rows[0].testLoss, .infinity)
    }

    func testOtherVersionsAreRejectedWithAHint() throws {
        let data = Data(#"{"format": "rewind-report", "version": 99}"#.utf8)
        XCTAssertThrowsError(try JSONReport.decode(data)) { error in
            XCTAssertEqual(error as? ReportError, .unsupportedDocument(format: "rewind-report", version: 99))
            XCTAssertTrue("\(error)".contains("regenerate the report"))
        }
    }
}
