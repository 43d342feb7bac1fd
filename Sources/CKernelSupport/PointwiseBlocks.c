// The pointwise conv's register blocks; include/PointwiseBlocks.h says what and why.
#include "PointwiseBlocks.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

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

/// Outputs whose last few channels (1 to 8) would take a whole 16-lane vector waste lanes: X3D's 24
/// channels take 32 lanes and its 54 take 64. Those channels go in paired vectors instead: 8 output
/// channels by 2 input channels, lane 2j summing input channel c and lane 2j + 1 channel c + 1 for the
/// vector's output channel j. One 64-bit broadcast of a pixel's two inputs (`x[c]` and `x[c + 1]` lie side
/// by side) feeds them, and each pixel's lane pairs are added once at the end. The last group of output
/// vectors is then either
/// - V = 2 or 3 whole vectors and one paired vector (54 channels: 7 FMAs per pixel and input-channel
///   pair instead of 8), the whole vectors fed by the two inputs permuted out of the pair's broadcast; or
/// - K = 1 or 3 paired vectors and no whole one (24 channels: 3 FMAs instead of 4). With one whole
///   vector the two permutes per input pair cost more than they feed: 24 channels from 54 ran in
///   0.62-0.63 ms at 1 thread that way and in 0.55-0.57 ms all paired, where 54 channels ran slower
///   all paired (0.59-0.61 against 0.55-0.57 ms).
/// Paired vectors start at `pairStarts` (the last moved back to end at `cOut`); their weights come
/// interleaved as `pairs[c / 2][K][16]` (zeros for a missing last odd channel) and their bias as
/// `pairBias[K * 8]` (8 floats of padding after), both packed once per conv (`PackedWeights`).
#define DEFINE_PAIRED_BLOCK(NAME, P, V, K)                                                            \
__attribute__((target(WIDE), always_inline))                                                          \
static inline void NAME(const float *x, long cIn, long cOut, const float *w, const long *starts,      \
                        const float *pairs, const long *pairStarts, const float *pairBias,            \
                        const float *bias, const float *residual, float *y) {                         \
    __m512 acc[P][V + 1], paired[P][K];                                                               \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int p = 0; p < P; p++) {                                                                     \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) {                                                                 \
            const __m512 b = _mm512_loadu_ps(bias + starts[v]);                                       \
            acc[p][v] = residual ? _mm512_add_ps(b, _mm512_loadu_ps(residual + p * cOut + starts[v])) : b; \
        }                                                                                             \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int k = 0; k < K; k++) paired[p][k] = _mm512_setzero_ps();                               \
    }                                                                                                 \
    long c = 0;                                                                                       \
    for (; c + 2 <= cIn; c += 2) {                                                                    \
        __m512 w0[V + 1], w1[V + 1], wp[K];                                                           \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) {                                                                 \
            w0[v] = _mm512_loadu_ps(w + c * cOut + starts[v]);                                        \
            w1[v] = _mm512_loadu_ps(w + (c + 1) * cOut + starts[v]);                                  \
        }                                                                                             \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int k = 0; k < K; k++) wp[k] = _mm512_load_ps(pairs + (c / 2 * K + k) * 16);             \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int p = 0; p < P; p++) {                                                                 \
            double pair;                                                                              \
            memcpy(&pair, x + p * cIn + c, sizeof pair);                                              \
            const __m512 both = _mm512_castpd_ps(_mm512_set1_pd(pair));                               \
            _Pragma("clang loop unroll(full)")                                                        \
            for (int k = 0; k < K; k++) paired[p][k] = _mm512_fmadd_ps(both, wp[k], paired[p][k]);    \
            if (V > 0) {                                                                              \
                /* From the broadcast: separate loads of the two inputs were merged by the compiler */ \
                /* into one, moved through a general register. */                                     \
                const __m512 x0 = _mm512_permute_ps(both, 0x00), x1 = _mm512_permute_ps(both, 0x55);  \
                _Pragma("clang loop unroll(full)")                                                    \
                for (int v = 0; v < V; v++) acc[p][v] = _mm512_fmadd_ps(x0, w0[v], acc[p][v]);        \
                _Pragma("clang loop unroll(full)")                                                    \
                for (int v = 0; v < V; v++) acc[p][v] = _mm512_fmadd_ps(x1, w1[v], acc[p][v]);        \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
    if (c < cIn) {  /* an odd last input channel: its pair's odd lanes have zero weights */           \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int p = 0; p < P; p++) {                                                                 \
            const __m512 x0 = _mm512_set1_ps(x[p * cIn + c]);                                         \
            _Pragma("clang loop unroll(full)")                                                        \
            for (int k = 0; k < K; k++)                                                               \
                paired[p][k] = _mm512_fmadd_ps(x0, _mm512_load_ps(pairs + (c / 2 * K + k) * 16), paired[p][k]); \
            _Pragma("clang loop unroll(full)")                                                        \
            for (int v = 0; v < V; v++)                                                               \
                acc[p][v] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(w + c * cOut + starts[v]), acc[p][v]); \
        }                                                                                             \
    }                                                                                                 \
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30); \
    const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31); \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int p = 0; p < P; p++) {                                                                     \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int v = 0; v < V; v++) _mm512_storeu_ps(y + p * cOut + starts[v], acc[p][v]);            \
        /* Two paired vectors at a time: their lane pairs added give 8 outputs each. Stored after */  \
        /* the whole vectors, so a moved-back one wins the channels both cover. */                    \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int k = 0; k < K; k += 2) {                                                              \
            const __m512 next = k + 1 < K ? paired[p][k + 1] : _mm512_setzero_ps();                   \
            const __m512 sums = _mm512_add_ps(_mm512_permutex2var_ps(paired[p][k], evens, next),      \
                                              _mm512_permutex2var_ps(paired[p][k], odds, next));      \
            const __m512 t = _mm512_add_ps(sums, _mm512_loadu_ps(pairBias + k * 8));                  \
            const __m256 halves[2] = {_mm512_castps512_ps256(t),                                      \
                                      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1))}; \
            _Pragma("clang loop unroll(full)")                                                        \
            for (int half = 0; half < 2 && k + half < K; half++) {                                    \
                const long at = p * cOut + pairStarts[k + half];                                      \
                _mm256_storeu_ps(y + at, residual ? _mm256_add_ps(halves[half], _mm256_loadu_ps(residual + at)) \
                                                  : halves[half]);                                    \
            }                                                                                         \
        }                                                                                             \
    }                                                                                                 \
}

/// The last group's sweep: blocks of P pixels, then single pixels (the input rows two blocks ahead
/// requested when `prefetch`, as in `DEFINE_SWEEP`).
#define DEFINE_PAIRED_SWEEP(NAME, P, V, K, BLOCK, SINGLE)                                             \
__attribute__((target(WIDE), always_inline))                                                          \
static inline void NAME(const float *x, long pixels, long cIn, long cOut, const float *w,             \
                        const long *starts, const float *pairs, const long *pairStarts,               \
                        const float *pairBias, const float *bias, const float *residual, float *y,    \
                        int prefetch) {                                                               \
    long p = 0;                                                                                       \
    for (; p + P <= pixels; p += P) {                                                                 \
        if (prefetch)                                                                                 \
            for (long f = 0; f < P * cIn; f += 16) __builtin_prefetch(x + (p + 2 * P) * cIn + f, 0, 3); \
        BLOCK(x + p * cIn, cIn, cOut, w, starts, pairs, pairStarts, pairBias, bias,                   \
              residual ? residual + p * cOut : 0, y + p * cOut);                                      \
    }                                                                                                 \
    for (; p < pixels; p++)                                                                           \
        SINGLE(x + p * cIn, cIn, cOut, w, starts, pairs, pairStarts, pairBias, bias,                  \
               residual ? residual + p * cOut : 0, y + p * cOut);                                     \
}
DEFINE_PAIRED_BLOCK(paired12x0x1, 12, 0, 1) DEFINE_PAIRED_BLOCK(paired1x0x1, 1, 0, 1)
DEFINE_PAIRED_BLOCK(paired8x0x3, 8, 0, 3) DEFINE_PAIRED_BLOCK(paired1x0x3, 1, 0, 3)
DEFINE_PAIRED_BLOCK(paired6x2x1, 6, 2, 1) DEFINE_PAIRED_BLOCK(paired1x2x1, 1, 2, 1)
DEFINE_PAIRED_BLOCK(paired4x3x1, 4, 3, 1) DEFINE_PAIRED_BLOCK(paired1x3x1, 1, 3, 1)
DEFINE_PAIRED_SWEEP(paired_sweep0x1, 12, 0, 1, paired12x0x1, paired1x0x1)
DEFINE_PAIRED_SWEEP(paired_sweep0x3, 8, 0, 3, paired8x0x3, paired1x0x3)
DEFINE_PAIRED_SWEEP(paired_sweep2x1, 6, 2, 1, paired6x2x1, paired1x2x1)
DEFINE_PAIRED_SWEEP(paired_sweep3x1, 4, 3, 1, paired4x3x1, paired1x3x1)

/// Where `cadence_pointwise_pack` leaves each part: the weights `[cIn][cOut]`, the bias, and for the
/// wide form of a `cOut % 16` from 1 to 8 the last group's paired vectors: V whole vectors (from
/// channel `first`) and K paired ones at `pairStarts`, their weights at `pairs` and bias at `pairBias`
/// (offsets in floats; `pairs` on a 64-byte line).
typedef struct {
    long bias, pairs, pairBias, floats;
    long grouped, V, K, first, pairStarts[3];
} PackedWeights;

static PackedWeights packed_weights(long cIn, long cOut, int wide) {
    PackedWeights layout = {.bias = cIn * cOut};
    layout.pairs = (cIn * cOut + cOut + 15) / 16 * 16;
    layout.floats = layout.pairs;
    if (!(wide && cOut >= 16 && cOut % 16 != 0 && cOut % 16 <= 8)) return layout;
    const long whole = cOut / 16, last = whole % 4;
    // The last group: `last` whole vectors and one paired vector, or (`last` under 2) all paired.
    layout.grouped = whole - last;
    layout.V = last >= 2 ? last : 0;
    layout.K = last >= 2 ? 1 : 2 * last + 1;
    layout.first = layout.grouped * 16;
    for (long k = 0; k < layout.K; k++) {
        const long start = layout.first + layout.V * 16 + k * 8;
        layout.pairStarts[k] = start + 8 <= cOut ? start : cOut - 8;
    }
    layout.pairBias = layout.pairs + (cIn + 1) / 2 * layout.K * 16;
    layout.floats = layout.pairBias + (layout.K + 1) * 8;
    return layout;
}

long cadence_pointwise_packed_floats(long cIn, long cOut, int wide) {
    return packed_weights(cIn, cOut, wide).floats;
}

void cadence_pointwise_pack(float *packed, const float *weights, int transposed, const float *bias, long cIn,
                            long cOut, int wide) {
    const PackedWeights layout = packed_weights(cIn, cOut, wide);
    for (long c = 0; c < cIn; c++)
        for (long o = 0; o < cOut; o++)
            packed[c * cOut + o] = transposed ? weights[c * cOut + o] : weights[o * cIn + c];
    for (long o = 0; o < cOut; o++) packed[layout.bias + o] = bias ? bias[o] : 0;
    if (layout.K == 0) return;
    const float *w = packed;
    float *pairs = packed + layout.pairs, *pairBias = packed + layout.pairBias;
    for (long c = 0; c < cIn; c += 2)
        for (long k = 0; k < layout.K; k++)
            for (long j = 0; j < 8; j++) {
                float *pair = pairs + (c / 2 * layout.K + k) * 16 + 2 * j;
                pair[0] = w[c * cOut + layout.pairStarts[k] + j];
                pair[1] = c + 1 < cIn ? w[(c + 1) * cOut + layout.pairStarts[k] + j] : 0;
            }
    for (long k = 0; k <= layout.K; k++)
        for (long j = 0; j < 8; j++)
            pairBias[k * 8 + j] = k < layout.K ? packed[layout.bias + layout.pairStarts[k] + j] : 0;
}

/// The wide form with paired vectors: whole vectors in groups of four (`wide_sweep4`), then the last
/// group.
__attribute__((target(WIDE)))
static void wide_pixels_paired(const float *x, long pixels, long cIn, long cOut, const float *packed,
                               PackedWeights layout, const float *residual, float *y) {
    const float *w = packed, *bias = packed + layout.bias;
    long starts[4];
    for (long v = 0; v < layout.grouped; v += 4) {
        for (long i = 0; i < 4; i++) starts[i] = (v + i) * 16;
        wide_sweep4(x, pixels, cIn, cOut, w, starts, bias, residual, y, v == 0);
    }
    for (long v = 0; v < layout.V; v++) starts[v] = layout.first + v * 16;
    const int prefetch = layout.grouped == 0;
#define PAIRED_ARGS x, pixels, cIn, cOut, w, starts, packed + layout.pairs, layout.pairStarts, \
                    packed + layout.pairBias, bias, residual, y, prefetch
    if (layout.V == 3) paired_sweep3x1(PAIRED_ARGS);
    else if (layout.V == 2) paired_sweep2x1(PAIRED_ARGS);
    else if (layout.K == 3) paired_sweep0x3(PAIRED_ARGS);
    else paired_sweep0x1(PAIRED_ARGS);
#undef PAIRED_ARGS
}

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

void cadence_pointwise_pixels(const float *x, long pixels, long cIn, long cOut, const float *packed,
                              const float *residual, float *y, int wide) {
    const PackedWeights layout = packed_weights(cIn, cOut, wide);
    const float *bias = packed + layout.bias;
    if (layout.K > 0) wide_pixels_paired(x, pixels, cIn, cOut, packed, layout, residual, y);
    else if (wide && cOut >= 16) wide_pixels(x, pixels, cIn, cOut, packed, bias, residual, y);
    else narrow_pixels(x, pixels, cIn, cOut, packed, bias, residual, y);
}
#endif
