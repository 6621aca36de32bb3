// Private to CKernels: the innermost loops of the sparse kernels, in two builds.
//
// `sparse_spmm.c` and `sparse_transpose.c` hold the blocking, the tails and the
// dispatch once; they call the micro-kernels of one table below, chosen per call by
// `rw_kernel_path`: `rw_sparse_microkernels_avx512` (16-float vectors),
// `rw_sparse_microkernels_avx2` (8-float vectors; both built from
// sparse_microkernels_simd.h) or `rw_sparse_microkernels_portable` (plain C, any CPU).
#ifndef REWIND_SPARSE_MICROKERNELS_H
#define REWIND_SPARSE_MICROKERNELS_H

#include "CKernels.h"

/// Columns of C computed per panel: 8 vectors of 8 floats, the accumulators of one
/// output row held in registers while the row's non-zeros stream by.
#define RW_SPARSE_PANEL_COLUMNS 64

typedef struct rw_sparse_microkernels {
    /// Panel product over every row of `a`, for the first `8 * vectors` columns of B
    /// (`vectors` in 1...8):
    ///
    ///     C[i, 0..<8v] = epilogue(bias[i] + sum_j a[i, j] * B[j, 0..<8v])
    ///
    /// B is row-major with row stride `ldb`; `bias` may be NULL; epilogue is ReLU
    /// when `relu` is non-zero, else the identity.
    void (*panel)(const rw_csr_view *a, int vectors, const float *b, ptrdiff_t ldb,
                  const float *bias, int relu, float *c, ptrdiff_t ldc);

    /// Sparse matrix-vector product with strided vectors:
    ///
    ///     y[i * incy] = epilogue(bias[i] + sum_j a[i, j] * x[j * incx])
    void (*spmv)(const rw_csr_view *a, const float *x, ptrdiff_t incx,
                 const float *bias, int relu, float *y, ptrdiff_t incy);

    /// c[i * ldc + j] += dot(x[i, 0..<n], y[j, 0..<n]) for every entry (i, j) of `a`
    /// (see `rw_sampled_dense_dense`).
    void (*sampled)(const rw_csr_view *a, int32_t n, const float *x, const float *y, float *c, ptrdiff_t ldc);

    /// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols.
    void (*transpose)(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                      float *dst, ptrdiff_t ldd);
} rw_sparse_microkernels;

extern const rw_sparse_microkernels rw_sparse_microkernels_portable;
#if defined(__x86_64__) || defined(__i386__)
extern const rw_sparse_microkernels rw_sparse_microkernels_avx2;
extern const rw_sparse_microkernels rw_sparse_microkernels_avx512;
/// The AVX2 matrix-vector product (the `spmv` of both vector tables).
void rw_spmv_avx2(const rw_csr_view *a, const float *x, ptrdiff_t incx, const float *bias, int relu,
                  float *y, ptrdiff_t incy);
/// The blocked sliced-ELLPACK matrix-vector products (sparse_ellpack_simd.h) for
/// the layouts of `rw_sell_layout`: 8 rows x 16 columns (AVX2), 16 x 32 (AVX-512).
void rw_sell_spmv_avx2(const rw_sell_view *a, const float *x, const float *bias, int relu, float *y);
void rw_sell_spmv_avx512(const rw_sell_view *a, const float *x, const float *bias, int relu, float *y);
/// The AVX2 8x8-tile transpose (the `transpose` of both vector tables).
void rw_transpose_avx2(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd);
#endif

/// The table of the path `rw_kernel_path(variant)` resolves to.
const rw_sparse_microkernels *rw_sparse_microkernels_for(int variant);

#endif
