// Hand-written CPU kernels for Rewind.
//
// Swift on Linux x86-64 compiles for baseline SSE2, and per-target compiler flags
// (`unsafeFlags`) would stop Rewind from being usable as a dependency. Kernels that
// need AVX2/FMA or AVX-512 are therefore written here in C with
// `__attribute__((target(...)))` and chosen at run time by `rw_kernel_path`; the
// vector kernels are written once (simd_vector.h) and built for both widths, and
// each has a portable twin.
#ifndef REWIND_CKERNELS_H
#define REWIND_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "worker_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU supports AVX2 and FMA (checked once, cached), else 0.
int rw_cpu_has_avx2_fma(void);

/// 1 when the CPU supports AVX-512 F, VL and DQ (and AVX2/FMA), else 0.
int rw_cpu_has_avx512(void);

/// Which build of a kernel to run: the best the CPU supports, the portable C one,
/// the AVX2/FMA one or the AVX-512 one. A build the CPU lacks falls back to the
/// best below it (AVX-512 -> AVX2/FMA -> portable), so no request can crash.
#define RW_KERNEL_AUTOMATIC 0
#define RW_KERNEL_PORTABLE  1
#define RW_KERNEL_AVX2_FMA  2
#define RW_KERNEL_AVX512    3

/// The build `variant` runs on this CPU: RW_KERNEL_PORTABLE, _AVX2_FMA or _AVX512.
int rw_kernel_path(int variant);

/// The CPU's model name as cpuid reports it (48 characters and a NUL; empty when unknown).
void rw_cpu_brand(char out[49]);

/// A read-only view of a CSR (compressed sparse row) matrix [rows, cols], the
/// layout of `scipy.sparse.csr_matrix`: row i holds the entries
/// `values[p]` at column `column_indices[p]` for `row_offsets[i] <= p < row_offsets[i + 1]`.
/// Offsets are absolute, so rows r0..<r1 are the view with `rows = r1 - r0` and
/// `row_offsets + r0` (the other pointers unchanged).
typedef struct rw_csr_view {
    int32_t rows;
    int32_t cols;
    const int32_t *row_offsets;     // [rows + 1]
    const int32_t *column_indices;  // [nnz], each in 0..<cols
    const float *values;            // [nnz]
} rw_csr_view;

/// Floats of workspace `rw_sparse_spmm` needs for `a`: a packed panel of B
/// [a->cols, 64] and a tail's output [a->rows, 8].
size_t rw_sparse_spmm_workspace_count(const rw_csr_view *a);

/// Sparse times dense, with a fused per-row bias and ReLU:
///
///     C[i, n] = epilogue(bias[i] + sum_p values[p] * B[column_indices[p], n])
///
/// for i < a->rows, n < `n`, p over row i's entries. B is [a->cols, n]:
/// row-major with row stride `ldb` when `b_transposed` is 0 (B[k, n] = b[k*ldb + n]),
/// or given as Bᵀ [n, a->cols] when it is 1 (B[k, n] = b[n*ldb + k]); C is [a->rows, n]
/// row-major with row stride `ldc`. `bias` may be NULL; `relu` non-zero applies
/// max(·, 0). `workspace` holds `rw_sparse_spmm_workspace_count(a)` floats.
/// C must not overlap B. Single-threaded: split columns (or
/// rows, through a sub-view) across threads, each with its own workspace.
///
/// A Linear layer computes yᵀ[out, B] = W[out, in] · xᵀ[in, B] (n = batch); a
/// convolution computes y[out, P] = W[out, in*kh*kw] · cols[in*kh*kw, P] on its
/// im2col columns (n = output pixels).
void rw_sparse_spmm(const rw_csr_view *a, int32_t n,
                    const float *b, ptrdiff_t ldb, int b_transposed,
                    const float *bias, int relu,
                    float *c, ptrdiff_t ldc,
                    float *workspace, int variant);

/// A read-only view of a sparse matrix [rows, cols] in the blocked sliced-ELLPACK
/// layout of the batch-1 product (`rw_sell_spmv`; Engine's `SlicedEllpackMatrix`
/// builds it from CSR):
///
/// - rows in slices of `lanes` (row `q·lanes + r` is lane r of slice q; the last
///   slice may be partial), columns in blocks of `block_columns`;
/// - for slice q and block b (slices outer, blocks inner, in order), `w =
///   widths[q·blocks + b]` steps, w the most entries any row of the slice has in
///   the block; step s holds `lanes` values and `lanes` column offsets within the
///   block (`values[t·lanes + r]`, `columns[t·lanes + r]`, t counting steps over
///   the whole matrix): lane r's s-th entry in block b, or value 0 at offset 0
///   when the row has fewer;
///
/// so one step is one vector of values times one vector of x looked up in the
/// block's `block_columns` floats by a register permute (no gather, no per-row
/// loop, no horizontal sum).
typedef struct rw_sell_view {
    int32_t rows;
    int32_t cols;
    int32_t lanes;            // rows per slice, 1...16
    int32_t block_columns;    // columns per block, 1...32
    const uint8_t *widths;    // [ceil(rows / lanes) * ceil(cols / block_columns)]
    const float *values;      // [sum(widths) * lanes]
    const uint8_t *columns;   // [sum(widths) * lanes], each < block_columns
} rw_sell_view;

/// The slice height and block width whose layout the build `variant` resolves to
/// runs with vector permutes: 16 and 32 (AVX-512: one `vpermt2ps` over two 16-float
/// registers), 8 and 16 (AVX2: two `vpermps` and a blend; also the portable layout).
void rw_sell_layout(int variant, int32_t *lanes, int32_t *block_columns);

/// The sparse matrix-vector product with a fused bias and ReLU:
///
///     y[i] = epilogue(bias[i] + sum_j a[i, j] · x[j])      for i < a->rows
///
/// x has `a->cols` floats, y `a->rows`; `bias` may be NULL; epilogue is max(·, 0)
/// when `relu` is non-zero. The vector builds run when the view has their layout
/// (`rw_sell_layout`), any other layout runs the portable loop.
void rw_sell_spmv(const rw_sell_view *a, const float *x, const float *bias, int relu, float *y, int variant);

/// dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols (out of place, 8x8 tiles).
void rw_transpose(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                  float *dst, ptrdiff_t ldd, int variant);

/// One Adam step over n elements, fused (see Engine's `Adam` for the formula):
///     g' = g + wd·p;  m ← β₁m + (1−β₁)g';  v ← β₂v + (1−β₂)g'²;
///     p ← p − step_size · m / (√v · inv_root_correction2 + ε)
/// with step_size = η / (1 − β₁ᵗ) and inv_root_correction2 = 1 / √(1 − β₂ᵗ).
void rw_adam_update(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                    float step_size, float inv_root_correction2, float epsilon, float weight_decay, int variant);

/// One SGD step over n elements, fused (see Engine's `SGD` for the formula):
///     g' = g + wd·p;  v ← μv + g';  d = g' + μv (Nesterov) or v (μ > 0) or g' (μ = 0);
///     p ← p − lr·d
/// `v` is not touched (may be NULL) when momentum is 0.
void rw_sgd_update(float *p, const float *g, float *v, size_t n, float learning_rate, float momentum, int nesterov,
                   float weight_decay, int variant);

/// `rw_adam_update` and `rw_sgd_update` on the elements `indices[0..<count]` only
/// (the surviving weights of a pruned layer; the others are not touched), with the
/// same per-element formula and rounding.
void rw_adam_update_indexed(float *p, const float *g, float *m, float *v, const int32_t *indices, size_t count,
                            float beta1, float beta2, float step_size, float inv_root_correction2, float epsilon,
                            float weight_decay, int variant);
void rw_sgd_update_indexed(float *p, const float *g, float *v, const int32_t *indices, size_t count,
                           float learning_rate, float momentum, int nesterov, float weight_decay, int variant);

/// The sampled dense-dense product: for every entry (i, j) of the pattern `a`
/// (its values unused),
///
///     c[i * ldc + j] += sum_t x[i * n + t] · y[j * n + t]      for t < n
///
/// with x [a->rows, n] and y [a->cols, n] row-major: the entries of X·Yᵀ at the
/// pattern's positions only (a pruned layer's weight gradient dW = dyᵀ·x at its
/// surviving weights, from dyᵀ [out, B] and xᵀ [in, B]).
void rw_sampled_dense_dense(const rw_csr_view *a, int32_t n, const float *x, const float *y, float *c, ptrdiff_t ldc,
                            int variant);

/// ReLU's forward pass, `y[i] = max(x[i], 0)` with Swift's `max`: +0 where
/// `x[i] <= 0`, `x[i]` elsewhere, so a NaN passes through (a diverged layer stays
/// visible downstream). `y` may equal `x`; otherwise they must not overlap.
void rw_relu_forward(const float *x, float *y, size_t n, int variant);

/// ReLU's backward pass, `dx[i] = dy[i]` where `y[i] > 0` and 0 elsewhere, for the
/// ReLU output `y`; vectorised (a data-dependent branch per element mispredicts on
/// real activations). `dx` must not overlap `y` or `dy`.
void rw_relu_backward(const float *y, const float *dy, float *dx, size_t n, int variant);

/// Floats past `n` that the direct convolution kernels may read and write: they walk
/// q in whole vectors, so `n` is rounded up to a multiple of 16 (the portable
/// build stops at `n`). Buffers they touch hold that slack (zeros where read).
#define RW_CONV_SLACK 16

/// A stride-1 convolution as a correlation over flattened planes with rows `row`
/// floats apart (the "wide" lowering: output pixel (oh, ow) is q = oh·row + ow):
///
///     out[r·ldo + q] = sum_{c < inputs, ki, kj < kernel} w[((r·inputs + c)·kernel + ki)·kernel + kj]
///                                                        · in[c·ldi + q + ki·row + kj]
///
/// for r < outputs and q < n (overwritten, not added). `in` is read up to
/// q + (kernel-1)·(row+1) for q < n + RW_CONV_SLACK; `out` rows are written up to
/// n + RW_CONV_SLACK. Single-threaded.
void rw_conv_correlate(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n,
                       const float *in, ptrdiff_t ldi, const float *w, float *out, ptrdiff_t ldo, int variant);

/// The weight gradient of `rw_conv_correlate`, summed over `images`:
///
///     dw[((r·inputs + c)·kernel + ki)·kernel + kj] += sum_{i < images, q < n}
///         dy[i·dy_image + r·ldy + q] · in[i·in_image + c·ldi + q + ki·row + kj]
///
/// `dy` rows must read as zero from n up to n + RW_CONV_SLACK (`in` is read as by
/// `rw_conv_correlate`). Single-threaded.
void rw_conv_weight_gradient(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n, int32_t images,
                             const float *dy, ptrdiff_t ldy, ptrdiff_t dy_image,
                             const float *in, ptrdiff_t ldi, ptrdiff_t in_image, float *dw, int variant);

#ifdef __cplusplus
}
#endif

#endif
