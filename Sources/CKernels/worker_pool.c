// The worker pool behind Rewind's parallel regions (see worker_pool.h).
//
// One region runs at a time. The caller publishes the region's body and context,
// resets `finished`, then stores a new `region` word:
//
//     region = generation << 32 | workers << 16 | next
//
// a generation number (one per region), the region's worker count and the next
// worker index nobody has claimed yet, in one atomic word. The caller and the pool
// threads claim indices by compare-and-swap on that word (so a claim is always of
// the region the claimer read), run `body(context, index)`, and count it in
// `finished`. The caller returns when `finished == workers`. Claiming, rather than
// one fixed index per thread, means a pool thread the OS has not scheduled (a busy
// machine) never holds a region up: the caller runs its indices instead. Which
// index computes which share is fixed by the body, so results do not depend on
// which thread ran it. A thread that claimed an index of region G holds G open
// until it finishes, so the body and context it reads are G's.
//
// Idle threads spin, then sleep on `pool_wake`; the caller, waiting for indices
// others are still running, spins, then sleeps on `region_done`. All shared words
// are C11 atomics with sequentially consistent order, which the sleep/wake
// handshakes need: a thread about to sleep announces itself (`sleepers`,
// `caller_sleeping`) and re-reads the word it waits on under the mutex; the other
// side changes that word before it reads the announcement.
#define _GNU_SOURCE
#include "worker_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define rw_cpu_relax() _mm_pause()
#else
#define rw_cpu_relax() ((void)0)
#endif

long rw_pool_spin_microseconds = 50;

enum { RW_POOL_MAX_THREADS = 255 };

static pthread_mutex_t pool_mutex = PTHREAD_MUTEX_INITIALIZER;      // sleeping, waking, thread creation
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;         // a new region was published
static pthread_cond_t region_done = PTHREAD_COND_INITIALIZER;       // the last index finished
static atomic_flag pool_busy = ATOMIC_FLAG_INIT;                    // a region is running
static _Atomic uint64_t region;                                     // generation << 32 | workers << 16 | next
static atomic_long finished;                                        // indices of the region finished
static atomic_long sleepers;                                        // pool threads asleep or about to sleep
static atomic_int caller_sleeping;                                  // the caller waits on region_done
static long thread_count;                                           // pool threads created (under pool_mutex)

// The current region's body, written by the caller before `region` changes.
static rw_pool_body region_body;
static void *region_context;

static _Thread_local int inside_pool_thread;

static uint64_t generation_of(uint64_t word) { return word >> 32; }
static long workers_of(uint64_t word) { return (long)((word >> 16) & 0xFFFF); }
static long next_of(uint64_t word) { return (long)(word & 0xFFFF); }

static double now_microseconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

/// Claims and runs indices of generation `generation` until none is left.
static void run_claimed_indices(uint64_t generation) {
    uint64_t word = atomic_load(&region);
    for (;;) {
        if (generation_of(word) != generation || next_of(word) >= workers_of(word)) return;
        if (!atomic_compare_exchange_weak(&region, &word, word + 1)) continue;   // `word` reloaded
        const long index = next_of(word), workers = workers_of(word);
        region_body(region_context, index);
        // `workers` comes from the claimed word: once `finished` reaches it the caller
        // may publish the next region, so nothing of this one is read after the add.
        if (atomic_fetch_add(&finished, 1) + 1 == workers && atomic_load(&caller_sleeping)) {
            pthread_mutex_lock(&pool_mutex);
            pthread_cond_broadcast(&region_done);
            pthread_mutex_unlock(&pool_mutex);
        }
        word = atomic_load(&region);
    }
}

/// Waits until the region's generation differs from `seen`: spins, then sleeps.
static uint64_t wait_for_region(uint64_t seen) {
    const double deadline = now_microseconds() + (double)rw_pool_spin_microseconds;
    for (long spins = 1;; spins++) {
        const uint64_t current = generation_of(atomic_load(&region));
        if (current != seen) return current;
        rw_cpu_relax();
        if ((spins & 255) == 0 && now_microseconds() > deadline) break;
    }
    pthread_mutex_lock(&pool_mutex);
    atomic_fetch_add(&sleepers, 1);
    uint64_t current;
    while ((current = generation_of(atomic_load(&region))) == seen) pthread_cond_wait(&pool_wake, &pool_mutex);
    atomic_fetch_sub(&sleepers, 1);
    pthread_mutex_unlock(&pool_mutex);
    return current;
}

static void *pool_thread(void *argument) {
    uint64_t seen = (uint64_t)(uintptr_t)argument;   // the generation before the thread's first region
    inside_pool_thread = 1;
    for (;;) {
        seen = wait_for_region(seen);
        run_claimed_indices(seen);
    }
    return NULL;
}

/// Makes sure `wanted` pool threads exist.
static void ensure_threads(long wanted) {
    if (wanted > RW_POOL_MAX_THREADS) wanted = RW_POOL_MAX_THREADS;
    pthread_mutex_lock(&pool_mutex);
    while (thread_count < wanted) {
        // The region word is stable here (only the caller holding `pool_busy` changes
        // it, after this returns), so the thread waits for the next generation.
        const uint64_t seen = generation_of(atomic_load(&region));
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        const int failed = pthread_create(&thread, &attributes, pool_thread, (void *)(uintptr_t)seen);
        pthread_attr_destroy(&attributes);
        if (failed) break;   // the caller runs the indices no thread takes
        thread_count++;
    }
    pthread_mutex_unlock(&pool_mutex);
}

/// Waits until every index of the region has finished: spins, then sleeps (an index
/// claimed by a thread the OS has descheduled can take milliseconds on a busy machine).
static void wait_for_region_end(long workers) {
    const double deadline = now_microseconds() + (double)rw_pool_spin_microseconds;
    for (long spins = 1; atomic_load(&finished) < workers; spins++) {
        rw_cpu_relax();
        if ((spins & 255) == 0 && now_microseconds() > deadline) {
            pthread_mutex_lock(&pool_mutex);
            atomic_store(&caller_sleeping, 1);
            while (atomic_load(&finished) < workers) pthread_cond_wait(&region_done, &pool_mutex);
            atomic_store(&caller_sleeping, 0);
            pthread_mutex_unlock(&pool_mutex);
            return;
        }
    }
}

void rw_pool_run(long workers, rw_pool_body body, void *context) {
    if (workers <= 1 || workers > 0xFFFF || inside_pool_thread || atomic_flag_test_and_set(&pool_busy)) {
        for (long w = 0; w < workers; w++) body(context, w);
        return;
    }
    ensure_threads(workers - 1);
    region_body = body;
    region_context = context;
    atomic_store(&finished, 0);
    const uint64_t generation = generation_of(atomic_load(&region)) + 1;
    atomic_store(&region, generation << 32 | (uint64_t)workers << 16);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&pool_mutex);
        pthread_cond_broadcast(&pool_wake);
        pthread_mutex_unlock(&pool_mutex);
    }
    run_claimed_indices(generation);
    wait_for_region_end(workers);
    atomic_flag_clear(&pool_busy);
}
