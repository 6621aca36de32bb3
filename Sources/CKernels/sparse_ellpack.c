// The blocked sliced-ELLPACK matrix-vector product (see `rw_sell_view`): the
// layout each build wants, the portable loop, and the dispatch.
#include "sparse_microkernels.h"

void rw_sell_layout(int variant, int32_t *lanes, int32_t *block_columns) {
    switch (rw_kernel_path(variant)) {
    case RW_KERNEL_AVX512: *lanes = 16; *block_columns = 32; break;
    default: *lanes = 8; *block_columns = 16; break;
    }
}

/// Any layout: per slice, `lanes` scalar accumulators over the steps; a padding
/// slot (value 0, offset 0) reads column `b · block_columns`, which exists.
static void sell_spmv_portable(const rw_sell_view *a, const float *x, const float *bias, int relu, float *y) {
    const int32_t lanes = a->lanes, width = a->block_columns;
    const int32_t blocks = (a->cols + width - 1) / width;
    const uint8_t *widths = a->widths;
    const float *values = a->values;
    const uint8_t *columns = a->columns;
    float acc[16];
    for (int32_t first = 0; first < a->rows; first += lanes) {
        for (int32_t r = 0; r < lanes; r++) acc[r] = 0.0f;
        for (int32_t b = 0; b < blocks; b++) {
            const float *xb = x + (ptrdiff_t)b * width;
            for (int32_t w = *widths++; w > 0; w--) {
                for (int32_t r = 0; r < lanes; r++) acc[r] += values[r] * xb[columns[r]];
                values += lanes;
                columns += lanes;
            }
        }
        const int32_t count = a->rows - first < lanes ? a->rows - first : lanes;
        for (int32_t r = 0; r < count; r++) {
            const float v = acc[r] + (bias ? bias[first + r] : 0.0f);
            y[first + r] = (relu && v < 0.0f) ? 0.0f : v;
        }
    }
}

void rw_sell_spmv(const rw_sell_view *a, const float *x, const float *bias, int relu, float *y, int variant) {
    if (a->rows <= 0) return;
    if (a->cols <= 0 || a->lanes < 1 || a->lanes > 16 || a->block_columns < 1 || a->block_columns > 32) {
        // No columns (or no valid layout): the product is the bias alone.
        for (int32_t i = 0; i < a->rows; i++) {
            const float v = bias ? bias[i] : 0.0f;
            y[i] = (relu && v < 0.0f) ? 0.0f : v;
        }
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    const int path = rw_kernel_path(variant);
    if (path == RW_KERNEL_AVX512 && a->lanes == 16 && a->block_columns == 32) {
        rw_sell_spmv_avx512(a, x, bias, relu, y);
        return;
    }
    if (path != RW_KERNEL_PORTABLE && a->lanes == 8 && a->block_columns == 16) {
        rw_sell_spmv_avx2(a, x, bias, relu, y);
        return;
    }
#endif
    sell_spmv_portable(a, x, bias, relu, y);
}
