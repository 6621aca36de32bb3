import Foundation
import XCTest
@testable import Reports

final class ReportWriterTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("rewind-reports-\(UUID().uuidString)/lenet300-fashion")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }

    func testWritesTheFiveFilesAndNothingElse() throws {
        let urls = try ReportWriter.write(rows: Fixtures.rows, context: Fixtures.context, to: directory)
        XCTAssertEqual(urls.map(\.lastPathComponent),
                       ["report.md", "levels.csv", "layers.csv", "results.json", "accuracy-vs-sparsity.svg"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["accuracy-vs-sparsity.svg", "layers.csv", "levels.csv", "report.md", "results.json"],
                       "no temporary files left behind")
        let comparison = try Fixtures.comparison()
        XCTAssertEqual(try String(contentsOf: urls[0], encoding: .utf8), MarkdownReport.render(comparison))
        XCTAssertEqual(try JSONReport.decode(Data(contentsOf: urls[3])), comparison)
    }

    func testRewritingReplacesFilesWithIdenticalBytes() throws {
        let first = try ReportWriter.write(rows: Fixtures.rows, context: Fixtures.context, to: directory)
            .map { try Data(contentsOf: $0) }
        let second = try ReportWriter.write(rows: Fixtures.rows.reversed(), context: Fixtures.context, to: directory)
            .map { try Data(contentsOf: $0) }
        XCTAssertEqual(first, second)
    }

    func testInvalidRowsLeaveTheDirectoryUntouched() throws {
        let urls = try ReportWriter.write(rows: Fixtures.rows, context: Fixtures.context, to: directory)
        let before = try urls.map { try Data(contentsOf: $0) }
        var bad = Fixtures.rows
        bad[3].testAccuracy = 87
        XCTAssertThrowsError(try ReportWriter.write(rows: bad, context: Fixtures.context, to: directory)) { error in
            guard case .valueOutOfRange(field: "testAccuracy", _, _, _, _, _)? = error as? ReportError else {
                return XCTFail("unexpected \(error)")
            }
        }
        XCTAssertEqual(try urls.map { try Data(contentsOf: $0) }, before)
    }
}
