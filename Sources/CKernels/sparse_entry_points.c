// Entry points of the sparse micro-kernels that need no blocking: the
// out-of-place transpose (the layout change between a network's [batch, features]
// activations and the sparse product's [features, batch]) and the sampled
// dense-dense product (a sparsely trained layer's weight gradient).
#include "sparse_microkernels.h"

void rw_transpose(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                  float *dst, ptrdiff_t ldd, int variant) {
    if (rows <= 0 || cols <= 0) return;
    rw_sparse_microkernels_for(variant)->transpose(rows, cols, src, lds, dst, ldd);
}

void rw_sampled_dense_dense(const rw_csr_view *a, int32_t n, const float *x, const float *y, float *c, ptrdiff_t ldc,
                            int variant) {
    if (a->rows <= 0 || n <= 0) return;
    rw_sparse_microkernels_for(variant)->sampled(a, n, x, y, c, ldc);
}
