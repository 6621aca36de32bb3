import Dispatch

/// Runs `body(worker)` for every `worker` in `0..<workers`, concurrently, and returns
/// when all have finished. With one worker it simply calls `body(0)`.
///
/// Safety: `body` is shared among threads without Swift's Sendable checking (it
/// captures layers and raw pointers). Callers must give each worker disjoint memory
/// to write, and may read shared memory that nobody writes during the call.
/// `concurrentPerform` does not return before every iteration has, so nothing the
/// closure captures can be freed while it runs.
func parallelFor(workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
    }
}

/// A value handed to other threads without Sendable checking; see `parallelFor`.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The shape of the empty tensor a layer returns from `backward` when it computes no
/// input gradient (a shared constant: reshaping to it allocates nothing).
let emptyShape = [0]

/// The contiguous share of `0..<count` of worker `worker` among `workers`.
@inline(__always)
func share(of count: Int, worker: Int, workers: Int) -> Range<Int> {
    (count * worker / workers)..<(count * (worker + 1) / workers)
}
