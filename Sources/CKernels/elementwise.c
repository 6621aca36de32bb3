// The elementwise kernels: the portable builds (plain C, any CPU) and the
// dispatch to the build `rw_kernel_path` picks (elementwise_avx2.c,
// elementwise_avx512.c). Products-and-sums are written as `__builtin_fmaf`, the
// operation the vector builds use, so every build gives the same bits (on a CPU
// without FMA the portable build calls the C library's fmaf: correct, slower).
#include "elementwise_formulas.h"
#include "elementwise_kernels.h"

static void adam_portable(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                          float step_size, float inv_root_correction2, float epsilon, float weight_decay) {
    for (size_t i = 0; i < n; i++) {
        rw_adam_element(p + i, g[i], m + i, v + i, beta1, beta2, step_size, inv_root_correction2, epsilon, weight_decay);
    }
}

static void sgd_portable(float *p, const float *g, float *v, size_t n, float learning_rate, float momentum,
                         int nesterov, float weight_decay) {
    for (size_t i = 0; i < n; i++) rw_sgd_element(p + i, g[i], v ? v + i : v, learning_rate, momentum, nesterov, weight_decay);
}

static void relu_forward_portable(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] <= 0.0f ? 0.0f : x[i];
}

static void relu_backward_portable(const float *restrict y, const float *restrict dy, float *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

#define RW_INDEXED_NAME(f) f##_portable
#define RW_INDEXED_TARGET
#include "elementwise_indexed.h"

const rw_elementwise_kernels rw_elementwise_portable = {
    .adam = adam_portable,
    .sgd = sgd_portable,
    .relu_forward = relu_forward_portable,
    .relu_backward = relu_backward_portable,
    .adam_indexed = adam_indexed_portable,
    .sgd_indexed = sgd_indexed_portable,
};

static const rw_elementwise_kernels *elementwise_for(int variant) {
    switch (rw_kernel_path(variant)) {
#if defined(__x86_64__) || defined(__i386__)
    case RW_KERNEL_AVX512: return &rw_elementwise_avx512;
    case RW_KERNEL_AVX2_FMA: return &rw_elementwise_avx2;
#endif
    default: return &rw_elementwise_portable;
    }
}

void rw_adam_update(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                    float step_size, float inv_root_correction2, float epsilon, float weight_decay, int variant) {
    elementwise_for(variant)->adam(p, g, m, v, n, beta1, beta2, step_size, inv_root_correction2, epsilon, weight_decay);
}

void rw_sgd_update(float *p, const float *g, float *v, size_t n, float learning_rate, float momentum, int nesterov,
                   float weight_decay, int variant) {
    elementwise_for(variant)->sgd(p, g, v, n, learning_rate, momentum, nesterov, weight_decay);
}

void rw_adam_update_indexed(float *p, const float *g, float *m, float *v, const int32_t *indices, size_t count,
                            float beta1, float beta2, float step_size, float inv_root_correction2, float epsilon,
                            float weight_decay, int variant) {
    elementwise_for(variant)->adam_indexed(p, g, m, v, indices, count, beta1, beta2, step_size, inv_root_correction2,
                                           epsilon, weight_decay);
}

void rw_sgd_update_indexed(float *p, const float *g, float *v, const int32_t *indices, size_t count,
                           float learning_rate, float momentum, int nesterov, float weight_decay, int variant) {
    elementwise_for(variant)->sgd_indexed(p, g, v, indices, count, learning_rate, momentum, nesterov, weight_decay);
}

void rw_relu_forward(const float *x, float *y, size_t n, int variant) {
    elementwise_for(variant)->relu_forward(x, y, n);
}

void rw_relu_backward(const float *y, const float *dy, float *dx, size_t n, int variant) {
    elementwise_for(variant)->relu_backward(y, dy, dx, n);
}
