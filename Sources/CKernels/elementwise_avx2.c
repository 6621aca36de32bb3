// The elementwise kernels (elementwise_simd.h) at 256-bit vectors: the table
// rw_elementwise_avx2, used when rw_kernel_path resolves to this path.
#include "elementwise_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define RW_VEC_BITS 256
#include "simd_vector.h"
#include "elementwise_simd.h"
#endif
