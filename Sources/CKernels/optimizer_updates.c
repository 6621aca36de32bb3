// Fused per-parameter optimizer updates (Adam, SGD with momentum), AVX2/FMA with a
// portable twin. One pass over the parameter's arrays instead of several keeps the
// update memory-bound at one read of each stream and one write of each result.
#include "CKernels.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static void adam_portable(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                          float step_size, float inv_root_correction2, float epsilon, float weight_decay) {
    for (size_t i = 0; i < n; i++) {
        float grad = g[i] + weight_decay * p[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * grad;
        v[i] = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        p[i] -= step_size * m[i] / (sqrtf(v[i]) * inv_root_correction2 + epsilon);
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void adam_avx2(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                      float step_size, float inv_root_correction2, float epsilon, float weight_decay) {
    const __m256 b1 = _mm256_set1_ps(beta1), c1 = _mm256_set1_ps(1.0f - beta1);
    const __m256 b2 = _mm256_set1_ps(beta2), c2 = _mm256_set1_ps(1.0f - beta2);
    const __m256 lr = _mm256_set1_ps(step_size), irc2 = _mm256_set1_ps(inv_root_correction2);
    const __m256 eps = _mm256_set1_ps(epsilon), wd = _mm256_set1_ps(weight_decay);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 pi = _mm256_loadu_ps(p + i);
        __m256 grad = _mm256_fmadd_ps(wd, pi, _mm256_loadu_ps(g + i));
        __m256 mi = _mm256_fmadd_ps(b1, _mm256_loadu_ps(m + i), _mm256_mul_ps(c1, grad));
        __m256 vi = _mm256_fmadd_ps(b2, _mm256_loadu_ps(v + i), _mm256_mul_ps(_mm256_mul_ps(c2, grad), grad));
        __m256 denominator = _mm256_fmadd_ps(_mm256_sqrt_ps(vi), irc2, eps);
        pi = _mm256_sub_ps(pi, _mm256_div_ps(_mm256_mul_ps(lr, mi), denominator));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, pi);
    }
    adam_portable(p + i, g + i, m + i, v + i, n - i, beta1, beta2, step_size, inv_root_correction2, epsilon, weight_decay);
}
#endif

void rw_adam_update(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2,
                    float step_size, float inv_root_correction2, float epsilon, float weight_decay, int variant) {
#if defined(__x86_64__)
    if (variant != RW_KERNEL_PORTABLE && rw_cpu_has_avx2_fma()) {
        adam_avx2(p, g, m, v, n, beta1, beta2, step_size, inv_root_correction2, epsilon, weight_decay);
        return;
    }
#endif
    adam_portable(p, g, m, v, n, beta1, beta2, step_size, inv_root_correction2, epsilon, weight_decay);
}
