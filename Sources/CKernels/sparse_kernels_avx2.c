// AVX2/FMA micro-kernels of the sparse product (see sparse_microkernels.h): the
// panel, sampled-product and matrix-vector bodies of sparse_microkernels_simd.h
// at 8 floats a vector, and the 8x8 register transpose (also used by the AVX-512 table: the
// transpose is bound by memory, not by the vector width).
//
// Every function carries `target("avx2,fma")`, so this file compiles with the
// package's baseline flags and is only called after `rw_kernel_path` said so.
#include "sparse_microkernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define RW_VEC_BITS 256
#include "simd_vector.h"
#include "sparse_microkernels_simd.h"

/// Transposes one full 8x8 tile in registers (unpack, shuffle, cross-lane permute).
RW_SIMD_INLINE void transpose_tile(const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r0 = _mm256_permute2f128_ps(s0, s4, 0x20); r1 = _mm256_permute2f128_ps(s1, s5, 0x20);
    r2 = _mm256_permute2f128_ps(s2, s6, 0x20); r3 = _mm256_permute2f128_ps(s3, s7, 0x20);
    r4 = _mm256_permute2f128_ps(s0, s4, 0x31); r5 = _mm256_permute2f128_ps(s1, s5, 0x31);
    r6 = _mm256_permute2f128_ps(s2, s6, 0x31); r7 = _mm256_permute2f128_ps(s3, s7, 0x31);
    _mm256_storeu_ps(dst + 0 * ldd, r0); _mm256_storeu_ps(dst + 1 * ldd, r1);
    _mm256_storeu_ps(dst + 2 * ldd, r2); _mm256_storeu_ps(dst + 3 * ldd, r3);
    _mm256_storeu_ps(dst + 4 * ldd, r4); _mm256_storeu_ps(dst + 5 * ldd, r5);
    _mm256_storeu_ps(dst + 6 * ldd, r6); _mm256_storeu_ps(dst + 7 * ldd, r7);
}

/// Full 8x8 tiles in registers; the ragged right and bottom edges element by element.
RW_SIMD void rw_transpose_avx2(int32_t rows, int32_t cols, const float *src, ptrdiff_t lds,
                               float *dst, ptrdiff_t ldd) {
    const int32_t full_rows = rows & ~7, full_cols = cols & ~7;
    for (int32_t r = 0; r < full_rows; r += 8) {
        for (int32_t c = 0; c < full_cols; c += 8) {
            transpose_tile(src + (ptrdiff_t)r * lds + c, lds, dst + (ptrdiff_t)c * ldd + r, ldd);
        }
        for (int32_t c = full_cols; c < cols; c++) {
            for (int32_t q = r; q < r + 8; q++) dst[(ptrdiff_t)c * ldd + q] = src[(ptrdiff_t)q * lds + c];
        }
    }
    for (int32_t r = full_rows; r < rows; r++) {
        for (int32_t c = 0; c < cols; c++) dst[(ptrdiff_t)c * ldd + r] = src[(ptrdiff_t)r * lds + c];
    }
}

#endif

#if defined(__x86_64__) || defined(__i386__)
/// Lanes' x values from a 16-column block in two registers: both halves permuted by
/// the offset's low 3 bits, blended by its bit 3 (shifted into the sign bit).
RW_SIMD_INLINE __m256 sell_lookup_avx2(__m256 lo, __m256 hi, const uint8_t *k) {
    const __m256i index = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)k));
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, index), _mm256_permutevar8x32_ps(hi, index),
                            _mm256_castsi256_ps(_mm256_slli_epi32(index, 28)));
}
#include "sparse_ellpack_simd.h"
#endif
