// The direct convolution kernels: the portable builds (plain C, any CPU, the
// reference the vector builds are tested against) and the dispatch to the build
// `rw_kernel_path` picks (conv_direct_avx2.c, conv_direct_avx512.c).
#include "conv_kernels.h"

static void correlate_portable(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n,
                               const float *in, ptrdiff_t ldi, const float *w, float *out, ptrdiff_t ldo) {
    const int taps = kernel * kernel;
    for (int r = 0; r < outputs; r++) {
        float *y = out + r * ldo;
        for (int q = 0; q < n; q++) y[q] = 0.0f;
        for (int c = 0; c < inputs; c++) {
            const float *x = in + c * ldi;
            const float *wc = w + ((ptrdiff_t)r * inputs + c) * taps;
            for (int ki = 0; ki < kernel; ki++) {
                for (int kj = 0; kj < kernel; kj++) {
                    const float weight = wc[ki * kernel + kj];
                    const float *shifted = x + ki * row + kj;
                    for (int q = 0; q < n; q++) y[q] += weight * shifted[q];
                }
            }
        }
    }
}

static void weight_gradient_portable(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n,
                                     int32_t images, const float *dy, ptrdiff_t ldy, ptrdiff_t dy_image,
                                     const float *in, ptrdiff_t ldi, ptrdiff_t in_image, float *dw) {
    const int taps = kernel * kernel;
    for (int r = 0; r < outputs; r++) {
        for (int c = 0; c < inputs; c++) {
            for (int ki = 0; ki < kernel; ki++) {
                for (int kj = 0; kj < kernel; kj++) {
                    float sum = 0.0f;
                    for (int i = 0; i < images; i++) {
                        const float *g = dy + i * dy_image + r * ldy;
                        const float *x = in + i * in_image + c * ldi + ki * row + kj;
                        for (int q = 0; q < n; q++) sum += g[q] * x[q];
                    }
                    dw[((ptrdiff_t)r * inputs + c) * taps + ki * kernel + kj] += sum;
                }
            }
        }
    }
}

const rw_conv_kernels rw_conv_portable = {
    .correlate = correlate_portable,
    .weight_gradient = weight_gradient_portable,
};

static const rw_conv_kernels *conv_for(int variant) {
    switch (rw_kernel_path(variant)) {
#if defined(__x86_64__) || defined(__i386__)
    case RW_KERNEL_AVX512: return &rw_conv_avx512;
    case RW_KERNEL_AVX2_FMA: return &rw_conv_avx2;
#endif
    default: return &rw_conv_portable;
    }
}

void rw_conv_correlate(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n,
                       const float *in, ptrdiff_t ldi, const float *w, float *out, ptrdiff_t ldo, int variant) {
    conv_for(variant)->correlate(outputs, inputs, kernel, row, n, in, ldi, w, out, ldo);
}

void rw_conv_weight_gradient(int32_t outputs, int32_t inputs, int32_t kernel, int32_t row, int32_t n, int32_t images,
                             const float *dy, ptrdiff_t ldy, ptrdiff_t dy_image,
                             const float *in, ptrdiff_t ldi, ptrdiff_t in_image, float *dw, int variant) {
    conv_for(variant)->weight_gradient(outputs, inputs, kernel, row, n, images, dy, ldy, dy_image, in, ldi, in_image, dw);
}
