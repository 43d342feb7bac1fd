// The pointwise conv's register blocks; include/PointwiseBlocks.h says what and why.
#include "PointwiseBlocks.h"

#if defined(__x86_64__)
#include <immintrin.h>

/// P pixels by V output vectors at channels `starts[0 ..< V]`.
#define DEFINE_BLOCK(NAME, P, V, TARGET, VEC, LOADU, SET1, FMADD, ADD, STOREU)                        \
__attribute__((target(TARGET), always_inline))                                                        \
static inline void NAME(const float *x, long cIn, long cOut, const float *w, const long *starts,      \
                        const float *bias, const float *residual, float *y) {                         \
    VEC acc[P][V];                                                                                    \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int v = 0; v < V; v++) {                                                                     \
        const VEC b = LOADU(bias + starts[v]);                                                        \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int p = 0; p < P; p++)                                                                   \
            acc[p][v] = residual ? ADD(b, LOADU(residual + p * cOut + starts[v])) : b;                \
    }                                                                                                 \
    for (long c = 0; c < cIn; c++) {                                                                  \
        VEC wv[V];                                                                                    \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) wv[v] = LOADU(w + c * cOut + starts[v]);                          \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int p = 0; p < P; p++) {                                                                 \
            const VEC xv = SET1(x[p * cIn + c]);                                                      \
            _Pragma("clang loop unroll(full)")                                                        \
            for (int v = 0; v < V; v++) acc[p][v] = FMADD(xv, wv[v], acc[p][v]);                      \
        }                                                                                             \
    }                                                                                                 \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int p = 0; p < P; p++)                                                                       \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) STOREU(y + p * cOut + starts[v], acc[p][v]);                      \
}

/// One group of V vectors over all the pixels: blocks of P, then single pixels; the first group also
/// requests the input rows two blocks ahead, which the hardware prefetcher brought too late (10.8 MB of
/// input for X3D-M's res2 project conv: 20-30% faster at 1 thread with them).
#define DEFINE_SWEEP(NAME, TARGET, P, V, BLOCK, SINGLE)                                               \
__attribute__((target(TARGET), always_inline))                                                        \
static inline void NAME(const float *x, long pixels, long cIn, long cOut, const float *w,             \
                        const long *starts, const float *bias, const float *residual, float *y,       \
                        int prefetch) {                                                               \
    long p = 0;                                                                                       \
    for (; p + P <= pixels; p += P) {                                                                 \
        if (prefetch)                                                                                 \
            for (long f = 0; f < P * cIn; f += 16) __builtin_prefetch(x + (p + 2 * P) * cIn + f, 0, 3); \
        BLOCK(x + p * cIn, cIn, cOut, w, starts, bias, residual ? residual + p * cOut : 0, y + p * cOut); \
    }                                                                                                 \
    for (; p < pixels; p++)                                                                           \
        SINGLE(x + p * cIn, cIn, cOut, w, starts, bias, residual ? residual + p * cOut : 0, y + p * cOut); \
}

#define NARROW "avx2,fma"
#define NARROW_OPS __m256, _mm256_loadu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps
#define WIDE "avx512f,avx512vl,fma"
#define WIDE_OPS __m512, _mm512_loadu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps
#define DEFINE_ALL(KIND, TARGET, OPS)                                                                 \
DEFINE_BLOCK(KIND##_4x3, 4, 3, TARGET, OPS) DEFINE_BLOCK(KIND##_1x3, 1, 3, TARGET, OPS)              \
DEFINE_BLOCK(KIND##_6x2, 6, 2, TARGET, OPS) DEFINE_BLOCK(KIND##_1x2, 1, 2, TARGET, OPS)              \
DEFINE_BLOCK(KIND##_8x1, 8, 1, TARGET, OPS) DEFINE_BLOCK(KIND##_1x1, 1, 1, TARGET, OPS)              \
DEFINE_SWEEP(KIND##_sweep3, TARGET, 4, 3, KIND##_4x3, KIND##_1x3)                                     \
DEFINE_SWEEP(KIND##_sweep2, TARGET, 6, 2, KIND##_6x2, KIND##_1x2)                                     \
DEFINE_SWEEP(KIND##_sweep1, TARGET, 8, 1, KIND##_8x1, KIND##_1x1)
DEFINE_ALL(narrow, NARROW, NARROW_OPS)
DEFINE_ALL(wide, WIDE, WIDE_OPS)
// (Through a second macro, so that WIDE_OPS is split into its arguments first.)
#define DEFINE_WIDE_BLOCK(NAME, P, V, OPS) DEFINE_BLOCK(NAME, P, V, WIDE, OPS)
DEFINE_WIDE_BLOCK(wide_4x4, 4, 4, WIDE_OPS)
DEFINE_WIDE_BLOCK(wide_1x4, 1, 4, WIDE_OPS)
DEFINE_SWEEP(wide_sweep4, WIDE, 4, 4, wide_4x4, wide_1x4)

/// Output vectors in groups of the largest block (4 with AVX-512, 3 with AVX2) and one smaller group
/// for the rest: the group from vector `v` (vector `v` starts at channel `v * lanes`, the last moved
/// back to end at `cOut`), its first channels in `starts`, and in `masks` 1 for the lanes each vector
/// owns, 0 for those a moved-back vector shares with the one before. Returns the group's size.
static inline long vector_group(long v, long cOut, long lanes, long largest, long *starts, float *masks) {
    const long vectors = (cOut + lanes - 1) / lanes;
    const long group = vectors - v >= largest ? largest : vectors - v;
    for (long i = 0; i < group; i++) {
        const long owned = (v + i) * lanes;
        starts[i] = owned + lanes <= cOut ? owned : cOut - lanes;
        for (long lane = 0; lane < lanes; lane++) masks[i * lanes + lane] = starts[i] + lane >= owned;
    }
    return group;
}

/// Calls the sweep for a group's size: `LARGEST_SWEEP`, or KIND's sweep named with SUFFIX and 3, 2 or 1.
#define CALL_SWEEP(KIND, SUFFIX, LARGEST, LARGEST_SWEEP, group, ...)                                  \
    if (group == LARGEST) LARGEST_SWEEP(__VA_ARGS__);                                                 \
    else if (group == 3) KIND##SUFFIX##3(__VA_ARGS__);                                                \
    else if (group == 2) KIND##SUFFIX##2(__VA_ARGS__);                                                \
    else KIND##SUFFIX##1(__VA_ARGS__);

#define DEFINE_PIXELS(NAME, TARGET, KIND, LANES, LARGEST, LARGEST_SWEEP)                              \
__attribute__((target(TARGET)))                                                                       \
static void NAME(const float *x, long pixels, long cIn, long cOut, const float *w, const float *bias, \
                 const float *residual, float *y) {                                                   \
    long starts[LARGEST];                                                                             \
    float masks[LARGEST * LANES];                                                                     \
    for (long v = 0, group; v * LANES < cOut; v += group) {                                           \
        group = vector_group(v, cOut, LANES, LARGEST, starts, masks);                                 \
        CALL_SWEEP(KIND, _sweep, LARGEST, LARGEST_SWEEP, group,                                       \
                   x, pixels, cIn, cOut, w, starts, bias, residual, y, v == 0)                        \
    }                                                                                                 \
}
DEFINE_PIXELS(narrow_pixels, NARROW, narrow, 8, 3, narrow_sweep3)
DEFINE_PIXELS(wide_pixels, WIDE, wide, 16, 4, wide_sweep4)

/// V output vectors (at `starts`, lanes kept by `masks`, 1 or 0) by Q input channels from `x`, summed
/// over the pixels and added into `sums` (`[Q][cOut]`).
#define DEFINE_GRADIENT_BLOCK(NAME, V, Q, TARGET, VEC, LOADU, SET1, FMADD, ADD, STOREU)               \
__attribute__((target(TARGET), always_inline))                                                        \
static inline void NAME(const float *x, const float *dy, long pixels, long cIn, long cOut,            \
                        const long *starts, const float *masks, float *sums) {                        \
    VEC acc[Q][V];                                                                                    \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int q = 0; q < Q; q++)                                                                       \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) acc[q][v] = SET1(0);                                              \
    for (long p = 0; p < pixels; p++) {                                                               \
        VEC d[V];                                                                                     \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) d[v] = LOADU(dy + p * cOut + starts[v]);                          \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int q = 0; q < Q; q++) {                                                                 \
            const VEC xv = SET1(x[p * cIn + q]);                                                      \
            _Pragma("clang loop unroll(full)")                                                        \
            for (int v = 0; v < V; v++) acc[q][v] = FMADD(d[v], xv, acc[q][v]);                       \
        }                                                                                             \
    }                                                                                                 \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int q = 0; q < Q; q++)                                                                       \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) {                                                                 \
            float *s = sums + q * cOut + starts[v];                                                   \
            STOREU(s, FMADD(acc[q][v], LOADU(masks + v * (sizeof(VEC) / 4)), LOADU(s)));              \
        }                                                                                             \
}

/// One group of V output vectors over all input channels: blocks of Q, then single channels.
#define DEFINE_GRADIENT_SWEEP(NAME, TARGET, V, Q, BLOCK, SINGLE)                                      \
__attribute__((target(TARGET), always_inline))                                                        \
static inline void NAME(const float *x, const float *dy, long pixels, long cIn, long cOut,            \
                        const long *starts, const float *masks, float *sums) {                        \
    long c = 0;                                                                                       \
    for (; c + Q <= cIn; c += Q) BLOCK(x + c, dy, pixels, cIn, cOut, starts, masks, sums + c * cOut); \
    for (; c < cIn; c++) SINGLE(x + c, dy, pixels, cIn, cOut, starts, masks, sums + c * cOut);        \
}

#define DEFINE_GRADIENT_ALL(KIND, TARGET, OPS)                                                        \
DEFINE_GRADIENT_BLOCK(KIND##_gradient3x4, 3, 4, TARGET, OPS)                                          \
DEFINE_GRADIENT_BLOCK(KIND##_gradient3x1, 3, 1, TARGET, OPS)                                          \
DEFINE_GRADIENT_BLOCK(KIND##_gradient2x6, 2, 6, TARGET, OPS)                                          \
DEFINE_GRADIENT_BLOCK(KIND##_gradient2x1, 2, 1, TARGET, OPS)                                          \
DEFINE_GRADIENT_BLOCK(KIND##_gradient1x8, 1, 8, TARGET, OPS)                                          \
DEFINE_GRADIENT_BLOCK(KIND##_gradient1x1, 1, 1, TARGET, OPS)                                          \
DEFINE_GRADIENT_SWEEP(KIND##_gradient_sweep3, TARGET, 3, 4, KIND##_gradient3x4, KIND##_gradient3x1)   \
DEFINE_GRADIENT_SWEEP(KIND##_gradient_sweep2, TARGET, 2, 6, KIND##_gradient2x6, KIND##_gradient2x1)   \
DEFINE_GRADIENT_SWEEP(KIND##_gradient_sweep1, TARGET, 1, 8, KIND##_gradient1x8, KIND##_gradient1x1)
DEFINE_GRADIENT_ALL(narrow, NARROW, NARROW_OPS)
DEFINE_GRADIENT_ALL(wide, WIDE, WIDE_OPS)
#define DEFINE_WIDE_GRADIENT_BLOCK(NAME, V, Q, OPS) DEFINE_GRADIENT_BLOCK(NAME, V, Q, WIDE, OPS)
DEFINE_WIDE_GRADIENT_BLOCK(wide_gradient4x4, 4, 4, WIDE_OPS)
DEFINE_WIDE_GRADIENT_BLOCK(wide_gradient4x1, 4, 1, WIDE_OPS)
DEFINE_GRADIENT_SWEEP(wide_gradient_sweep4, WIDE, 4, 4, wide_gradient4x4, wide_gradient4x1)

/// Output vectors grouped as in `DEFINE_PIXELS`; a moved-back vector adds only the lanes it owns.
#define DEFINE_WEIGHT_SUMS(NAME, TARGET, KIND, LANES, LARGEST, LARGEST_SWEEP)                         \
__attribute__((target(TARGET)))                                                                       \
static void NAME(const float *x, const float *dy, long pixels, long cIn, long cOut, float *sums) {    \
    long starts[LARGEST];                                                                             \
    float masks[LARGEST * LANES] __attribute__((aligned(64)));                                        \
    for (long v = 0, group; v * LANES < cOut; v += group) {                                           \
        group = vector_group(v, cOut, LANES, LARGEST, starts, masks);                                 \
        CALL_SWEEP(KIND, _gradient_sweep, LARGEST, LARGEST_SWEEP, group,                              \
                   x, dy, pixels, cIn, cOut, starts, masks, sums)                                     \
    }                                                                                                 \
}
DEFINE_WEIGHT_SUMS(narrow_weight_sums, NARROW, narrow, 8, 3, narrow_gradient_sweep3)
DEFINE_WEIGHT_SUMS(wide_weight_sums, WIDE, wide, 16, 4, wide_gradient_sweep4)

void cadence_pointwise_weight_sums(const float *x, const float *dy, long pixels, long cIn, long cOut,
                                   float *sums, int wide) {
    if (wide && cOut >= 16) wide_weight_sums(x, dy, pixels, cIn, cOut, sums);
    else narrow_weight_sums(x, dy, pixels, cIn, cOut, sums);
}

void cadence_pointwise_pixels(const float *x, long pixels, long cIn, long cOut, const float *w,
                              const float *bias, const float *residual, float *y, int wide) {
    if (wide && cOut >= 16) wide_pixels(x, pixels, cIn, cOut, w, bias, residual, y);
    else narrow_pixels(x, pixels, cIn, cOut, w, bias, residual, y);
}
#endif
