import Pruning
import XCTest
@testable import Reports

final class CSVReportTests: XCTestCase {
    func testLevelsColumnsAndRowOrder() throws {
        let lines = CSVReport.levels(try Fixtures.comparison()).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines[0], "strategy,level,seed,weights_remaining,test_accuracy,test_loss,epochs,seconds,"
                                 + "sparsity_fc1.weight,sparsity_fc2.weight")
        XCTAssertEqual(lines[1], "dense,0,0,1.0,0.89,\(1 - 0.89),20,1.5,0.0,0.0")
        XCTAssertEqual(lines[3], "fine-tune,1,0,0.8,0.88,\(1 - 0.88),10,1.5,\(1 - 0.8),\((1 - 0.8) / 2)")
        XCTAssertEqual(lines.count, 1 + Fixtures.rows.count + 1, "header, one line per row, final newline")
        XCTAssertEqual(lines.last, "")
        XCTAssertEqual(lines.dropFirst().prefix(6).map { $0.split(separator: ",").prefix(3).joined(separator: ",") },
                       ["dense,0,0", "dense,0,1", "fine-tune,1,0", "fine-tune,1,1", "fine-tune,2,0", "fine-tune,2,1"])
    }

    func testFieldsAreQuotedPerRFC4180() {
        XCTAssertEqual(CSVReport.escape("fine-tune"), "fine-tune")
        XCTAssertEqual(CSVReport.escape("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVReport.escape("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVReport.escape("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVReport.escape("crlf\r\n"), "\"crlf\r\n\"")
    }

    func testQuotedStrategyAndLayerNamesAndMissingLayers() throws {
        var context = Fixtures.context
        context.strategies = ["rewind \"k=2\", lr"]
        context.layers = ["fc1.weight", "conv,1"]
        let row = LevelRecord(strategy: "rewind \"k=2\", lr", level: 1, seed: 3, weightsRemaining: 0.5,
                            layerSparsity: ["conv,1": 0.25], testAccuracy: 0.5, testLoss: .nan, epochs: 2, seconds: 0.25)
        let comparison = try Comparison(rows: [row], context: context)
        XCTAssertEqual(CSVReport.levels(comparison).split(separator: "\n").map(String.init), [
            "strategy,level,seed,weights_remaining,test_accuracy,test_loss,epochs,seconds,sparsity_fc1.weight,\"sparsity_conv,1\"",
            "\"rewind \"\"k=2\"\", lr\",1,3,0.5,0.5,nan,2,0.25,,0.25",
        ])
        XCTAssertEqual(CSVReport.layers(comparison).split(separator: "\n").map(String.init), [
            "strategy,level,seeds,weights_remaining,sparsity_fc1.weight,\"sparsity_conv,1\"",
            "\"rewind \"\"k=2\"\", lr\",1,1,0.5,,0.25",
        ])
    }

    func testLayersHoldsMeanSparsityPerStrategyAndLevel() throws {
        var rows = Fixtures.rows
        rows[2].layerSparsity["fc1.weight"] = 0.3  // fine-tune, level 1, seed 0: mean of 0.3 and 0.2
        let lines = CSVReport.layers(try Comparison(rows: rows, context: Fixtures.context)).split(separator: "\n")
        XCTAssertEqual(lines[0], "strategy,level,seeds,weights_remaining,sparsity_fc1.weight,sparsity_fc2.weight")
        XCTAssertEqual(lines[1], "dense,0,2,1.0,0.0,0.0")
        XCTAssertEqual(lines[2], "fine-tune,1,2,0.8,\((0.3 + (1 - 0.8)) / 2),\((1 - 0.8) / 2)")
        XCTAssertEqual(lines.count, 1 + 1 + 6)
        XCTAssertTrue(lines[5].hasPrefix("lr-rewind,1,2,"))
    }
}
