import Foundation
import Pruning
import Reports
import XCTest

/// The stability report from hand-made paths: two seeds at k = 0 (instabilities 0.05
/// and 0.03, mean 0.04: unstable) and at k = 1 (0.01 and 0.0: stable).
final class StabilityReportTests: XCTestCase {
    private func path(seed: UInt64, k: Double, errors: [Double]) -> InterpolationRecord {
        InterpolationRecord(key: "k\(k)s\(seed)", seed: seed, subject: "dense", weightsRemaining: 1, rewindPoint: k,
                            rewindStep: Int(k * 10), alphas: [0, 0.5, 1], testError: errors, trainError: errors.map { $0 / 2 },
                            testInstability: LinearPath.instability(errors), trainInstability: LinearPath.instability(errors.map { $0 / 2 }),
                            batchNormRecomputed: false, seconds: 2)
    }

    private var summary: StabilitySummary {
        StabilitySummary(name: "tiny", threshold: 0.02,
                         paths: [path(seed: 0, k: 0, errors: [0.10, 0.15, 0.10]), path(seed: 1, k: 0, errors: [0.12, 0.15, 0.12]),
                                 path(seed: 0, k: 1, errors: [0.10, 0.11, 0.10]), path(seed: 1, k: 1, errors: [0.10, 0.10, 0.10])],
                         choice: nil, machine: "test machine", generated: "2026-12-01T00:00:00Z")
    }

    func testSummaryAveragesSeedsAndFindsTheEarliestStablePoint() {
        let rows = summary.rows
        XCTAssertEqual(rows.map(\.rewindPoint), [0, 1])
        XCTAssertEqual(rows[0].testInstability, 0.04, accuracy: 1e-12)
        XCTAssertEqual(rows[0].trainInstability, 0.02, accuracy: 1e-12)
        XCTAssertEqual(rows[0].childTestAccuracy, 0.89, accuracy: 1e-12)
        XCTAssertEqual(rows[1].testInstability, 0.005, accuracy: 1e-12)
        XCTAssertEqual(rows.map(\.stable), [false, true])
        XCTAssertEqual(summary.earliestStable["dense"], 1)
        XCTAssertEqual(summary.wallSeconds, 8)
    }

    func testMarkdownCSVAndPlot() throws {
        let markdown = StabilityReport.markdown(summary)
        XCTAssertTrue(markdown.contains("| 0 | 0 | 2 | 4.00 | 2.00 | 89.00 | no |"), markdown)
        XCTAssertTrue(markdown.contains("| 1 | 10 | 2 | 0.50 | 0.25 | 90.00 | yes |"), markdown)
        XCTAssertTrue(markdown.contains("**k = 1 epochs**"), markdown)
        let csv = StabilityReport.csv(summary).split(separator: "\n")
        XCTAssertEqual(csv.count, 5)
        XCTAssertEqual(csv[1], "0,dense,1.0,0.0,0,0.04999999999999999,0.024999999999999994,0.9,0.9,0.15,2.0")
        let svg = StabilityPlot.render(summary, subject: "dense")
        XCTAssertEqual(svg.components(separatedBy: "class=\"path\"").count - 1, 2)      // one line per k
        XCTAssertTrue(svg.contains("data-k=\"1.0\""))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-stability-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try StabilityReport.write(summary, to: folder).map(\.lastPathComponent)
        XCTAssertEqual(files, ["stability.md", "stability.csv", "stability.json", "stability-dense.svg"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("stability.json"))) as! [String: Any]
        XCTAssertEqual((json["earliest_stable"] as! [String: Double])["dense"], 1)
        XCTAssertEqual((json["paths"] as! [Any]).count, 4)
    }
}
