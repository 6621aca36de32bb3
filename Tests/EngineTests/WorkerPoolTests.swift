import Dispatch
@testable import Engine
import TestSupport
import XCTest

/// The worker pool behind `parallelFor` (worker_pool.c) and the products `gemm`
/// splits over it.
final class WorkerPoolTests: XCTestCase {
    /// Every index of every region runs exactly once, for many regions of changing
    /// sizes in a row (pool threads idle, spinning or asleep between them).
    func testEveryIndexRunsExactlyOnce() {
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { slots.deallocate() }
        for round in 0..<2_000 {
            let workers = 1 + round % 9
            slots.initialize(repeating: 0, count: 64)
            parallelFor(workers: workers) { worker in slots[worker] += 1 }
            for index in 0..<64 {
                XCTAssertEqual(slots[index], index < workers ? 1 : 0, "round \(round), \(workers) workers, index \(index)")
            }
            if round % 500 == 499 { usleep(2_000) }   // let the pool threads fall asleep
        }
    }

    /// A region started inside another (nested) runs its indices on the calling
    /// thread: it completes, and every (outer, inner) pair runs once.
    func testNestedRegionsComplete() {
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: 16)
        defer { slots.deallocate() }
        slots.initialize(repeating: 0, count: 16)
        parallelFor(workers: 4) { outer in
            parallelFor(workers: 4) { inner in slots[outer * 4 + inner] += 1 }
        }
        XCTAssertEqual((0..<16).map { slots[$0] }, Array(repeating: 1, count: 16))
    }

    /// Regions started from several threads at once all complete with every index
    /// run once (one gets the pool, the others run serially).
    func testConcurrentCallersAllComplete() {
        let callers = 4, workers = 3
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: callers * workers * 200)
        defer { slots.deallocate() }
        slots.initialize(repeating: 0, count: callers * workers * 200)
        let shared = SendablePointer(slots)
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for round in 0..<200 {
                parallelFor(workers: workers) { worker in
                    shared.pointer[(caller * 200 + round) * workers + worker] += 1
                }
            }
        }
        XCTAssertTrue((0..<(callers * workers * 200)).allSatisfy { slots[$0] == 1 })
    }

    /// A product split over the pool (by columns when n >= m, else by rows) equals the
    /// one-thread product to float rounding, and is bit-identical from run to run.
    func testSplitProductsMatchTheSingleThreadedProduct() {
        let shapes = [(m: 60, n: 300, k: 784), (m: 300, n: 40, k: 60), (m: 17, n: 33, k: 5), (m: 1, n: 1000, k: 64)]
        for (m, n, k) in shapes {
            for (transA, transB) in [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)] {
                let a = randomTensor([m * k], seed: 1), b = randomTensor([k * n], seed: 2)
                let c0 = randomTensor([m * n], seed: 3)
                let single = Tensor(copying: c0), split = Tensor(copying: c0), again = Tensor(copying: c0)
                gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a.pointer, b.pointer, beta: 2, single.pointer, threads: 1)
                gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a.pointer, b.pointer, beta: 2, split.pointer, threads: 2)
                gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a.pointer, b.pointer, beta: 2, again.pointer, threads: 2)
                for i in 0..<(m * n) {
                    XCTAssertEqual(split[i], single[i], accuracy: 1e-4 * max(1, abs(single[i])), "\(m)x\(n)x\(k) \(transA) \(transB) [\(i)]")
                    XCTAssertEqual(split[i].bitPattern, again[i].bitPattern, "\(m)x\(n)x\(k) \(transA) \(transB) [\(i)] differs between runs")
                }
            }
        }
    }
}

/// A pointer handed to `concurrentPerform`'s threads (each writes its own slots).
private struct SendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int>
    init(_ pointer: UnsafeMutablePointer<Int>) { self.pointer = pointer }
}
