// Private to CKernels: the panel and matrix-vector micro-kernels of the sparse
// product (see sparse_microkernels.h), written once against simd_vector.h and
// compiled per vector width by sparse_kernels_avx2.c and sparse_kernels_avx512.c.
// Include after simd_vector.h.
#include "sparse_microkernels.h"

/// How many non-zeros ahead the panel prefetches its B row (measured on the
/// 2-core AMD EPYC with AVX2: 4 ahead was 10-20% faster than none at 64 columns).
#define RW_PANEL_PREFETCH 4

/// One output row of a panel, `vectors` (compile-time after inlining) x RW_LANES columns:
///
///     acc[v] = bias + sum_j w_j * B[col_j, v·L ..< (v + 1)·L]     then ReLU, store.
///
/// The accumulators stay in registers across the row's non-zeros. A one-vector
/// panel has a single FMA chain, bound by the FMA latency (4-5 cycles on Zen), so
/// its entries rotate over 4 accumulator sets, summed at the end (AVX2, fc1 of
/// LeNet-300-100 at 5% density, 8 columns: 22.5 -> 14.1 us). Wider panels gained
/// nothing from extra sets.
RW_SIMD_INLINE void RW_NAME(panel_row)(const int vectors, int32_t p, const int32_t end,
                                        const int32_t *restrict columns, const float *restrict values,
                                        const float *restrict b, const ptrdiff_t ldb,
                                        const float bias, const int relu, float *restrict c) {
    const int sets = vectors == 1 ? 4 : 1;
    rw_vec acc[4][RW_SPARSE_PANEL_COLUMNS / RW_LANES];
    for (int s = 0; s < sets; s++) {
        for (int v = 0; v < vectors; v++) acc[s][v] = s == 0 ? vec_set1(bias) : vec_zero();
    }
    for (; p + sets <= end; p += sets) {
        if (p + RW_PANEL_PREFETCH < end) {
            const float *ahead = b + (ptrdiff_t)columns[p + RW_PANEL_PREFETCH] * ldb;
            for (int line = 0; line < vectors * RW_LANES; line += 16) vec_prefetch(ahead + line);
        }
        for (int s = 0; s < sets; s++) {
            const rw_vec w = vec_broadcast(values + p + s);
            const float *row = b + (ptrdiff_t)columns[p + s] * ldb;
            for (int v = 0; v < vectors; v++) acc[s][v] = vec_fmadd(w, vec_load(row + RW_LANES * v), acc[s][v]);
        }
    }
    for (; p < end; p++) {
        const rw_vec w = vec_broadcast(values + p);
        const float *row = b + (ptrdiff_t)columns[p] * ldb;
        for (int v = 0; v < vectors; v++) acc[0][v] = vec_fmadd(w, vec_load(row + RW_LANES * v), acc[0][v]);
    }
    for (int v = 0; v < vectors; v++) {
        for (int s = 1; s < sets; s++) acc[0][v] = vec_add(acc[0][v], acc[s][v]);
        if (relu) acc[0][v] = vec_max(acc[0][v], vec_zero());
        vec_store(c + RW_LANES * v, acc[0][v]);
    }
}

RW_SIMD_INLINE void RW_NAME(panel_rows)(const int vectors, const rw_csr_view *a, const float *b, ptrdiff_t ldb,
                                         const float *bias, int relu, float *c, ptrdiff_t ldc) {
    const int32_t *offsets = a->row_offsets;
    for (int32_t i = 0; i < a->rows; i++) {
        RW_NAME(panel_row)(vectors, offsets[i], offsets[i + 1], a->column_indices, a->values, b, ldb,
                           bias ? bias[i] : 0.0f, relu, c + (ptrdiff_t)i * ldc);
    }
}

/// The panel of `8 · eights` columns (see `rw_sparse_microkernels.panel`): the run-time
/// width becomes a compile-time vector count, so `panel_row`'s loops over vectors
/// unroll and its accumulators live in registers. A width that is not a whole number
/// of vectors (an odd `eights` with 16-float vectors) runs on the AVX2 panel.
RW_SIMD static void RW_NAME(panel)(const rw_csr_view *a, int eights, const float *b, ptrdiff_t ldb,
                                    const float *bias, int relu, float *c, ptrdiff_t ldc) {
    if ((8 * eights) % RW_LANES != 0) {
        rw_sparse_microkernels_avx2.panel(a, eights, b, ldb, bias, relu, c, ldc);
        return;
    }
    switch (8 * eights / RW_LANES) {
    case 8: RW_NAME(panel_rows)(8, a, b, ldb, bias, relu, c, ldc); break;
    case 7: RW_NAME(panel_rows)(7, a, b, ldb, bias, relu, c, ldc); break;
    case 6: RW_NAME(panel_rows)(6, a, b, ldb, bias, relu, c, ldc); break;
    case 5: RW_NAME(panel_rows)(5, a, b, ldb, bias, relu, c, ldc); break;
    case 4: RW_NAME(panel_rows)(4, a, b, ldb, bias, relu, c, ldc); break;
    case 3: RW_NAME(panel_rows)(3, a, b, ldb, bias, relu, c, ldc); break;
    case 2: RW_NAME(panel_rows)(2, a, b, ldb, bias, relu, c, ldc); break;
    case 1: RW_NAME(panel_rows)(1, a, b, ldb, bias, relu, c, ldc); break;
    default: break;
    }
}

/// The sampled dense-dense product (see `rw_sampled_dense_dense`): one dot product
/// of length n per pattern entry, RW_LANES products per FMA on two chains, the
/// last n mod RW_LANES as scalar FMAs.
RW_SIMD static void RW_NAME(sampled)(const rw_csr_view *a, int32_t n, const float *x, const float *y, float *c,
                                      ptrdiff_t ldc) {
    const int32_t *offsets = a->row_offsets;
    const int32_t *restrict columns = a->column_indices;
    for (int32_t i = 0; i < a->rows; i++) {
        const float *restrict xi = x + (ptrdiff_t)i * n;
        float *restrict ci = c + (ptrdiff_t)i * ldc;
        for (int32_t p = offsets[i]; p < offsets[i + 1]; p++) {
            const float *restrict yj = y + (ptrdiff_t)columns[p] * n;
            rw_vec acc0 = vec_zero(), acc1 = vec_zero();
            int32_t t = 0;
            for (; t + 2 * RW_LANES <= n; t += 2 * RW_LANES) {
                acc0 = vec_fmadd(vec_load(xi + t), vec_load(yj + t), acc0);
                acc1 = vec_fmadd(vec_load(xi + t + RW_LANES), vec_load(yj + t + RW_LANES), acc1);
            }
            if (t + RW_LANES <= n) {
                acc0 = vec_fmadd(vec_load(xi + t), vec_load(yj + t), acc0);
                t += RW_LANES;
            }
            float sum = vec_hsum(vec_add(acc0, acc1));
            for (; t < n; t++) sum = __builtin_fmaf(xi[t], yj[t], sum);
            ci[columns[p]] += sum;
        }
    }
}

#if RW_LANES == 8
/// Sparse matrix-vector product, RW_LANES entries of a row per FMA: x[col] is
/// gathered by scalar loads into one vector (faster than `vgatherdps` on the
/// measured Zen CPU: 6.5 vs 13 us for fc1 of LeNet-300-100 at 5% density, AVX2),
/// multiplied by the row's values; the row's remaining entries are scalar FMAs
/// on two chains.
///
/// Built for 8-float vectors only: the AVX-512 table uses this one too. Measured
/// on the 2-core AMD EPYC Zen 4, LeNet-300-100 at 95% sparsity, batch 1 (`rewind
/// bench --sparse`, two runs each): 16 lanes by scalar loads took 5.9-6.6 us, 16
/// lanes by `vgatherdps` 6.5-6.6 us, 8 lanes 5.0-5.1 us. The product is bound by
/// the one load per entry of x[col], not by the vector width.
RW_SIMD void rw_spmv_avx2(const rw_csr_view *a, const float *x, ptrdiff_t incx,
                                   const float *bias, int relu, float *y, ptrdiff_t incy) {
    const int32_t *offsets = a->row_offsets;
    const int32_t *restrict columns = a->column_indices;
    const float *restrict values = a->values;
    for (int32_t i = 0; i < a->rows; i++) {
        int32_t p = offsets[i];
        const int32_t end = offsets[i + 1];
        rw_vec acc = vec_zero();
        for (; p + RW_LANES <= end; p += RW_LANES) {
            const int32_t *k = columns + p;
            acc = vec_fmadd(vec_load(values + p), vec_gather(x, k, incx), acc);
        }
        float sum = vec_hsum(acc), tail = 0.0f;
        for (; p + 2 <= end; p += 2) {
            sum = __builtin_fmaf(values[p], x[columns[p] * incx], sum);
            tail = __builtin_fmaf(values[p + 1], x[columns[p + 1] * incx], tail);
        }
        if (p < end) sum = __builtin_fmaf(values[p], x[columns[p] * incx], sum);
        sum += tail + (bias ? bias[i] : 0.0f);
        y[(ptrdiff_t)i * incy] = (relu && sum < 0.0f) ? 0.0f : sum;
    }
}
#endif

/// This width's table: its panel and sampled product, with the AVX2 matrix-vector
/// product (see `rw_spmv_avx2`) and transpose (bound by memory, not by the width).
const rw_sparse_microkernels RW_NAME(rw_sparse_microkernels) = {
    .panel = RW_NAME(panel),
    .spmv = rw_spmv_avx2,
    .sampled = RW_NAME(sampled),
    .transpose = rw_transpose_avx2,
};
