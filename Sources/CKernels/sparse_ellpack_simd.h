// Private to CKernels: the blocked sliced-ELLPACK matrix-vector product (see
// `rw_sell_view` in CKernels.h), written once against simd_vector.h and compiled
// per vector width by sparse_kernels_avx2.c and sparse_kernels_avx512.c, each of
// which defines, before including this file,
//
//     rw_vec RW_NAME(sell_lookup)(rw_vec lo, rw_vec hi, const uint8_t *k)
//
// returning { (lo ++ hi)[k[r]] for each lane r }: the x values of RW_LANES entries
// looked up in a block of 2·RW_LANES columns held in two registers.
//
// The layout is RW_LANES rows per slice and 2·RW_LANES columns per block.
#include "sparse_microkernels.h"

#include <string.h>

/// y[i] = epilogue(bias[i] + sum_j a[i, j] · x[j]) (see `rw_sell_spmv`).
///
/// Per slice, two accumulators alternate over the steps (the FMA latency), and
/// per block the block's x is loaded once into two registers; the last, partial
/// block of x reads a zero-padded copy. Measured on the 2-core AMD EPYC Zen 4,
/// LeNet-300-100's three layers at 5% density (random pattern), best of 60x100 calls:
/// CSR with 8 entries per FMA by scalar loads 3.92 us, sliced ELLPACK with 8 rows a
/// slice by scalar loads 3.42 us, with `vgatherdps` 15+ us; this kernel 3.00 us
/// (AVX2: 8 rows, 16-column blocks) and 1.62 us (AVX-512: 16 rows, 32-column
/// blocks), although padding to the slice's widest row per block stores 2.5-2.7x
/// the entries (29.4k slots for 11.7k entries in fc1). Byte column offsets beat
/// 32-bit ones (AVX-512 fc1 1.42 vs 2.39 us: the slots stream from L2). Capping a
/// step's width below the slice's longest row and adding the overflow entries by
/// scalar FMAs after the slice halved the padding but lost (AVX2 fc1 4.8 us,
/// AVX-512 2.1 us): the scalar remainder costs more than the padded steps it saves.
RW_SIMD void RW_NAME(rw_sell_spmv)(const rw_sell_view *a, const float *x, const float *bias, int relu, float *y) {
    enum { block = 2 * RW_LANES };
    const int32_t blocks = (a->cols + block - 1) / block, full_blocks = a->cols / block;
    float tail[block];
    memset(tail, 0, sizeof tail);
    memcpy(tail, x + (ptrdiff_t)full_blocks * block, sizeof(float) * (size_t)(a->cols - full_blocks * block));
    const uint8_t *widths = a->widths;
    const float *values = a->values;
    const uint8_t *columns = a->columns;
    for (int32_t first = 0; first < a->rows; first += RW_LANES) {
        rw_vec acc0 = vec_zero(), acc1 = vec_zero();
        for (int32_t b = 0; b < blocks; b++) {
            int32_t w = *widths++;
            if (w == 0) continue;
            const float *xb = b < full_blocks ? x + (ptrdiff_t)b * block : tail;
            const rw_vec lo = vec_load(xb), hi = vec_load(xb + RW_LANES);
            for (; w >= 2; w -= 2) {
                acc0 = vec_fmadd(vec_load(values), RW_NAME(sell_lookup)(lo, hi, columns), acc0);
                acc1 = vec_fmadd(vec_load(values + RW_LANES), RW_NAME(sell_lookup)(lo, hi, columns + RW_LANES), acc1);
                values += 2 * RW_LANES;
                columns += 2 * RW_LANES;
            }
            if (w) {
                acc0 = vec_fmadd(vec_load(values), RW_NAME(sell_lookup)(lo, hi, columns), acc0);
                values += RW_LANES;
                columns += RW_LANES;
            }
        }
        rw_vec acc = vec_add(acc0, acc1);
        const int32_t count = a->rows - first < RW_LANES ? a->rows - first : RW_LANES;
        if (count == RW_LANES) {
            if (bias) acc = vec_add(acc, vec_load(bias + first));
            if (relu) acc = vec_max(acc, vec_zero());
            vec_store(y + first, acc);
        } else {
            float out[RW_LANES];
            vec_store(out, acc);
            for (int32_t r = 0; r < count; r++) {
                const float v = out[r] + (bias ? bias[first + r] : 0.0f);
                y[first + r] = (relu && v < 0.0f) ? 0.0f : v;
            }
        }
    }
}
