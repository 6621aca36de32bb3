// Private to CKernels: the direct convolution kernels (rw_conv_correlate,
// rw_conv_weight_gradient) in three builds. conv_direct.c holds the portable ones
// and the dispatch; conv_direct_simd.h holds the vector bodies, compiled by
// conv_direct_avx2.c and conv_direct_avx512.c.
#ifndef REWIND_CONV_KERNELS_H
#define REWIND_CONV_KERNELS_H

#include "CKernels.h"

typedef struct rw_conv_kernels {
    /// See `rw_conv_correlate`.
    void (*correlate)(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n,
                      const float *in, ptrdiff_t ldi, const float *w, float *out, ptrdiff_t ldo);
    /// See `rw_conv_weight_gradient`.
    void (*weight_gradient)(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n, int32_t images,
                            const float *dy, ptrdiff_t ldy, ptrdiff_t dy_image,
                            const float *in, ptrdiff_t ldi, ptrdiff_t in_image, float *dw);
} rw_conv_kernels;

extern const rw_conv_kernels rw_conv_portable;
#if defined(__x86_64__) || defined(__i386__)
extern const rw_conv_kernels rw_conv_avx2;
extern const rw_conv_kernels rw_conv_avx512;
#endif

#endif
