// Private to CKernels: the innermost loops of the sparse kernels, in two builds.
//
// `sparse_spmm.c` and `sparse_transpose.c` hold the blocking, the tails and the
// dispatch once; they call the micro-kernels of one table below, chosen per call:
// `rw_sparse_microkernels_avx2` (compiled with `target("avx2,fma")`, used when
// `rw_cpu_has_avx2_fma()`) or `rw_sparse_microkernels_portable` (plain C, any CPU).
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

    /// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols.
    void (*transpose)(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                      float *dst, ptrdiff_t ldd);
} rw_sparse_microkernels;

extern const rw_sparse_microkernels rw_sparse_microkernels_portable;
#if defined(__x86_64__) || defined(__i386__)
extern const rw_sparse_microkernels rw_sparse_microkernels_avx2;
#endif

/// The table for `variant` (`RW_KERNEL_AUTOMATIC` picks AVX2/FMA when the CPU has it).
/// Asking for AVX2/FMA on a CPU without it falls back to the portable table.
const rw_sparse_microkernels *rw_sparse_microkernels_for(int variant);

#endif
