import CBLAS

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Single-precision matrix product through OpenBLAS:
///
///     C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
///
/// All matrices are row-major and contiguous; `op(X)` is `X` or `Xᵀ`. The number of
/// OpenBLAS threads is chosen per call by `GemmThreads` from the product's size.

public func gemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    beta: Float = 0,
    _ c: UnsafeMutablePointer<Float>
) {
    if m == 0 || n == 0 { return }
    GemmThreads.select(forMultiplyAdds: m * n * k)
    let lda = transA == .none ? k : m
    let ldb = transB == .none ? n : k
    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                Int32(m), Int32(n), Int32(k),
                alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
}

/// The OpenBLAS thread count, chosen per call by the size of the product.
///
/// On the 2-core machines Rewind is measured on, a second thread speeds up large
/// products but slows small ones (thread wake-up costs more than the work: a
/// 60x100x10 product ran at half speed on two threads). Products of fewer than
/// `threshold` multiply-adds therefore run on one thread, larger ones on all cores.
/// `rewind bench --gemm` re-measures the crossover; `REWIND_GEMM_THRESHOLD` and
/// `REWIND_THREADS` override it.
public enum GemmThreads {
    /// Multiply-adds from which all threads are used (measured; see docs/benchmarks.md).
    nonisolated(unsafe) public static var threshold: Int = environmentInt("REWIND_GEMM_THRESHOLD") ?? 400_000
    /// The most threads any call may use (the machine's cores unless overridden).
    nonisolated(unsafe) public static var maximum: Int =
        environmentInt("REWIND_THREADS") ?? Int(openblas_get_num_procs())
    nonisolated(unsafe) static var current: Int = -1

    /// Sets OpenBLAS's thread count for a product of `multiplyAdds` (no-op if unchanged).
    public static func select(forMultiplyAdds multiplyAdds: Int) {
        set(multiplyAdds >= threshold ? maximum : 1)
    }

    /// Forces a thread count for the following calls.
    public static func set(_ threads: Int) {
        if threads != current {
            current = threads
            openblas_set_num_threads(Int32(threads))
        }
    }
}

func environmentInt(_ name: String) -> Int? {
    guard let raw = getenv(name) else { return nil }
    return Int(String(cString: raw))
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
