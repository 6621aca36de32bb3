// Private to CKernels: the vector bodies of the direct convolution kernels
// (rw_conv_correlate, rw_conv_weight_gradient), written once against
// simd_vector.h and compiled at both widths (conv_direct_avx2.c,
// conv_direct_avx512.c). Both walk the output plane `q` in whole vectors, so they
// read and write up to `n` rounded up to a vector (the slack the header promises).
//
// Register blocking (the accumulators stay in registers for a block's whole sum;
// the sizes were measured on Zen 4 against their neighbours, e.g. 6x4 and 3x4
// gradient blocks ran no faster at 512 bits and slower at 256, where 16 registers
// spill):
// - correlate: CONV_ROWS outputs x CONV_VECTORS vectors of q; each tap loads the
//   block's input vectors once and multiplies them by one broadcast weight per row.
// - weight gradient: GRAD_ROWS outputs x GRAD_TAPS taps (flattened (c, ki, kj));
//   each vector of q loads the rows' dy and the taps' shifted inputs once, and the
//   sums over images and q are reduced to scalars once per block.
#include "conv_kernels.h"

#if RW_LANES == 16
#define CONV_ROWS 6
#define CONV_VECTORS 3
#define GRAD_ROWS 4
#define GRAD_TAPS 5
#else
#define CONV_ROWS 4
#define CONV_VECTORS 2
#define GRAD_ROWS 2
#define GRAD_TAPS 4
#endif

/// out[r, v·L ..] for `rows` outputs and `vectors` vectors of q; `in` and `out`
/// point at the block's first q, `w` at its first row's weights (rows `wstride` apart).
RW_SIMD_INLINE void RW_NAME(correlate_block)(const int rows, const int vectors, int inputs, int kernel, int row,
                                             const float *in, ptrdiff_t ldi, const float *w, ptrdiff_t wstride,
                                             float *out, ptrdiff_t ldo) {
    rw_vec acc[CONV_ROWS][CONV_VECTORS];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++) acc[r][v] = vec_zero();
    const int taps = kernel * kernel;
    for (int c = 0; c < inputs; c++) {
        const float *x = in + c * ldi;
        const float *wc = w + c * taps;
        for (int ki = 0; ki < kernel; ki++) {
            for (int kj = 0; kj < kernel; kj++) {
                const float *shifted = x + ki * row + kj;
                const int t = ki * kernel + kj;
                rw_vec xv[CONV_VECTORS];
                for (int v = 0; v < vectors; v++) xv[v] = vec_load(shifted + v * RW_LANES);
                for (int r = 0; r < rows; r++) {
                    const rw_vec weight = vec_set1(wc[r * wstride + t]);
                    for (int v = 0; v < vectors; v++) acc[r][v] = vec_fmadd(weight, xv[v], acc[r][v]);
                }
            }
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < vectors; v++) vec_store(out + r * ldo + v * RW_LANES, acc[r][v]);
}

/// All of q for `rows` outputs: blocks of CONV_VECTORS vectors, then single vectors.
RW_SIMD_INLINE void RW_NAME(correlate_rows)(const int rows, int inputs, int kernel, int row, int n,
                                            const float *in, ptrdiff_t ldi, const float *w, ptrdiff_t wstride,
                                            float *out, ptrdiff_t ldo) {
    const int count = (n + RW_LANES - 1) / RW_LANES;
    int v = 0;
    for (; v + CONV_VECTORS <= count; v += CONV_VECTORS)
        RW_NAME(correlate_block)(rows, CONV_VECTORS, inputs, kernel, row, in + v * RW_LANES, ldi, w, wstride,
                                 out + v * RW_LANES, ldo);
    for (; v < count; v++)
        RW_NAME(correlate_block)(rows, 1, inputs, kernel, row, in + v * RW_LANES, ldi, w, wstride, out + v * RW_LANES, ldo);
}

RW_SIMD static void RW_NAME(correlate)(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n,
                                       const float *in, ptrdiff_t ldi, const float *w, float *out, ptrdiff_t ldo) {
    const ptrdiff_t wstride = (ptrdiff_t)inputs * kernel * kernel;
    int r = 0;
    for (; r + CONV_ROWS <= outputs; r += CONV_ROWS)
        RW_NAME(correlate_rows)(CONV_ROWS, inputs, kernel, row, n, in, ldi, w + r * wstride, wstride, out + r * ldo, ldo);
    // the last outputs, fewer than a block, each count with its own unrolled copy
    switch (outputs - r) {
#define CONV_TAIL(k) case k: RW_NAME(correlate_rows)(k, inputs, kernel, row, n, in, ldi, w + r * wstride, wstride, out + r * ldo, ldo); break;
    CONV_TAIL(1) CONV_TAIL(2) CONV_TAIL(3)
#if CONV_ROWS > 4
    CONV_TAIL(4) CONV_TAIL(5)
#endif
#undef CONV_TAIL
    default: break;
    }
}

/// dw[r, t] += sum_i sum_q dy[i, r, q] · in[i, offset(t) + q] for `rows` outputs and
/// the `taps` flattened taps from `first` (t = (c·k + ki)·k + kj, offset(t) = c·ldi + ki·row + kj).
RW_SIMD_INLINE void RW_NAME(gradient_block)(const int rows, const int taps, int first, int inputs, int kernel,
                                            int row, int vectors, int images, const float *dy, ptrdiff_t ldy,
                                            ptrdiff_t dy_image, const float *in, ptrdiff_t ldi, ptrdiff_t in_image,
                                            float *dw) {
    const int plane = kernel * kernel;
    ptrdiff_t offset[GRAD_TAPS];
    for (int j = 0; j < taps; j++) {
        const int t = first + j, c = t / plane, within = t % plane;
        offset[j] = c * ldi + (within / kernel) * row + within % kernel;
    }
    rw_vec acc[GRAD_ROWS][GRAD_TAPS];
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < taps; j++) acc[r][j] = vec_zero();
    for (int i = 0; i < images; i++) {
        const float *g = dy + i * dy_image, *x = in + i * in_image;
        for (int q = 0; q < vectors * RW_LANES; q += RW_LANES) {
            rw_vec gv[GRAD_ROWS];
            for (int r = 0; r < rows; r++) gv[r] = vec_load(g + r * ldy + q);
            for (int j = 0; j < taps; j++) {
                const rw_vec xv = vec_load(x + offset[j] + q);
                for (int r = 0; r < rows; r++) acc[r][j] = vec_fmadd(gv[r], xv, acc[r][j]);
            }
        }
    }
    const ptrdiff_t wstride = (ptrdiff_t)inputs * plane;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < taps; j++) dw[r * wstride + first + j] += vec_hsum(acc[r][j]);
}

/// All taps for `rows` outputs: blocks of GRAD_TAPS taps, then the remainder.
RW_SIMD_INLINE void RW_NAME(gradient_rows)(const int rows, int inputs, int kernel, int row, int vectors, int images,
                                           const float *dy, ptrdiff_t ldy, ptrdiff_t dy_image,
                                           const float *in, ptrdiff_t ldi, ptrdiff_t in_image, float *dw) {
    const int total = inputs * kernel * kernel;
    int t = 0;
    for (; t + GRAD_TAPS <= total; t += GRAD_TAPS)
        RW_NAME(gradient_block)(rows, GRAD_TAPS, t, inputs, kernel, row, vectors, images, dy, ldy, dy_image,
                                in, ldi, in_image, dw);
    switch (total - t) {
#define GRAD_TAIL(k) case k: RW_NAME(gradient_block)(rows, k, t, inputs, kernel, row, vectors, images, dy, ldy, dy_image, in, ldi, in_image, dw); break;
    GRAD_TAIL(1) GRAD_TAIL(2)
#if GRAD_TAPS > 3
    GRAD_TAIL(3)
#endif
#if GRAD_TAPS > 4
    GRAD_TAIL(4)
#endif
#undef GRAD_TAIL
    default: break;
    }
}

RW_SIMD static void RW_NAME(weight_gradient)(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n,
                                             int32_t images, const float *dy, ptrdiff_t ldy, ptrdiff_t dy_image,
                                             const float *in, ptrdiff_t ldi, ptrdiff_t in_image, float *dw) {
    const int vectors = (n + RW_LANES - 1) / RW_LANES;
    const ptrdiff_t wstride = (ptrdiff_t)inputs * kernel * kernel;
    int r = 0;
    for (; r + GRAD_ROWS <= outputs; r += GRAD_ROWS)
        RW_NAME(gradient_rows)(GRAD_ROWS, inputs, kernel, row, vectors, images, dy + r * ldy, ldy, dy_image,
                               in, ldi, in_image, dw + r * wstride);
    switch (outputs - r) {
#define GRAD_ROW_TAIL(k) case k: RW_NAME(gradient_rows)(k, inputs, kernel, row, vectors, images, dy + r * ldy, ldy, dy_image, in, ldi, in_image, dw + r * wstride); break;
    GRAD_ROW_TAIL(1)
#if GRAD_ROWS > 2
    GRAD_ROW_TAIL(2)
#endif
#if GRAD_ROWS > 3
    GRAD_ROW_TAIL(3)
#endif
#if GRAD_ROWS > 4
    GRAD_ROW_TAIL(4) GRAD_ROW_TAIL(5)
#endif
#undef GRAD_ROW_TAIL
    default: break;
    }
}

const rw_conv_kernels RW_NAME(rw_conv) = {
    .correlate = RW_NAME(correlate),
    .weight_gradient = RW_NAME(weight_gradient),
};

#undef CONV_ROWS
#undef CONV_VECTORS
#undef GRAD_ROWS
#undef GRAD_TAPS
