import Foundation
import Pruning
import Recipes
@testable import rewind
import XCTest

/// The order `compare --jobs` hands out work: prerequisites first, longest remaining
/// work first, every unfinished task exactly once.
final class ComparisonTasksTests: XCTestCase {
    private let recipe = """
    name: tasks
    seeds: [0]
    data: {dataset: synthetic, synthetic: {train: 32, test: 16, classes: 3, side: 4}}
    model: lenet-300-100
    train: {optimizer: sgd, lr: 0.05, batch_size: 16, epochs: 4, rewind_epoch: 1}
    prune: {fraction: 0.5, target: 0.75}
    retrain: [fine-tune, weight-rewind, lottery, random-reinit]
    """

    func testPrerequisitesFirstAndLongestWorkFirst() throws {
        let recipe = try Recipe.parse(self.recipe, file: "tasks.yaml")
        let run = RunFolder(root: FileManager.default.temporaryDirectory.appendingPathComponent("rewind-tasks-\(UUID().uuidString)"),
                            source: recipe.hash)
        var tasks = try ComparisonTasks(recipe: recipe, run: run)
        XCTAssertEqual(try recipe.levelSchedule().count, 2)
        // Only the dense run is ready at first.
        XCTAssertEqual(tasks.next(), .dense(seed: 0))
        XCTAssertNil(tasks.next())
        tasks.finished(.dense(seed: 0))
        // Lottery level 1 heads the most work (its chain and random-reinit's: 2 x 4 + 2 x 4
        // epochs), then fine-tune (2 x 3), weight-rewind (2 x 3, later in the recipe);
        // random-reinit waits for lottery.
        XCTAssertEqual(tasks.next(), .level(seed: 0, strategy: "lottery", level: 1))
        XCTAssertEqual(tasks.next(), .level(seed: 0, strategy: "fine-tune", level: 1))
        XCTAssertEqual(tasks.next(), .level(seed: 0, strategy: "weight-rewind", level: 1))
        XCTAssertNil(tasks.next())
        tasks.finished(.level(seed: 0, strategy: "lottery", level: 1))
        XCTAssertEqual(tasks.next(), .level(seed: 0, strategy: "lottery", level: 2))
        XCTAssertEqual(tasks.next(), .level(seed: 0, strategy: "random-reinit", level: 1))
        XCTAssertNil(tasks.next())
        var handedOut = 6
        for task in [ComparisonTask.level(seed: 0, strategy: "fine-tune", level: 1), .level(seed: 0, strategy: "weight-rewind", level: 1),
                     .level(seed: 0, strategy: "lottery", level: 2), .level(seed: 0, strategy: "random-reinit", level: 1)] {
            tasks.finished(task)
            while let next = tasks.next() { handedOut += 1; tasks.finished(next) }
        }
        XCTAssertTrue(tasks.isComplete)
        XCTAssertEqual(handedOut, 1 + 4 * 2)
    }

    func testTaskLinesRoundTrip() {
        for task in [ComparisonTask.dense(seed: 3), .level(seed: 1, strategy: "lr-rewind", level: 12)] {
            XCTAssertEqual(ComparisonTask(line: task.line), task)
        }
        XCTAssertNil(ComparisonTask(line: "level x lr-rewind 1"))
        XCTAssertNil(ComparisonTask(line: "dense"))
    }
}
