import Pruning
import XCTest
@testable import Reports

final class AggregationTests: XCTestCase {
    func testSampleStatisticsUsesBesselCorrection() {
        let statistics = SampleStatistics([1, 2, 3, 4])
        XCTAssertEqual(statistics.mean, 2.5)
        XCTAssertEqual(statistics.std, (5.0 / 3).squareRoot(), accuracy: 1e-15)  // Σ(x-m)² = 5, n-1 = 3
        XCTAssertEqual(statistics.count, 4)
        XCTAssertEqual(SampleStatistics([0.7]), SampleStatistics(mean: 0.7, std: 0, count: 1))
    }

    func testMeansAndStdsOverSeeds() throws {
        let comparison = try Fixtures.comparison()
        let dense = try XCTUnwrap(comparison.dense)
        XCTAssertEqual(dense.seeds, [0, 1])
        XCTAssertEqual(dense.testAccuracy.mean, 0.885, accuracy: 1e-12)
        XCTAssertEqual(dense.testAccuracy.std, 0.005 * 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(dense.epochs, 20)

        let fineTune = try XCTUnwrap(comparison.aggregate(strategy: "fine-tune", level: 1))
        XCTAssertEqual(fineTune.testAccuracy.mean, 0.875, accuracy: 1e-12)
        XCTAssertEqual(fineTune.testAccuracy.std, 0.005 * 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(fineTune.testLoss.mean, 0.125, accuracy: 1e-12)
        XCTAssertEqual(fineTune.weightsRemaining, 0.8, accuracy: 1e-12)
        XCTAssertEqual(fineTune.layerSparsity["fc1.weight"]!, 0.2, accuracy: 1e-12)
        XCTAssertEqual(fineTune.layerSparsity["fc2.weight"]!, 0.1, accuracy: 1e-12)
        XCTAssertEqual(fineTune.epochs, 10)
        XCTAssertEqual(fineTune.totalSeconds, 3)

        let oneSeed = try XCTUnwrap(comparison.aggregate(strategy: "lr-rewind", level: 2))
        XCTAssertEqual(oneSeed.seeds, [0])
        XCTAssertEqual(oneSeed.testAccuracy, SampleStatistics(mean: 0.87, std: 0, count: 1))
    }

    func testBestStrategyPerLevelBreaksTiesInRecipeOrder() throws {
        let comparison = try Fixtures.comparison()
        XCTAssertEqual(comparison.levels.map(\.best), ["lr-rewind", "lr-rewind", "fine-tune"])
        XCTAssertEqual(comparison.ranking(at: 1).map(\.strategy), ["lr-rewind", "fine-tune"])

        var reversed = Fixtures.context
        reversed.strategies = ["lr-rewind", "fine-tune"]
        let other = try Comparison(rows: Fixtures.rows, context: reversed)
        XCTAssertEqual(other.levels.map(\.best), ["lr-rewind", "lr-rewind", "lr-rewind"])
        XCTAssertEqual(other.strategyNames, ["lr-rewind", "fine-tune"])
    }

    func testLevelsAreOrderedByWeightsRemainingDescending() throws {
        let comparison = try Fixtures.comparison()
        XCTAssertEqual(comparison.levels.map(\.level), [1, 2, 3])
        XCTAssertEqual(comparison.levels.map(\.weightsRemaining), [0.8, 0.64, 0.512])

        // Level numbers do not decide the order; weights remaining do.
        let rows = [Fixtures.row("fine-tune", 7, 0, weights: 0.3, accuracy: 0.5),
                    Fixtures.row("fine-tune", 4, 0, weights: 0.1, accuracy: 0.5),
                    Fixtures.row("fine-tune", 9, 0, weights: 0.9, accuracy: 0.5)]
        let reordered = try Comparison(rows: rows, context: Fixtures.context)
        XCTAssertEqual(reordered.levels.map(\.level), [9, 7, 4])
        XCTAssertEqual(reordered.strategies[0].levels.map(\.level), [9, 7, 4])
        XCTAssertEqual(reordered.rows.map(\.level), [9, 7, 4])
        XCTAssertNil(reordered.dense)
        XCTAssertEqual(reordered.strategies[1].levels, [])
    }

    func testInputOrderDoesNotChangeAnything() throws {
        let shuffled = try Comparison(rows: Fixtures.rows.reversed(), context: Fixtures.context)
        XCTAssertEqual(shuffled, try Fixtures.comparison())
        XCTAssertEqual(shuffled.rows.first?.strategy, "dense")
        XCTAssertEqual(shuffled.rows.map(\.seed).prefix(4), [0, 1, 0, 1])
    }

    func testInvalidRowsAreRejectedWithTheirReason() {
        func error(_ rows: [LevelRecord], _ context: ReportContext = Fixtures.context) -> ReportError? {
            do { _ = try Comparison(rows: rows, context: context); return nil } catch { return error as? ReportError }
        }
        let good = Fixtures.row("fine-tune", 1, 0, weights: 0.8, accuracy: 0.88)
        XCTAssertEqual(error([]), .noRows)
        XCTAssertEqual(error([Fixtures.row("lottery", 1, 0, weights: 0.8, accuracy: 0.8)]),
                       .unknownStrategy("lottery", known: ["fine-tune", "lr-rewind"]))
        XCTAssertEqual(error([good, good]), .duplicateRow(strategy: "fine-tune", level: 1, seed: 0))
        XCTAssertEqual(error([Fixtures.row("dense", 2, 1, weights: 1, accuracy: 0.8)]), .denseLevelNotZero(level: 2, seed: 1))

        var percent = good
        percent.testAccuracy = 88.0
        XCTAssertEqual(error([percent]), .valueOutOfRange(field: "testAccuracy", value: 88, expected: "a fraction in [0, 1]",
                                                          strategy: "fine-tune", level: 1, seed: 0))
        var strayLayer = good
        strayLayer.layerSparsity["conv1.weight"] = 0.5
        XCTAssertEqual(error([strayLayer]), .unknownLayer("conv1.weight", strategy: "fine-tune", level: 1, seed: 0))

        var twice = Fixtures.context
        twice.strategies = ["fine-tune", "fine-tune"]
        XCTAssertEqual(error([good], twice), .repeatedStrategy("fine-tune"))

        var diverged = good
        diverged.testLoss = .nan
        XCTAssertNil(error([diverged]), "a diverged run's NaN loss is a result, not an error")
    }
}
