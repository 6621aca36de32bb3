import XCTest
@testable import Reports

final class MarkdownReportTests: XCTestCase {
    func testAccuracyCellsShowPercentMeanAndSampleStd() {
        XCTAssertEqual(MarkdownReport.accuracyCell(SampleStatistics(mean: 0.8841, std: 0.0012, count: 3), best: false),
                       "88.41 ± 0.12")
        // One seed: no spread is known, so none is printed.
        XCTAssertEqual(MarkdownReport.accuracyCell(SampleStatistics(mean: 0.87, std: 0, count: 1), best: true),
                       "**87.00**")
        XCTAssertEqual(MarkdownReport.accuracyCell(SampleStatistics(mean: 0.87, std: 0, count: 2), best: false),
                       "87.00 ± 0.00")
    }

    func testAccuracyTableRowsFromKnownMetrics() throws {
        let table = MarkdownReport.accuracyTable(try Fixtures.comparison())
        XCTAssertEqual(table, [
            "| Level | Weights remaining (%) | fine-tune | lr-rewind |",
            "| :--- | ---: | ---: | ---: |",
            "| dense | 100 | 88.50 ± 0.71 | 88.50 ± 0.71 |",
            "| 1 | 80.0 | 87.50 ± 0.71 | **88.50 ± 0.14** |",
            "| 2 | 64.0 | 85.50 ± 0.71 | **87.00** |",
            "| 3 | 51.2 | **80.00 ± 0.00** | 80.00 ± 0.00 |",
        ])
    }

    func testMissingCellsAndEscapedNames() throws {
        var context = Fixtures.context
        context.strategies = ["fine|tune", "lr-rewind"]
        let rows = [Fixtures.row("fine|tune", 1, 0, weights: 0.8, accuracy: 0.9),
                    Fixtures.row("fine|tune", 2, 0, weights: 0.64, accuracy: 0.8),
                    Fixtures.row("lr-rewind", 1, 0, weights: 0.8, accuracy: 0.7)]
        let table = MarkdownReport.accuracyTable(try Comparison(rows: rows, context: context))
        XCTAssertEqual(table[0], "| Level | Weights remaining (%) | fine\\|tune | lr-rewind |")
        XCTAssertEqual(table[3], "| 2 | 64.0 | **80.00** | – |")
    }

    func testSparsityTableShowsMeansAndDisagreements() throws {
        var rows = Fixtures.rows
        // lr-rewind at level 1 prunes fc2 more than fine-tune does (as global pruning might).
        for i in rows.indices where rows[i].strategy == "lr-rewind" && rows[i].level == 1 {
            rows[i].layerSparsity["fc2.weight"] = 0.15
        }
        let table = MarkdownReport.sparsityTable(try Comparison(rows: rows, context: Fixtures.context))
        XCTAssertEqual(table[0], "| Level | Weights remaining (%) | fc1.weight | fc2.weight |")
        XCTAssertEqual(table[2], "| 1 | 80.0 | 20.0 | 10.0–15.0 |")
        XCTAssertEqual(table[3], "| 2 | 64.0 | 36.0 | 18.0 |")
    }

    func testReportHasTheRunFactsRecipeFindingsAndTables() throws {
        let report = MarkdownReport.render(try Fixtures.comparison())
        XCTAssertTrue(report.hasPrefix("# lenet300-fashion: retraining strategies compared\n"))
        XCTAssertTrue(report.contains("- Generated: 2025-01-02T03:04:05Z\n"))
        XCTAssertTrue(report.contains("- Machine: 2 cores, Linux x86_64\n"))
        XCTAssertTrue(report.contains("- Compute time: 1 h 02 min 05 s (the wall times of every training run, summed; runs on parallel workers or shards overlap)\n"))
        XCTAssertTrue(report.contains("- Dense network: 88.50 ± 0.71% test accuracy, 20 / 3.0 "))
        XCTAssertTrue(report.contains("```yaml\nname: lenet300-fashion\nseeds: [0, 1]\n```\n"))
        XCTAssertTrue(report.contains("![Test accuracy against weights remaining](accuracy-vs-sparsity.svg)"))
        XCTAssertTrue(report.contains("| 1 | 80.0 | 10 / 3.0 | 10 / 3.0 |"))
        XCTAssertTrue(report.contains(
            "- **50–100% weights remaining** (levels 1–3): lr-rewind is best at 2 of 3 levels, fine-tune at 1. "
            + "At 51.2% (level 3), fine-tune is best with 80.00 ± 0.00%, 8.50 points below dense (88.50%) "
            + "and level with lr-rewind.\n"))
    }

    func testRecipeWithBackticksGetsALongerFence() throws {
        var context = Fixtures.context
        context.recipe = "name: x\n# ```not a fence```\n"
        let report = MarkdownReport.render(try Comparison(rows: Fixtures.rows, context: context))
        XCTAssertTrue(report.contains("````yaml\nname: x\n# ```not a fence```\n````\n"))
    }
}
