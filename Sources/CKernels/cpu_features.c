// Which vector instructions this CPU has, checked once (cpuid through the
// compiler's builtins), and the kernel path a request resolves to.
#include "CKernels.h"

#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
/// The best path this CPU runs: AVX-512 (F, VL, DQ: what the AVX-512 builds use),
/// else AVX2 with FMA, else portable. -1 until known; racing first calls compute
/// the same answer, and the relaxed atomics make the race well-defined.
static int best_path(void) {
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        const int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        const int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512dq");
        known = avx512 ? RW_KERNEL_AVX512 : avx2 ? RW_KERNEL_AVX2_FMA : RW_KERNEL_PORTABLE;
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
}
#else
static int best_path(void) { return RW_KERNEL_PORTABLE; }
#endif

int rw_cpu_has_avx2_fma(void) { return best_path() != RW_KERNEL_PORTABLE; }

int rw_cpu_has_avx512(void) { return best_path() == RW_KERNEL_AVX512; }

int rw_kernel_path(int variant) {
    const int best = best_path();
    switch (variant) {
    case RW_KERNEL_PORTABLE: return RW_KERNEL_PORTABLE;
    case RW_KERNEL_AVX2_FMA: return best == RW_KERNEL_PORTABLE ? RW_KERNEL_PORTABLE : RW_KERNEL_AVX2_FMA;
    case RW_KERNEL_AVX512: return best;
    default: return best;
    }
}

void rw_cpu_brand(char out[49]) {
    memset(out, 0, 49);
#if defined(__x86_64__) || defined(__i386__)
    unsigned int words[12];
    if (__get_cpuid_max(0x80000000u, 0) < 0x80000004u) return;
    for (unsigned int leaf = 0; leaf < 3; leaf++) {
        __get_cpuid(0x80000002u + leaf, &words[4 * leaf], &words[4 * leaf + 1], &words[4 * leaf + 2], &words[4 * leaf + 3]);
    }
    memcpy(out, words, 48);
#endif
}
