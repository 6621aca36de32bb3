// The direct convolution kernels (conv_direct_simd.h) at 512-bit vectors: the
// table rw_conv_avx512, used when rw_kernel_path resolves to this path.
#include "conv_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define RW_VEC_BITS 512
#include "simd_vector.h"
#include "conv_direct_simd.h"
#endif
