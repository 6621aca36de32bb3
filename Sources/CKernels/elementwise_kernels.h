// Private to CKernels: the elementwise kernels (optimizer updates, over all
// elements or over a list of indices, and ReLU forward and backward) in three builds. elementwise.c holds the portable ones and the dispatch;
// elementwise_simd.h holds the vector bodies, compiled by elementwise_avx2.c and
// elementwise_avx512.c. Each vector body runs whole vectors and hands the last
// elements (fewer than a vector) to the portable function, so every build computes
// the same formula in the same order per element.
#ifndef REWIND_ELEMENTWISE_KERNELS_H
#define REWIND_ELEMENTWISE_KERNELS_H

#include "CKernels.h"

typedef struct rw_elementwise_kernels {
    /// See `rw_adam_update`.
    void (*adam)(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                 float step_size, float inv_root_correction2, float epsilon, float weight_decay);
    /// See `rw_sgd_update` (`v` unused when `momentum` is 0).
    void (*sgd)(float *p, const float *g, float *v, size_t n, float learning_rate, float momentum,
                int nesterov, float weight_decay);
    /// See `rw_relu_forward`.
    void (*relu_forward)(const float *x, float *y, size_t n);
    /// See `rw_relu_backward`.
    void (*relu_backward)(const float *y, const float *dy, float *dx, size_t n);
    /// See `rw_adam_update_indexed`.
    void (*adam_indexed)(float *p, const float *g, float *m, float *v, const int32_t *indices, size_t count,
                         float beta1, float beta2, float step_size, float inv_root_correction2, float epsilon,
                         float weight_decay);
    /// See `rw_sgd_update_indexed`.
    void (*sgd_indexed)(float *p, const float *g, float *v, const int32_t *indices, size_t count,
                        float learning_rate, float momentum, int nesterov, float weight_decay);
} rw_elementwise_kernels;

extern const rw_elementwise_kernels rw_elementwise_portable;
#if defined(__x86_64__) || defined(__i386__)
extern const rw_elementwise_kernels rw_elementwise_avx2;
extern const rw_elementwise_kernels rw_elementwise_avx512;
#endif

#endif
