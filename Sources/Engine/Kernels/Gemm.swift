import CBLAS

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Single-precision matrix product on `threads` threads:
///
///     C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
///
/// All matrices are row-major and contiguous; `op(X)` is `X` or `Xᵀ`. Callers
/// choose `threads` from their `ComputeConfiguration`
/// (`gemmThreads(forMultiplyAdds: m·n·k)`), or 1 inside their own parallel region.
///
/// OpenBLAS always runs on one thread (`OpenBLASThreads.single`). With `threads > 1`
/// the product is split into `threads` independent products on the engine's worker
/// pool (`parallelForRanges`): C's columns when `n >= m`,
///
///     C[:, J] = alpha * op(A) * op(B)[:, J] + beta * C[:, J]
///
/// else C's rows, `C[I, :] = alpha * op(A)[I, :] * op(B) + beta * C[I, :]`, in blocks
/// of 16 (a whole vector tile of OpenBLAS's kernels; a product of fewer than two
/// blocks is not split). Each part packs its
/// own panel of the shared operand, the cost of one extra copy of the smaller
/// operand, and every element of C is computed by one part with the same `k`-order,
/// so the split is deterministic. Why not OpenBLAS's own threads: between calls
/// they spin in `sched_yield` for a long time and take the second core from the
/// engine's own workers (im2col, pooling, the sparse kernels): measured on the
/// 2-core AMD EPYC Zen 4, Conv-2 training ran at 559 images/s with them and 730
/// without (docs/benchmarks.md).
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
    OpenBLASThreads.makeSingle()
    let lda = transA == .none ? k : m
    let ldb = transB == .none ? n : k
    /// `C[rows, columns]` from the matching parts of op(A) and op(B).
    func product(rows: Range<Int>, columns: Range<Int>) {
        if rows.isEmpty || columns.isEmpty { return }
        let aPart = transA == .none ? a + rows.lowerBound * k : a + rows.lowerBound
        let bPart = transB == .none ? b + columns.lowerBound : b + columns.lowerBound * k
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    Int32(rows.count), Int32(columns.count), Int32(k),
                    alpha, aPart, Int32(lda), bPart, Int32(ldb), beta,
                    c + rows.lowerBound * n + columns.lowerBound, Int32(n))
    }
    if n >= m {
        parallelForRanges(count: n, block: 16, workers: threads) { product(rows: 0..<m, columns: $0) }
    } else {
        parallelForRanges(count: m, block: 16, workers: threads) { product(rows: $0, columns: 0..<n) }
    }
}

/// OpenBLAS's process-wide thread count, set to 1 before the first product: Rewind
/// splits products itself (see `gemm`).
enum OpenBLASThreads {
    /// Runs once per process, on first use (Swift initialises a static `let` once,
    /// thread-safely).
    private static let single: Void = openblas_set_num_threads(1)

    static func makeSingle() { _ = single }
}
