// Private to CKernels: one vector vocabulary for the kernels written once and
// compiled twice, for AVX2/FMA (8 floats a vector) and for AVX-512 (16 floats).
//
// A kernel body (`*_simd.h`) is written against the names below; a translation unit
// defines RW_VEC_BITS (256 or 512), includes this file, then the body, and gets the
// body's functions with the suffix `_avx2` or `_avx512`, each compiled with its
// `target(...)` attribute (the package's baseline flags stay SSE2, so these are only
// called after the run-time check of `rw_kernel_path`).
//
//     RW_LANES               floats per vector (8 or 16)
//     rw_vec                 the vector type
//     RW_SIMD / RW_SIMD_INLINE   function attributes (target, and always_inline)
//     RW_NAME(f)             f_avx2 or f_avx512
//     vec_load / vec_store / vec_set1 / vec_zero / vec_fmadd(a, b, c) = a·b + c
//     vec_add / vec_sub / vec_mul / vec_div / vec_sqrt / vec_max
//     vec_select_positive(y, v)   v where y > 0, else 0
//     vec_hsum(v)            the sum of the lanes
//     vec_gather(x, k, inc)  { x[k[i]·inc] for each lane i }, by scalar loads (faster
//                            than the gather instruction on the measured Zen CPUs)
//     vec_prefetch(p)        prefetch into L1
#ifndef RW_VEC_BITS
#error "define RW_VEC_BITS (256 or 512) before including simd_vector.h"
#endif

#include <immintrin.h>

#if RW_VEC_BITS == 256
#define RW_LANES 8
typedef __m256 rw_vec;
#define RW_SIMD __attribute__((target("avx2,fma")))
#define RW_NAME(f) f##_avx2
#define vec_load _mm256_loadu_ps
#define vec_store _mm256_storeu_ps
#define vec_set1 _mm256_set1_ps
#define vec_zero _mm256_setzero_ps
#define vec_fmadd _mm256_fmadd_ps
#define vec_add _mm256_add_ps
#define vec_sub _mm256_sub_ps
#define vec_mul _mm256_mul_ps
#define vec_div _mm256_div_ps
#define vec_sqrt _mm256_sqrt_ps
#define vec_max _mm256_max_ps
#define vec_broadcast _mm256_broadcast_ss
#define vec_select_positive(y, v) _mm256_and_ps(_mm256_cmp_ps((y), _mm256_setzero_ps(), _CMP_GT_OQ), (v))
// max(x, 0) as Swift's `max(x, 0)` computes it: +0 where x <= 0, x elsewhere (NaN stays NaN).
#define vec_relu(x) _mm256_andnot_ps(_mm256_cmp_ps((x), _mm256_setzero_ps(), _CMP_LE_OQ), (x))
RW_SIMD __attribute__((always_inline)) static inline float vec_hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#define vec_gather(x, k, inc) \
    _mm256_set_ps((x)[(k)[7] * (inc)], (x)[(k)[6] * (inc)], (x)[(k)[5] * (inc)], (x)[(k)[4] * (inc)], \
                  (x)[(k)[3] * (inc)], (x)[(k)[2] * (inc)], (x)[(k)[1] * (inc)], (x)[(k)[0] * (inc)])

#elif RW_VEC_BITS == 512
#define RW_LANES 16
typedef __m512 rw_vec;
#define RW_SIMD __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))
#define RW_NAME(f) f##_avx512
#define vec_load _mm512_loadu_ps
#define vec_store _mm512_storeu_ps
#define vec_set1 _mm512_set1_ps
#define vec_zero _mm512_setzero_ps
#define vec_fmadd _mm512_fmadd_ps
#define vec_add _mm512_add_ps
#define vec_sub _mm512_sub_ps
#define vec_mul _mm512_mul_ps
#define vec_div _mm512_div_ps
#define vec_sqrt _mm512_sqrt_ps
#define vec_max _mm512_max_ps
#define vec_broadcast(p) _mm512_set1_ps(*(p))
#define vec_select_positive(y, v) _mm512_maskz_mov_ps(_mm512_cmp_ps_mask((y), _mm512_setzero_ps(), _CMP_GT_OQ), (v))
#define vec_relu(x) _mm512_mask_mov_ps((x), _mm512_cmp_ps_mask((x), _mm512_setzero_ps(), _CMP_LE_OQ), _mm512_setzero_ps())
#define vec_hsum _mm512_reduce_add_ps
#define vec_gather(x, k, inc) \
    _mm512_set_ps((x)[(k)[15] * (inc)], (x)[(k)[14] * (inc)], (x)[(k)[13] * (inc)], (x)[(k)[12] * (inc)], \
                  (x)[(k)[11] * (inc)], (x)[(k)[10] * (inc)], (x)[(k)[9] * (inc)], (x)[(k)[8] * (inc)], \
                  (x)[(k)[7] * (inc)], (x)[(k)[6] * (inc)], (x)[(k)[5] * (inc)], (x)[(k)[4] * (inc)], \
                  (x)[(k)[3] * (inc)], (x)[(k)[2] * (inc)], (x)[(k)[1] * (inc)], (x)[(k)[0] * (inc)])

#else
#error "RW_VEC_BITS must be 256 or 512"
#endif

#define RW_SIMD_INLINE RW_SIMD __attribute__((always_inline)) static inline
#define vec_prefetch(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
