// AVX2/FMA micro-kernels of the sparse product (see sparse_microkernels.h).
//
// Every function carries `target("avx2,fma")`, so this file compiles with the
// package's baseline flags and is only called after `rw_cpu_has_avx2_fma()`.
#include "sparse_microkernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define RW_AVX2 __attribute__((target("avx2,fma")))
#define RW_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/// How many non-zeros ahead the panel prefetches its B row (measured on the
/// 2-core AMD EPYC: 4 ahead was 10-20% faster than none at 64 columns).
#define RW_PANEL_PREFETCH 4

/// One output row of a panel, `vectors` (compile-time after inlining) x 8 columns:
///
///     acc[v] = bias + sum_j w_j * B[col_j, 8v ..< 8v + 8]     then ReLU, store.
///
/// The accumulators stay in registers across the row's non-zeros. A one-vector
/// panel (8 columns, the padded tail of a small batch) has a single FMA chain,
/// bound by the FMA latency (5 cycles on Zen), so its entries rotate over 4
/// accumulator sets, summed at the end (fc1 of LeNet-300-100 at 5% density,
/// 8 columns: 22.5 -> 14.1 us). Wider panels gained nothing from extra sets.
RW_AVX2_INLINE void panel_row(const int vectors, int32_t p, const int32_t end,
                              const int32_t *restrict columns, const float *restrict values,
                              const float *restrict b, const ptrdiff_t ldb,
                              const float bias, const int relu, float *restrict c) {
    const int sets = vectors == 1 ? 4 : 1;
    __m256 acc[4][8];
    for (int s = 0; s < sets; s++) {
        for (int v = 0; v < vectors; v++) acc[s][v] = s == 0 ? _mm256_set1_ps(bias) : _mm256_setzero_ps();
    }
    for (; p + sets <= end; p += sets) {
        if (p + RW_PANEL_PREFETCH < end) {
            const float *ahead = b + (ptrdiff_t)columns[p + RW_PANEL_PREFETCH] * ldb;
            for (int v = 0; v < vectors; v += 2) _mm_prefetch((const char *)(ahead + 8 * v), _MM_HINT_T0);
        }
        for (int s = 0; s < sets; s++) {
            const __m256 w = _mm256_broadcast_ss(values + p + s);
            const float *row = b + (ptrdiff_t)columns[p + s] * ldb;
            for (int v = 0; v < vectors; v++) acc[s][v] = _mm256_fmadd_ps(w, _mm256_loadu_ps(row + 8 * v), acc[s][v]);
        }
    }
    for (; p < end; p++) {
        const __m256 w = _mm256_broadcast_ss(values + p);
        const float *row = b + (ptrdiff_t)columns[p] * ldb;
        for (int v = 0; v < vectors; v++) acc[0][v] = _mm256_fmadd_ps(w, _mm256_loadu_ps(row + 8 * v), acc[0][v]);
    }
    for (int v = 0; v < vectors; v++) {
        for (int s = 1; s < sets; s++) acc[0][v] = _mm256_add_ps(acc[0][v], acc[s][v]);
        if (relu) acc[0][v] = _mm256_max_ps(acc[0][v], _mm256_setzero_ps());
        _mm256_storeu_ps(c + 8 * v, acc[0][v]);
    }
}

RW_AVX2_INLINE void panel_rows(const int vectors, const rw_csr_view *a, const float *b, ptrdiff_t ldb,
                               const float *bias, int relu, float *c, ptrdiff_t ldc) {
    const int32_t *offsets = a->row_offsets;
    for (int32_t i = 0; i < a->rows; i++) {
        panel_row(vectors, offsets[i], offsets[i + 1], a->column_indices, a->values, b, ldb,
                  bias ? bias[i] : 0.0f, relu, c + (ptrdiff_t)i * ldc);
    }
}

/// Dispatches the run-time panel width to a compile-time one, so `panel_row`'s
/// loops over vectors unroll and its accumulators live in registers.
RW_AVX2 static void panel_avx2(const rw_csr_view *a, int vectors, const float *b, ptrdiff_t ldb,
                               const float *bias, int relu, float *c, ptrdiff_t ldc) {
    switch (vectors) {
    case 8: panel_rows(8, a, b, ldb, bias, relu, c, ldc); break;
    case 7: panel_rows(7, a, b, ldb, bias, relu, c, ldc); break;
    case 6: panel_rows(6, a, b, ldb, bias, relu, c, ldc); break;
    case 5: panel_rows(5, a, b, ldb, bias, relu, c, ldc); break;
    case 4: panel_rows(4, a, b, ldb, bias, relu, c, ldc); break;
    case 3: panel_rows(3, a, b, ldb, bias, relu, c, ldc); break;
    case 2: panel_rows(2, a, b, ldb, bias, relu, c, ldc); break;
    case 1: panel_rows(1, a, b, ldb, bias, relu, c, ldc); break;
    default: break;
    }
}

RW_AVX2_INLINE float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Sparse matrix-vector product, 8 entries of a row per FMA: x[col] is gathered
/// with 8 scalar loads into one vector (faster than `vgatherdps` on the measured
/// Zen CPU: 6.5 vs 13 us for fc1 of LeNet-300-100 at 5% density), multiplied by
/// the row's 8 values; the row's remaining < 8 entries are scalar FMAs.
RW_AVX2 static void spmv_avx2(const rw_csr_view *a, const float *x, ptrdiff_t incx,
                              const float *bias, int relu, float *y, ptrdiff_t incy) {
    const int32_t *offsets = a->row_offsets;
    const int32_t *restrict columns = a->column_indices;
    const float *restrict values = a->values;
    for (int32_t i = 0; i < a->rows; i++) {
        int32_t p = offsets[i];
        const int32_t end = offsets[i + 1];
        __m256 acc = _mm256_setzero_ps();
        for (; p + 8 <= end; p += 8) {
            const int32_t *k = columns + p;
            const __m256 gathered = _mm256_set_ps(x[k[7] * incx], x[k[6] * incx], x[k[5] * incx], x[k[4] * incx],
                                                  x[k[3] * incx], x[k[2] * incx], x[k[1] * incx], x[k[0] * incx]);
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(values + p), gathered, acc);
        }
        float sum = horizontal_sum(acc), tail = 0.0f;
        for (; p + 2 <= end; p += 2) {
            sum = __builtin_fmaf(values[p], x[columns[p] * incx], sum);
            tail = __builtin_fmaf(values[p + 1], x[columns[p + 1] * incx], tail);
        }
        if (p < end) sum = __builtin_fmaf(values[p], x[columns[p] * incx], sum);
        sum += tail + (bias ? bias[i] : 0.0f);
        y[(ptrdiff_t)i * incy] = (relu && sum < 0.0f) ? 0.0f : sum;
    }
}

/// Transposes one full 8x8 tile in registers (unpack, shuffle, cross-lane permute).
RW_AVX2_INLINE void transpose_tile(const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r0 = _mm256_permute2f128_ps(s0, s4, 0x20); r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
    r2 = _mm256_permute2f128_ps(s2, s6, 0x20); r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
    r4 = _mm256_permute2f128_ps(s0, s4, 0x31); r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
    r6 = _mm256_permute2f128_ps(s2, s6, 0x31); r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
    _mm256_storeu_ps(dst + 0 * ldd, r0); _mm256_storeu_ps(dst + 1 * ldd, r1);
    _mm256_storeu_ps(dst + 2 * ldd, r2); _mm256_storeu_ps(dst + 3 * ldd, r3);
    _mm256_storeu_ps(dst + 4 * ldd, r4); _mm256_storeu_ps(dst + 5 * ldd, r5);
    _mm256_storeu_ps(dst + 6 * ldd, r6); _mm256_storeu_ps(dst + 7 * ldd, r7);
}

/// Full 8x8 tiles in registers; the ragged right and bottom edges element by element.
RW_AVX2 static void transpose_avx2(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                                   float *dst, ptrdiff_t ldd) {
    const int32_t full_rows = rows & ~7, full_cols = cols & ~7;
    for (int32_t r = 0; r < full_rows; r += 8) {
        for (int32_t c = 0; c < full_cols; c += 8) {
            transpose_tile(src + (ptrdiff_t)r * lds + c, lds, dst + (ptrdiff_t)c * ldd + r, ldd);
        }
        for (int32_t c = full_cols; c < cols; c++) {
            for (int32_t q = r; q < r + 8; q++) dst[(ptrdiff_t)c * ldd + q] = src[(ptrdiff_t)q * lds + c];
        }
    }
    for (int32_t r = full_rows; r < rows; r++) {
        for (int32_t c = 0; c < cols; c++) dst[(ptrdiff_t)c * ldd + r] = src[(ptrdiff_t)r * lds + c];
    }
}

const rw_sparse_microkernels rw_sparse_microkernels_avx2 = {
    .panel = panel_avx2,
    .spmv = spmv_avx2,
    .transpose = transpose_avx2,
};

#endif
