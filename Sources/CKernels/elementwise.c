// Elementwise layer kernels written so that the C compiler vectorises them: no
// aliasing (restrict) and no branch per element (the comparison becomes a mask).
#include "CKernels.h"

void rw_relu_backward(const float *restrict y, const float *restrict dy, float *restrict dx, size_t n) {
    for (size_t i = 0; i < n; i++) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
