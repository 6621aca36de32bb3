// Portable micro-kernels of the sparse product (see sparse_microkernels.h): plain
// C for any CPU, written so that the compiler's baseline auto-vectoriser (SSE2 on
// x86-64) handles the panel's inner loop over columns.
#include "sparse_microkernels.h"

/// One panel row at a time: acc[0..<8v] = bias + sum_j w_j * B[col_j, 0..<8v].
static void panel_portable(const rw_csr_view *a, int vectors, const float *b, ptrdiff_t ldb,
                           const float *bias, int relu, float *c, ptrdiff_t ldc) {
    const int width = 8 * vectors;
    const int32_t *offsets = a->row_offsets;
    const int32_t *restrict columns = a->column_indices;
    const float *restrict values = a->values;
    float acc[RW_SPARSE_PANEL_COLUMNS];
    for (int32_t i = 0; i < a->rows; i++) {
        const float start = bias ? bias[i] : 0.0f;
        for (int t = 0; t < width; t++) acc[t] = start;
        for (int32_t p = offsets[i]; p < offsets[i + 1]; p++) {
            const float w = values[p];
            const float *restrict row = b + (ptrdiff_t)columns[p] * ldb;
            for (int t = 0; t < width; t++) acc[t] += w * row[t];
        }
        float *restrict out = c + (ptrdiff_t)i * ldc;
        if (relu) {
            for (int t = 0; t < width; t++) out[t] = acc[t] > 0.0f ? acc[t] : 0.0f;
        } else {
            for (int t = 0; t < width; t++) out[t] = acc[t];
        }
    }
}

/// y[i] = bias[i] + sum_j a[i, j] x[j], four independent partial sums per row.
static void spmv_portable(const rw_csr_view *a, const float *x, ptrdiff_t incx,
                          const float *bias, int relu, float *y, ptrdiff_t incy) {
    const int32_t *offsets = a->row_offsets;
    const int32_t *restrict columns = a->column_indices;
    const float *restrict values = a->values;
    for (int32_t i = 0; i < a->rows; i++) {
        int32_t p = offsets[i];
        const int32_t end = offsets[i + 1];
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        for (; p + 4 <= end; p += 4) {
            s0 += values[p] * x[columns[p] * incx];
            s1 += values[p + 1] * x[columns[p + 1] * incx];
            s2 += values[p + 2] * x[columns[p + 2] * incx];
            s3 += values[p + 3] * x[columns[p + 3] * incx];
        }
        for (; p < end; p++) s0 += values[p] * x[columns[p] * incx];
        const float sum = (s0 + s1) + (s2 + s3) + (bias ? bias[i] : 0.0f);
        y[(ptrdiff_t)i * incy] = (relu && sum < 0.0f) ? 0.0f : sum;
    }
}

/// One dot product per pattern entry, four partial sums.
static void sampled_portable(const rw_csr_view *a, int32_t n, const float *x, const float *y, float *c, ptrdiff_t ldc) {
    const int32_t *offsets = a->row_offsets;
    const int32_t *restrict columns = a->column_indices;
    for (int32_t i = 0; i < a->rows; i++) {
        const float *restrict xi = x + (ptrdiff_t)i * n;
        for (int32_t p = offsets[i]; p < offsets[i + 1]; p++) {
            const float *restrict yj = y + (ptrdiff_t)columns[p] * n;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
            int32_t t = 0;
            for (; t + 4 <= n; t += 4) {
                s0 += xi[t] * yj[t];
                s1 += xi[t + 1] * yj[t + 1];
                s2 += xi[t + 2] * yj[t + 2];
                s3 += xi[t + 3] * yj[t + 3];
            }
            for (; t < n; t++) s0 += xi[t] * yj[t];
            c[(ptrdiff_t)i * ldc + columns[p]] += (s0 + s1) + (s2 + s3);
        }
    }
}

/// 8x8 tiles, so both the reads and the writes of a tile touch 8 cache lines.
static void transpose_portable(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                               float *dst, ptrdiff_t ldd) {
    for (int32_t r0 = 0; r0 < rows; r0 += 8) {
        const int32_t r1 = r0 + 8 < rows ? r0 + 8 : rows;
        for (int32_t c0 = 0; c0 < cols; c0 += 8) {
            const int32_t c1 = c0 + 8 < cols ? c0 + 8 : cols;
            for (int32_t r = r0; r < r1; r++) {
                for (int32_t c = c0; c < c1; c++) dst[(ptrdiff_t)c * ldd + r] = src[(ptrdiff_t)r * lds + c];
            }
        }
    }
}

const rw_sparse_microkernels rw_sparse_microkernels_portable = {
    .panel = panel_portable,
    .spmv = spmv_portable,
    .sampled = sampled_portable,
    .transpose = transpose_portable,
};

const rw_sparse_microkernels *rw_sparse_microkernels_for(int variant) {
    switch (rw_kernel_path(variant)) {
#if defined(__x86_64__) || defined(__i386__)
    case RW_KERNEL_AVX512: return &rw_sparse_microkernels_avx512;
    case RW_KERNEL_AVX2_FMA: return &rw_sparse_microkernels_avx2;
#endif
    default: return &rw_sparse_microkernels_portable;
    }
}
