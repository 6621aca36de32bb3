// AVX-512 micro-kernels of the sparse product (see sparse_microkernels.h): the
// panel and sampled-product bodies of sparse_microkernels_simd.h at 16 floats a
// vector (a 64-column panel is 4 vectors), with the AVX2 matrix-vector product
// (faster here; see `rw_spmv_avx2` for the measurement) and transpose.
//
// Every function carries `target("avx512f,...")`, so this file compiles with the
// package's baseline flags and is only called after `rw_kernel_path` said so.
#include "sparse_microkernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define RW_VEC_BITS 512
#include "simd_vector.h"
#include "sparse_microkernels_simd.h"

#endif
