// Out-of-place matrix transpose, the layout change between a network's
// [batch, features] activations and the sparse product's [features, batch].
#include "sparse_microkernels.h"

void rw_transpose(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                  float *dst, ptrdiff_t ldd, int variant) {
    if (rows <= 0 || cols <= 0) return;
    rw_sparse_microkernels_for(variant)->transpose(rows, cols, src, lds, dst, ldd);
}
