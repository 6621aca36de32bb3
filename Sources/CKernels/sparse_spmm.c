// Sparse (CSR) times dense: the blocking and the tails, shared by both builds of
// the micro-kernels (sparse_kernels_avx2.c, sparse_kernels_portable.c).
//
// C [m, n] = epilogue(bias + A [m, k] · B [k, n]) is computed in column panels of
// up to 64 columns. For one panel, every row of A streams its non-zeros once:
// each non-zero (j, w) adds w * B[j, panel] (64 floats, 8 AVX vectors) into the
// row's accumulators, kept in registers, and the row's 64 outputs are stored once,
// bias and ReLU applied. The panel of B (k x 64 floats, 200 KB for k = 784) stays
// in the 512 KB L2 cache while all m rows use it, and each output element is
// written exactly once.
//
// When B is given transposed (Bᵀ [n, k], e.g. a batch of activations [batch, in]),
// each panel is first transposed into the workspace ([k, 64], contiguous), which
// fuses the layout change into the product: no separate pass over the batch, and
// the packed panel is read from cache right after it is written (measured for fc1
// of LeNet-300-100 at batch 256, 5% density: 476 us fused against 618 us for a
// separate transpose and the product). A B given as is is read in place: packing
// its panels too paid only at densities of 20% and more (1133 -> 891 us for
// [64, 576] x [576, 1024]) and cost up to 2x at 2-5% (138 -> 241 us), the
// densities this kernel is for.
//
// Tails: 2 to 7 columns left over (or n itself below 8) are copied into a panel of
// 8 zero-padded columns in the workspace and computed by the 8-column panel into
// the workspace, whose valid columns are copied out: one panel pass costs about as
// much as two matrix-vector products (measured: n = 3 took 42 us as three products,
// 25 us as one padded panel). A single column (n = 1: a Linear layer at batch 1) is
// a sparse matrix-vector product, 8 entries of a row per FMA.
#include "sparse_microkernels.h"

#include <string.h>

size_t rw_sparse_spmm_workspace_count(const rw_csr_view *a) {
    // A packed panel [k, 64] (also holds the padded tail [k, 8]) and the tail's
    // output [m, 8].
    return (size_t)a->cols * RW_SPARSE_PANEL_COLUMNS + (size_t)a->rows * 8;
}

/// Columns first..<first+count (count < 8) of B into workspace [k, 8], zero-padded.
static void pack_tail(const rw_sparse_microkernels *kernels, int32_t k, int32_t first, int32_t count,
                      const float *b, ptrdiff_t ldb, int b_transposed, float *packed) {
    memset(packed, 0, sizeof(float) * (size_t)k * 8);
    if (b_transposed) {
        kernels->transpose(count, k, b + (ptrdiff_t)first * ldb, ldb, packed, 8);
    } else {
        for (int32_t row = 0; row < k; row++) {
            memcpy(packed + (ptrdiff_t)row * 8, b + (ptrdiff_t)row * ldb + first, sizeof(float) * (size_t)count);
        }
    }
}

void rw_sparse_spmm(const rw_csr_view *a, int32_t n,
                    const float *b, ptrdiff_t ldb, int b_transposed,
                    const float *bias, int relu,
                    float *c, ptrdiff_t ldc,
                    float *workspace, int variant) {
    if (a->rows <= 0 || n <= 0) return;
    const rw_sparse_microkernels *kernels = rw_sparse_microkernels_for(variant);
    int32_t first = 0;
    while (n - first >= 8) {
        int32_t width = n - first < RW_SPARSE_PANEL_COLUMNS ? n - first : RW_SPARSE_PANEL_COLUMNS;
        width &= ~7;
        const float *panel = b + first;
        ptrdiff_t panel_stride = ldb;
        if (b_transposed) {
            // Bᵀ rows first..<first+width, each k long -> workspace [k, width].
            kernels->transpose(width, a->cols, b + (ptrdiff_t)first * ldb, ldb, workspace, width);
            panel = workspace;
            panel_stride = width;
        }
        kernels->panel(a, width / 8, panel, panel_stride, bias, relu, c + first, ldc);
        first += width;
    }
    const int32_t remaining = n - first;
    if (remaining == 1) {
        // Column `first` of B: contiguous in Bᵀ, strided by ldb in B.
        const float *x = b_transposed ? b + (ptrdiff_t)first * ldb : b + first;
        kernels->spmv(a, x, b_transposed ? 1 : ldb, bias, relu, c + first, ldc);
    } else if (remaining > 1) {
        float *packed = workspace, *out = workspace + (size_t)a->cols * RW_SPARSE_PANEL_COLUMNS;
        pack_tail(kernels, a->cols, first, remaining, b, ldb, b_transposed, packed);
        kernels->panel(a, 1, packed, 8, bias, relu, out, 8);
        for (int32_t row = 0; row < a->rows; row++) {
            memcpy(c + (ptrdiff_t)row * ldc + first, out + (ptrdiff_t)row * 8, sizeof(float) * (size_t)remaining);
        }
    }
}
