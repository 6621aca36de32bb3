// Private to CKernels: the per-element formulas of the optimizer updates, the one
// definition the portable loops and the indexed (surviving-weights-only) loops
// share. Inlined into each caller, so a caller compiled with `target("fma")` gets
// the FMA instruction for `__builtin_fmaf`, and every build rounds alike.
#ifndef REWIND_ELEMENTWISE_FORMULAS_H
#define REWIND_ELEMENTWISE_FORMULAS_H

#include <math.h>

/// Adam on one element (see `rw_adam_update`).
__attribute__((always_inline)) static inline void rw_adam_element(float *p, float g, float *m, float *v, float beta1,
                                                                  float beta2, float step_size,
                                                                  float inv_root_correction2, float epsilon,
                                                                  float weight_decay) {
    const float grad = __builtin_fmaf(weight_decay, *p, g);
    *m = __builtin_fmaf(beta1, *m, (1.0f - beta1) * grad);
    *v = __builtin_fmaf(beta2, *v, ((1.0f - beta2) * grad) * grad);
    *p -= (step_size * *m) / __builtin_fmaf(sqrtf(*v), inv_root_correction2, epsilon);
}

/// SGD on one element (see `rw_sgd_update`); `v` unused when momentum is 0.
__attribute__((always_inline)) static inline void rw_sgd_element(float *p, float g, float *v, float learning_rate,
                                                                 float momentum, int nesterov, float weight_decay) {
    const float grad = __builtin_fmaf(weight_decay, *p, g);
    float step = grad;
    if (momentum != 0.0f) {
        *v = __builtin_fmaf(momentum, *v, grad);
        step = nesterov ? __builtin_fmaf(momentum, *v, grad) : *v;
    }
    *p = __builtin_fmaf(-learning_rate, step, *p);
}

#endif
