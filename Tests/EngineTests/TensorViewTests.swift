import Engine
import TestSupport
import XCTest

/// Tensors that borrow memory (Flatten's output, evaluation batches) instead of copying it.
final class TensorViewTests: XCTestCase {
    func testBorrowedTensorReadsAndWritesTheMemoryAndGrowsIntoItsOwn() {
        var storage: [Float] = [1, 2, 3, 4, 5, 6]
        storage.withUnsafeMutableBufferPointer { memory in
            let view = Tensor(borrowing: memory.baseAddress!, shape: [2, 3])
            XCTAssertEqual(view.values, [1, 2, 3, 4, 5, 6])
            view[4] = 50
            XCTAssertEqual(memory[4], 50, "a view writes through")
            view.reshape(to: [3, 2])
            XCTAssertEqual(view.pointer, memory.baseAddress!, "same count: still the view")
            view.reshape(to: [4, 3])
            XCTAssertNotEqual(view.pointer, memory.baseAddress!, "growing gives it storage of its own")
            view.fill(0)
            XCTAssertEqual(Array(memory), [1, 2, 3, 4, 50, 6], "the borrowed memory is left alone")
        }
    }

    func testFlattenIsAViewBothWays() {
        let flatten = Flatten()
        let x = randomTensor([2, 3, 2, 2], seed: 1)
        let y = flatten.forward(x, mode: .training)
        XCTAssertEqual(y.shape, [2, 12])
        XCTAssertEqual(x.shape, [2, 3, 2, 2], "the caller's tensor keeps its shape")
        XCTAssertEqual(y.values, x.values)
        XCTAssertEqual(y.pointer, x.pointer, "no copy")
        let dy = randomTensor([2, 12], seed: 2)
        let dx = flatten.backward(dy)
        XCTAssertEqual(dx.shape, [2, 3, 2, 2])
        XCTAssertEqual(dx.values, dy.values)
        // A second step with another batch size re-targets the same views.
        let x2 = randomTensor([1, 3, 2, 2], seed: 3)
        XCTAssertEqual(flatten.forward(x2, mode: .evaluation).values, x2.values)
        XCTAssertEqual(flatten.forward(x2, mode: .evaluation).shape, [1, 12])
    }

    /// Evaluation reads batches from the dataset's memory: the result does not depend
    /// on the batch size (the last batch is partial) and the dataset is unchanged.
    func testEvaluationOverBorrowedBatchesMatchesAnyBatchSize() throws {
        let data = SyntheticDataset.make(count: 53, classes: 3, shape: [1, 4, 4])
        let before = data.images.values
        let network = try ModelZoo.build(Architecture(model: "lenet-300-100", inputShape: [1, 4, 4], classes: 3))
        network.initialize(seed: 0)
        let reference = evaluate(network, on: data, batchSize: 53)
        for batchSize in [1, 7, 50, 1000] {
            let result = evaluate(network, on: data, batchSize: batchSize)
            XCTAssertEqual(result.accuracy, reference.accuracy)
            XCTAssertTrue(isApproximatelyEqual(result.loss, reference.loss, absolute: 1e-6), "\(batchSize): \(result.loss) vs \(reference.loss)")
        }
        XCTAssertEqual(data.images.values, before)
    }
}
