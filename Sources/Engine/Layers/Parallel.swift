import CKernels

/// Runs `body(worker)` for every `worker` in `0..<workers`, concurrently, and returns
/// when all have finished. With one worker it simply calls `body(0)`.
///
/// The workers run on Rewind's one worker pool (`rw_pool_run`, Sources/CKernels/
/// worker_pool.c): the calling thread runs worker 0, pool threads the others, and
/// idle pool threads spin briefly before they sleep, so the hundreds of short
/// regions of a training step start in well under a microsecond. Every parallel
/// region of the engine, the split matrix products of `gemm` included, goes
/// through this one pool, so no two thread pools compete for the cores (OpenBLAS's
/// own threads, which spin in `sched_yield` between its calls, are never used).
/// A region started inside another runs its workers one after the other on the
/// calling thread.
///
/// Which worker computes which share never depends on timing, so results are the
/// same from run to run.
///
/// Safety: `body` is shared among threads without Swift's Sendable checking (it
/// captures layers and raw pointers). Callers must give each worker disjoint memory
/// to write, and may read shared memory that nobody writes during the call.
/// `rw_pool_run` does not return before every worker has, so nothing the closure
/// captures can be freed while it runs.
func parallelFor(workers: Int, _ body: (Int) -> Void) {
    if workers <= 1 {
        body(0)
        return
    }
    withoutActuallyEscaping(body) { body in
        var region = body
        withUnsafeMutablePointer(to: &region) { pointer in
            rw_pool_run(workers, { context, worker in
                context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(worker)
            }, pointer)
        }
    }
}

/// The shape of the empty tensor a layer returns from `backward` when it computes no
/// input gradient (a shared constant: reshaping to it allocates nothing).
let emptyShape = [0]

/// Runs `body(range)` over `0..<count` split into at most `workers` contiguous ranges
/// that start at multiples of `block` (whole vector tiles of the kernel that `body`
/// calls), concurrently through `parallelFor`; with one worker, or fewer than two
/// blocks, `body(0..<count)` runs on the calling thread. Which range a worker gets
/// depends only on `count`, `block` and `workers`.
func parallelForRanges(count: Int, block: Int, workers: Int, _ body: (Range<Int>) -> Void) {
    let blocks = (count + block - 1) / block, parts = min(workers, blocks)
    if parts <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    parallelFor(workers: parts) { part in
        let blockRange = share(of: blocks, worker: part, workers: parts)
        body((blockRange.lowerBound * block)..<min(count, blockRange.upperBound * block))
    }
}

/// The contiguous share of `0..<count` of worker `worker` among `workers`.
@inline(__always)
func share(of count: Int, worker: Int, workers: Int) -> Range<Int> {
    (count * worker / workers)..<(count * (worker + 1) / workers)
}
