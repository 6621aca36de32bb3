// One process-wide pool of worker threads for Rewind's parallel regions.
#ifndef REWIND_WORKER_POOL_H
#define REWIND_WORKER_POOL_H

#ifdef __cplusplus
extern "C" {
#endif

/// A parallel region's body: called once for every worker index in 0..<workers.
typedef void (*rw_pool_body)(void *context, long worker);

/// Runs `body(context, w)` exactly once for every `w` in `0..<workers` and returns
/// when all have returned. The calling thread and the pool's threads (created on
/// first use, `workers - 1` of them, kept for the process) take indices as they
/// come free, so a pool thread the OS has not scheduled never holds the region up.
/// A region started while another runs (from inside a body, or from a second
/// thread) runs its indices on the calling thread, one after the other: same
/// results, no deadlock.
///
/// Idle pool threads spin (with `pause`) for up to `rw_pool_spin_microseconds`
/// waiting for the next region, then sleep on a condition variable: a training step
/// runs hundreds of short regions, and waking a sleeping thread costs tens of
/// microseconds.
void rw_pool_run(long workers, rw_pool_body body, void *context);

/// How long idle pool threads, and a caller waiting for them, spin before they sleep (default 50).
extern long rw_pool_spin_microseconds;

#ifdef __cplusplus
}
#endif

#endif
