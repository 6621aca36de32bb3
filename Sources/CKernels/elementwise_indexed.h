// Private to CKernels: the optimizer updates over a list of element indices (the
// surviving weights of a pruned layer trained sparsely), one body for every build:
// a translation unit defines RW_INDEXED_NAME(f) and RW_INDEXED_TARGET (its function
// attributes) and includes this file. The loops are scalar (the indices scatter);
// what the builds differ in is whether `__builtin_fmaf` is one instruction.
#include "elementwise_formulas.h"

RW_INDEXED_TARGET static void RW_INDEXED_NAME(adam_indexed)(float *p, const float *g, float *m, float *v,
                                                             const int32_t *indices, size_t count, float beta1,
                                                             float beta2, float step_size,
                                                             float inv_root_correction2, float epsilon,
                                                             float weight_decay) {
    for (size_t k = 0; k < count; k++) {
        const int32_t i = indices[k];
        rw_adam_element(p + i, g[i], m + i, v + i, beta1, beta2, step_size, inv_root_correction2, epsilon, weight_decay);
    }
}

RW_INDEXED_TARGET static void RW_INDEXED_NAME(sgd_indexed)(float *p, const float *g, float *v, const int32_t *indices,
                                                            size_t count, float learning_rate, float momentum,
                                                            int nesterov, float weight_decay) {
    for (size_t k = 0; k < count; k++) {
        const int32_t i = indices[k];
        rw_sgd_element(p + i, g[i], v ? v + i : v, learning_rate, momentum, nesterov, weight_decay);
    }
}
