#ifndef CADENCE_KERNEL_SUPPORT_H
#define CADENCE_KERNEL_SUPPORT_H

// Cache-control instructions for Cadence's kernels, which Swift has no way to emit itself. All are
// static inline, so they compile into the Swift call sites (no call per prefetch).

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/// Asks the CPU to start loading the cache line holding `address` into all cache levels, without
/// waiting for it.
static inline void cadence_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#if defined(__x86_64__)
/// Copies `count` floats, storing to `destination` with non-temporal stores wherever it is 32-byte
/// aligned: the lines go to memory without first being read into the cache, and evict nothing.
/// Pair with `cadence_store_fence` before other threads read the destination.
__attribute__((target("avx")))
static inline void cadence_stream_floats(float *destination, const float *source, long count) {
    long i = 0;
    while (i < count && (((uintptr_t)(destination + i)) & 31) != 0) { destination[i] = source[i]; i++; }
    for (; i + 8 <= count; i += 8) { _mm256_stream_ps(destination + i, _mm256_loadu_ps(source + i)); }
    for (; i < count; i++) { destination[i] = source[i]; }
}

/// Makes earlier non-temporal stores visible before any later store (they are weakly ordered).
static inline void cadence_store_fence(void) { _mm_sfence(); }

/// Whether this CPU has AVX2 and FMA, which the C kernels need (the Swift side may be built for an
/// older x86-64 level with CADENCE_TARGET_CPU).
static inline int cadence_cpu_has_avx2(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/// Whether it also has AVX-512F and VL, for the C kernels' 16-lane forms.
static inline int cadence_cpu_has_avx512(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
}
#else
static inline void cadence_stream_floats(float *destination, const float *source, long count) {
    memcpy(destination, source, (size_t)count * sizeof(float));
}

static inline void cadence_store_fence(void) {}
#endif

// Atomic words for `Parallel`'s pool (Swift's own atomics need macOS 15): loads acquire, stores release.
static inline long cadence_atomic_load(const long *word) { return __atomic_load_n(word, __ATOMIC_ACQUIRE); }
static inline void cadence_atomic_store(long *word, long value) { __atomic_store_n(word, value, __ATOMIC_RELEASE); }
static inline long cadence_atomic_add(long *word, long value) {
    return __atomic_add_fetch(word, value, __ATOMIC_ACQ_REL);
}
/// Sets `*word` to `desired` if it holds `expected`; returns whether it did.
static inline int cadence_atomic_exchange_if(long *word, long expected, long desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/// Tells the core this thread is spinning on a word (x86 `pause`), which frees resources for the other
/// thread of its core and saves power.
static inline void cadence_spin_pause(void) {
#if defined(__x86_64__)
    _mm_pause();
#endif
}

#endif
