// Private to CKernels: the vector bodies of the elementwise kernels (see
// elementwise_kernels.h for the formulas), written once against simd_vector.h.
// Include after simd_vector.h. Every product-and-sum is one FMA, in the order the
// portable twin in elementwise.c writes it (`__builtin_fmaf`), so all builds agree
// to the last bit on the same inputs.
#include "elementwise_kernels.h"

#define RW_INDEXED_NAME RW_NAME
#define RW_INDEXED_TARGET RW_SIMD
#include "elementwise_indexed.h"

RW_SIMD static void RW_NAME(adam)(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                                   float step_size, float inv_root_correction2, float epsilon, float weight_decay) {
    const rw_vec b1 = vec_set1(beta1), c1 = vec_set1(1.0f - beta1);
    const rw_vec b2 = vec_set1(beta2), c2 = vec_set1(1.0f - beta2);
    const rw_vec lr = vec_set1(step_size), irc2 = vec_set1(inv_root_correction2);
    const rw_vec eps = vec_set1(epsilon), wd = vec_set1(weight_decay);
    size_t i = 0;
    for (; i + RW_LANES <= n; i += RW_LANES) {
        rw_vec pi = vec_load(p + i);
        const rw_vec grad = vec_fmadd(wd, pi, vec_load(g + i));
        const rw_vec mi = vec_fmadd(b1, vec_load(m + i), vec_mul(c1, grad));
        const rw_vec vi = vec_fmadd(b2, vec_load(v + i), vec_mul(vec_mul(c2, grad), grad));
        const rw_vec denominator = vec_fmadd(vec_sqrt(vi), irc2, eps);
        pi = vec_sub(pi, vec_div(vec_mul(lr, mi), denominator));
        vec_store(m + i, mi);
        vec_store(v + i, vi);
        vec_store(p + i, pi);
    }
    rw_elementwise_portable.adam(p + i, g + i, m + i, v + i, n - i, beta1, beta2, step_size, inv_root_correction2,
                                 epsilon, weight_decay);
}

RW_SIMD static void RW_NAME(sgd)(float *p, const float *g, float *v, size_t n, float learning_rate, float momentum,
                                  int nesterov, float weight_decay) {
    const rw_vec lr = vec_set1(-learning_rate), mu = vec_set1(momentum), wd = vec_set1(weight_decay);
    size_t i = 0;
    for (; i + RW_LANES <= n; i += RW_LANES) {
        const rw_vec pi = vec_load(p + i);
        const rw_vec grad = vec_fmadd(wd, pi, vec_load(g + i));
        rw_vec step = grad;
        if (momentum != 0.0f) {
            const rw_vec vi = vec_fmadd(mu, vec_load(v + i), grad);
            vec_store(v + i, vi);
            step = nesterov ? vec_fmadd(mu, vi, grad) : vi;
        }
        vec_store(p + i, vec_fmadd(lr, step, pi));
    }
    rw_elementwise_portable.sgd(p + i, g + i, v ? v + i : v, n - i, learning_rate, momentum, nesterov, weight_decay);
}

RW_SIMD static void RW_NAME(relu_backward)(const float *y, const float *dy, float *dx, size_t n) {
    size_t i = 0;
    for (; i + RW_LANES <= n; i += RW_LANES) vec_store(dx + i, vec_select_positive(vec_load(y + i), vec_load(dy + i)));
    rw_elementwise_portable.relu_backward(y + i, dy + i, dx + i, n - i);
}

RW_SIMD static void RW_NAME(relu_forward)(const float *x, float *y, size_t n) {
    size_t i = 0;
    for (; i + RW_LANES <= n; i += RW_LANES) vec_store(y + i, vec_relu(vec_load(x + i)));
    rw_elementwise_portable.relu_forward(x + i, y + i, n - i);
}

const rw_elementwise_kernels RW_NAME(rw_elementwise) = {
    .relu_forward = RW_NAME(relu_forward),
    .adam = RW_NAME(adam),
    .sgd = RW_NAME(sgd),
    .relu_backward = RW_NAME(relu_backward),
    .adam_indexed = RW_NAME(adam_indexed),
    .sgd_indexed = RW_NAME(sgd_indexed),
};
