import CBLAS

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Single-precision matrix product through OpenBLAS on `threads` threads:
///
///     C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
///
/// All matrices are row-major and contiguous; `op(X)` is `X` or `Xᵀ`. Callers
/// choose `threads` from their `ComputeConfiguration`
/// (`gemmThreads(forMultiplyAdds: m·n·k)`), or 1 inside their own parallel region.
/// OpenBLAS's thread count is process-wide; this function is the only code that
/// sets it, to the count each call states (see `BLASThreadCount`).
public func gemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    beta: Float = 0,
    _ c: UnsafeMutablePointer<Float>,
    threads: Int
) {
    if m == 0 || n == 0 { return }
    BLASThreadCount.set(threads)
    let lda = transA == .none ? k : m
    let ldb = transB == .none ? n : k
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
}

/// OpenBLAS's process-wide thread count, set only when a call asks for a different
/// one (`openblas_set_num_threads` is not free, and most consecutive products ask
/// for the same count).
///
/// Calls from several threads at once (a layer's workers, each asking for 1) are
/// safe: the check and the set happen under a lock, and every concurrent caller
/// asks for the same count. Concurrent callers asking for different counts would
/// race on OpenBLAS itself; `ComputeConfiguration` explains why that never happens.
enum BLASThreadCount {
    nonisolated(unsafe) private static var current = -1
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        return mutex
    }()

    /// Makes the following OpenBLAS calls of this process run on `threads` threads.
    static func set(_ threads: Int) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if threads != current {
            current = threads
            openblas_set_num_threads(Int32(threads))
        }
    }
}
