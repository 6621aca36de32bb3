// Hand-written CPU kernels for Rewind.
//
// Swift on Linux x86-64 compiles for baseline SSE2, and per-target compiler flags
// (`unsafeFlags`) would stop Rewind from being usable as a dependency. Kernels that
// need AVX2/FMA are therefore written here in C with `__attribute__((target(...)))`
// and chosen at run time by `rw_cpu_has_avx2_fma()`; each has a portable twin.
#ifndef REWIND_CKERNELS_H
#define REWIND_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU supports AVX2 and FMA (checked once, cached), else 0.
int rw_cpu_has_avx2_fma(void);

#ifdef __cplusplus
}
#endif

#endif
