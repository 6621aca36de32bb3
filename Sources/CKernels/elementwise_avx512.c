// The elementwise kernels (elementwise_simd.h) at 512-bit vectors: the table
// rw_elementwise_avx512, used when rw_kernel_path resolves to this path.
#include "elementwise_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define RW_VEC_BITS 512
#include "simd_vector.h"
#include "elementwise_simd.h"
#endif
