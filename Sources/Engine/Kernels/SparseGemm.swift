import CKernels

/// Sparse (CSR) times dense, with a fused per-row bias and ReLU:
///
///     C[i, j] = epilogue(bias[i] + sum_p A.values[p] * op(B)[A.columnIndices[p], j])
///
/// for `A [m, k]` (CSR), `op(B) [k, n]` and `C [m, n]`, all dense operands
/// row-major; `op(B)` is `B [k, n]` (`.none`) or `Bᵀ` for `B [n, k]`
/// (`.transposed`); epilogue is `max(·, 0)` when `relu`, else the identity. The work
/// is `A.nonZeroCount · n` multiply-adds, against `m · k · n` for the dense product.
/// `B`'s row stride `ldb` defaults to its row length (`n`, or `k` when transposed);
/// with `.none` any stride is allowed, even 1, which makes row `j` of `B` the `n`
/// floats from `b + j` (rows overlapping: `SparseConvolution`'s shifted windows).
///
/// Uses:
/// - a Linear layer at batch `n`: `yᵀ [out, n] = W [out, in] · xᵀ [in, n]`, with `x [n, in]`
///   passed `.transposed` (the kernel transposes 64 columns at a time into cache) or
///   an activation kept as `xᵀ` passed `.none`;
/// - a convolution on its im2col columns: `y [out, P] = W [out, in·kh·kw] · cols [in·kh·kw, P]`
///   (`.none`, `n = P` output pixels).
///
/// The kernel (CKernels `rw_sparse_spmm`, the build `configuration.kernelPath` picks) works in
/// panels of 64 columns: each row of `A` streams its entries once per panel,
/// accumulating 64 outputs in registers, while the panel of `op(B)` stays in L2.
/// `n = 1` is a sparse matrix-vector product, 8 entries per FMA.
///
/// Threads: `configuration.sparseThreads(multiplyAdds:columns:)` decides from the
/// product's size (large products are split by columns over the engine's worker
/// pool, `parallelFor`); `threads` overrides the choice, splitting by
/// columns when `n` allows 16 or more per thread, else by rows holding equal
/// numbers of entries. The kernel build is `configuration.kernelPath`.
///
/// Why the default split is what it is (measured on the 2-core AMD EPYC (Zen)
/// machine, 2026-11-23, splitting columns of `[300, 784]` and `[100, 300]` products
/// at 2-50% density, batch 64-1024, one and two threads timed alternately): while
/// another process kept the second core busy (the usual state of a machine shared
/// with builds), two threads never paid: a tie from about 1.5M multiply-adds up
/// (1891 vs 1887 us at 11.9M), a loss below (75 vs 98 us at 0.75M, batch 64) and
/// whenever a thread got less than a 64-column panel. In a moment with both cores
/// free, two threads took 1.2M multiply-adds at batch 256 from 544 to 316 us. Hence
/// split only products of at least `sparseThreshold` multiply-adds with at least
/// 64 columns per thread, where the split costs little when a core is busy and
/// nearly halves the time when it is free. `workspace` (one per caller, reused)
/// avoids allocating the kernel's scratch on every call.
public func sparseGemm(
    _ a: CSRMatrix, _ transB: Transpose, n: Int, _ b: UnsafePointer<Float>, ldb: Int? = nil,
    bias: UnsafePointer<Float>? = nil, relu: Bool = false,
    _ c: UnsafeMutablePointer<Float>,
    workspace: SparseWorkspace? = nil, threads: Int? = nil,
    configuration: ComputeConfiguration = .default
) {
    let variant = configuration.kernelPath
    precondition(n >= 0 && n <= Int(Int32.max), "sparseGemm: invalid column count \(n)")
    if a.rows == 0 || n == 0 { return }
    let workspace = workspace ?? SparseWorkspace()
    let threadCount = max(1, min(threads ?? configuration.sparseThreads(multiplyAdds: a.nonZeroCount * n, columns: n), n >= 16 ? n / 8 : a.rows))
    precondition(ldb == nil || (transB == .none && ldb! >= 1), "sparseGemm: a row stride is only for an untransposed B")
    let ldb = ldb ?? (transB == .none ? n : a.columns)
    a.withView { view in
        let floats = SparseWorkspace.floats(for: view)
        if threadCount == 1 {
            // The common case, kept free of allocations (batch-1 latency is a few us).
            var view = view
            rw_sparse_spmm(&view, Int32(n), b, ldb, transB == .transposed ? 1 : 0, bias, relu ? 1 : 0,
                           c, n, workspace.buffer(0, floats: floats), variant.code)
            return
        }
        let job = SparseGemmJob(
            view: view, n: n, b: b, ldb: ldb, bTransposed: transB == .transposed,
            bias: bias, relu: relu, c: c, ldc: n,
            parts: SparseGemmJob.split(a, n: n, parts: threadCount),
            workspaces: (0..<threadCount).map { workspace.buffer($0, floats: floats) },
            variant: variant)
        parallelFor(workers: job.parts.count) { job.run(part: $0) }
    }
}

/// Scratch memory for `sparseGemm`, one buffer per thread, grown on demand and
/// reused across calls. Not thread-safe: give each concurrent caller its own.
public final class SparseWorkspace {
    private var storage: [UnsafeMutablePointer<Float>] = []
    private var capacity = 0

    public init() {}

    deinit { for buffer in storage { buffer.deallocate() } }

    /// Floats one thread needs for a product with `view` (`rw_sparse_spmm_workspace_count`).
    static func floats(for view: rw_csr_view) -> Int {
        var view = view
        return rw_sparse_spmm_workspace_count(&view)
    }

    /// Thread `index`'s buffer of at least `floats` floats (all buffers are
    /// reallocated when a larger size is asked for).
    func buffer(_ index: Int, floats: Int) -> UnsafeMutablePointer<Float> {
        if floats > capacity {
            for buffer in storage { buffer.deallocate() }
            storage.removeAll()
            capacity = floats
        }
        while storage.count <= index {
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: max(capacity, 1))
            buffer.initialize(repeating: 0, count: max(capacity, 1))
            storage.append(buffer)
        }
        return storage[index]
    }
}

/// One split `sparseGemm` call: the operands as raw pointers and which columns (or
/// rows) each part computes.
///
/// `@unchecked Sendable` because it carries raw pointers to the pool's threads.
/// That is safe here: `A`, `B` and `bias` are only read; part `i` writes only its
/// own column (or row) range of `C` and its own workspace buffer, ranges that do
/// not overlap; and `parallelFor` returns only after every part finished,
/// inside `CSRMatrix.withView`, while every pointer is still valid.
private struct SparseGemmJob: @unchecked Sendable {
    /// A part: `columns` of C when splitting by columns, else `rows` of A and C.
    struct Part {
        var columns: Range<Int>
        var rows: Range<Int>
    }

    let view: rw_csr_view
    let n: Int
    let b: UnsafePointer<Float>
    let ldb: Int
    let bTransposed: Bool
    let bias: UnsafePointer<Float>?
    let relu: Bool
    let c: UnsafeMutablePointer<Float>
    let ldc: Int
    let parts: [Part]
    let workspaces: [UnsafeMutablePointer<Float>]
    let variant: KernelVariant

    /// `count` parts: column ranges in multiples of 8 when `n >= 16` (the kernel's
    /// vector width), else row ranges holding about equal numbers of entries.
    static func split(_ a: CSRMatrix, n: Int, parts count: Int) -> [Part] {
        if count == 1 { return [Part(columns: 0..<n, rows: 0..<a.rows)] }
        if n >= 16 {
            let width = ((n + count - 1) / count + 7) / 8 * 8
            return stride(from: 0, to: n, by: width).map { Part(columns: $0..<min($0 + width, n), rows: 0..<a.rows) }
        }
        var parts: [Part] = []
        var start = 0
        for part in 1...count {
            let target = Int32((a.nonZeroCount * part + count - 1) / count)
            var end = part == count ? a.rows : start
            while end < a.rows && a.rowOffsets[end] < target { end += 1 }
            parts.append(Part(columns: 0..<n, rows: start..<end))
            start = end
        }
        return parts
    }

    func run(part index: Int) {
        let part = parts[index]
        if part.columns.isEmpty || part.rows.isEmpty { return }
        var sub = view
        sub.rows = Int32(part.rows.count)
        sub.row_offsets = view.row_offsets + part.rows.lowerBound
        let first = part.columns.lowerBound
        rw_sparse_spmm(&sub, Int32(part.columns.count),
                       b + (bTransposed ? first * ldb : first), ldb, bTransposed ? 1 : 0,
                       bias.map { $0 + part.rows.lowerBound }, relu ? 1 : 0,
                       c + part.rows.lowerBound * ldc + first, ldc,
                       workspaces[index], variant.code)
    }
}
