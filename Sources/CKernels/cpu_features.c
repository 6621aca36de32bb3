#include "CKernels.h"

int rw_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    // -1: not yet known. Racing first calls compute the same answer; the relaxed
    // atomics make the race well-defined.
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
#else
    return 0;
#endif
}
