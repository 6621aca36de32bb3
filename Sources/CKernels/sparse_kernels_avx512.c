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

#if defined(__x86_64__) || defined(__i386__)
/// Lanes' x values from a 32-column block in two registers: one two-table permute
/// (`vpermt2ps`, the offset's low 5 bits).
RW_SIMD_INLINE __m512 sell_lookup_avx512(__m512 lo, __m512 hi, const uint8_t *k) {
    return _mm512_permutex2var_ps(lo, _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)k)), hi);
}
#include "sparse_ellpack_simd.h"
#endif
