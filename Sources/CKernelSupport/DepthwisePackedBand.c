// The 3x3x3 depthwise forward (stride 1, padding 1) on channel-blocked copies of a band's input rows.
// See include/DepthwisePackedBand.h for the layout and why.
#include "DepthwisePackedBand.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

/// How a channel count is cut into blocks: with AVX-512, blocks of 16 lanes, and a remainder of at most 8
/// channels as a last block of 8 (a 16-lane block there would compute up to 15 channels twice: 10 of
/// X3D-M's 64 for its 54); with AVX2 only, or fewer than 16 channels, blocks of 8. A last block that does
/// not fill is moved back to end at the last channel, recomputing a few channels of the block before.
typedef struct {
    long blocks, stride;  // `stride`: the lanes every block but the last has, and the spacing of blocks
    int lastLanes;
} ChannelBlocks;

static ChannelBlocks channel_blocks(long channels, int wide) {
    if (wide && channels >= 16) {
        const long remainder = channels % 16;
        return (ChannelBlocks){(channels + 15) / 16, 16, remainder != 0 && remainder <= 8 ? 8 : 16};
    }
    return (ChannelBlocks){(channels + 7) / 8, 8, 8};
}

static inline int block_lanes(ChannelBlocks layout, long block) {
    return block == layout.blocks - 1 ? layout.lastLanes : (int)layout.stride;
}

static inline long block_start(ChannelBlocks layout, long block, long channels) {
    const long start = block * layout.stride, lanes = block_lanes(layout, block);
    return start + lanes <= channels ? start : channels - lanes;
}

long cadence_depthwise_packed_row_floats(long width, long channels, int wide) {
    const ChannelBlocks layout = channel_blocks(channels, wide);
    // Rounded to a whole 64-byte line, so that every row and frame of the ring starts on one.
    const long floats = (layout.blocks - 1) * layout.stride * (width + 2) + layout.lastLanes * (width + 2);
    return (floats + 15) / 16 * 16;
}

long cadence_depthwise_packed_weight_floats(long channels, int wide) {
    const ChannelBlocks layout = channel_blocks(channels, wide);
    return layout.blocks * layout.stride * 27;
}

void cadence_depthwise_pack_weights(float *packed, const float *weights, long channels, int wide) {
    const ChannelBlocks layout = channel_blocks(channels, wide);
    for (long b = 0; b < layout.blocks; b++) {
        const long c0 = block_start(layout, b, channels), lanes = block_lanes(layout, b);
        float *taps = packed + b * layout.stride * 27;
        for (long k = 0; k < 27; k++)
            for (long lane = 0; lane < lanes; lane++) taps[k * lanes + lane] = weights[(c0 + lane) * 27 + k];
    }
}

__attribute__((target("avx2")))
void cadence_depthwise_pack(float *packed, const float *frame, long firstRow, long rows, long height,
                            long width, long channels, int wide) {
    const ChannelBlocks layout = channel_blocks(channels, wide);
    const long columns = width + 2, plane = rows * columns * layout.stride;
    for (long b = 0; b < layout.blocks; b++) {
        const long lanes = block_lanes(layout, b), c0 = block_start(layout, b, channels);
        float *blockRows = packed + b * plane;
        for (long r = 0; r < rows; r++) {
            float *row = blockRows + r * columns * lanes;
            const long h = firstRow + r;
            if (frame == NULL || h < 0 || h >= height) {
                memset(row, 0, columns * lanes * sizeof(float));
                continue;
            }
            memset(row, 0, lanes * sizeof(float));
            memset(row + (columns - 1) * lanes, 0, lanes * sizeof(float));
            const float *source = frame + h * width * channels + c0;
            if (lanes == 16) {
                for (long w = 0; w < width; w++) {
                    _mm256_store_ps(row + (w + 1) * 16, _mm256_loadu_ps(source + w * channels));
                    _mm256_store_ps(row + (w + 1) * 16 + 8, _mm256_loadu_ps(source + w * channels + 8));
                }
            } else {
                for (long w = 0; w < width; w++)
                    _mm256_store_ps(row + (w + 1) * 8, _mm256_loadu_ps(source + w * channels));
            }
        }
    }
}

/// `WIDTH` consecutive outputs of one channel block: each of the 9 input rows (3 frames x 3 rows) loads
/// its WIDTH + 2 columns once, and each column feeds the three taps that use it. The accumulators, 3
/// weights and the column fill the vector registers (16 with AVX2: 12 wide; 32 with AVX-512: 28 wide),
/// and that many independent sums keep both FMA units busy despite their latency.
#define DEFINE_BLOCK(NAME, WIDTH, TARGET, VEC, LANES, LOAD, FMADD, STOREU)                               \
__attribute__((target(TARGET), always_inline))                                                        \
static inline void NAME(const float *const *rows, const float *taps, VEC bias, float *out,            \
                        long channels) {                                                              \
    VEC acc[WIDTH];                                                                                   \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int j = 0; j < WIDTH; j++) acc[j] = bias;                                                    \
    for (int r = 0; r < 9; r++) {                                                                     \
        const float *p = rows[r];                                                                     \
        const VEC w0 = LOAD(taps + r * 3 * LANES), w1 = LOAD(taps + r * 3 * LANES + LANES);           \
        const VEC w2 = LOAD(taps + r * 3 * LANES + 2 * LANES);                                        \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int j = 0; j < WIDTH + 2; j++) {                                                         \
            const VEC v = LOAD(p + j * LANES);                                                        \
            if (j >= 2) acc[j - 2] = FMADD(v, w2, acc[j - 2]);                                        \
            if (j >= 1 && j <= WIDTH) acc[j - 1] = FMADD(v, w1, acc[j - 1]);                          \
            if (j < WIDTH) acc[j] = FMADD(v, w0, acc[j]);                                             \
        }                                                                                             \
    }                                                                                                 \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int j = 0; j < WIDTH; j++) STOREU(out + j * channels, acc[j]);                               \
}
#define AVX2 "avx2,fma"
#define AVX512 "avx512f,avx512vl,fma"
DEFINE_BLOCK(narrow12, 12, AVX2, __m256, 8, _mm256_load_ps, _mm256_fmadd_ps, _mm256_storeu_ps)
DEFINE_BLOCK(narrow8, 8, AVX2, __m256, 8, _mm256_load_ps, _mm256_fmadd_ps, _mm256_storeu_ps)
DEFINE_BLOCK(narrow4, 4, AVX2, __m256, 8, _mm256_load_ps, _mm256_fmadd_ps, _mm256_storeu_ps)
DEFINE_BLOCK(wide28, 28, AVX512, __m512, 16, _mm512_load_ps, _mm512_fmadd_ps, _mm512_storeu_ps)
DEFINE_BLOCK(wide14, 14, AVX512, __m512, 16, _mm512_load_ps, _mm512_fmadd_ps, _mm512_storeu_ps)
DEFINE_BLOCK(wide8, 8, AVX512, __m512, 16, _mm512_load_ps, _mm512_fmadd_ps, _mm512_storeu_ps)
// The 8-lane last block on AVX-512 machines, with its 32 registers.
DEFINE_BLOCK(half28, 28, AVX512, __m256, 8, _mm256_load_ps, _mm256_fmadd_ps, _mm256_storeu_ps)
DEFINE_BLOCK(half14, 14, AVX512, __m256, 8, _mm256_load_ps, _mm256_fmadd_ps, _mm256_storeu_ps)
DEFINE_BLOCK(half8, 8, AVX512, __m256, 8, _mm256_load_ps, _mm256_fmadd_ps, _mm256_storeu_ps)

/// One output row of one channel block, covered by blocks of `large`, then `middle`, then `small`
/// outputs; a last partial block moves back to end at the row's end, recomputing a few outputs (rows
/// are at least `small` wide).
#define DEFINE_ROW(NAME, TARGET, VEC, LANES, LOADU, large, middle, small)                              \
__attribute__((target(TARGET)))                                                                       \
static void NAME(const float *const *rowStarts, long width, const float *taps, const float *bias,     \
                 float *out, long channels) {                                                         \
    const VEC bv = LOADU(bias);                                                                       \
    const float *at[9];                                                                               \
    long w = 0;                                                                                       \
    _Pragma("clang loop unroll(disable)")                                                             \
    for (; w + large##_width <= width; w += large##_width) {                                           \
        for (int r = 0; r < 9; r++) at[r] = rowStarts[r] + w * LANES;                                 \
        large(at, taps, bv, out + w * channels, channels);                                            \
    }                                                                                                 \
    if (w + middle##_width <= width) {                                                                \
        for (int r = 0; r < 9; r++) at[r] = rowStarts[r] + w * LANES;                                 \
        middle(at, taps, bv, out + w * channels, channels);                                           \
        w += middle##_width;                                                                          \
    }                                                                                                 \
    _Pragma("clang loop unroll(disable)")                                                             \
    for (; w + small##_width <= width; w += small##_width) {                                           \
        for (int r = 0; r < 9; r++) at[r] = rowStarts[r] + w * LANES;                                 \
        small(at, taps, bv, out + w * channels, channels);                                            \
    }                                                                                                 \
    if (w < width) {                                                                                  \
        w = width - small##_width;                                                                    \
        for (int r = 0; r < 9; r++) at[r] = rowStarts[r] + w * LANES;                                 \
        small(at, taps, bv, out + w * channels, channels);                                            \
    }                                                                                                 \
}
enum { narrow12_width = 12, narrow8_width = 8, narrow4_width = 4, wide28_width = 28, wide14_width = 14,
       wide8_width = 8, half28_width = 28, half14_width = 14, half8_width = 8 };
DEFINE_ROW(narrow_row, AVX2, __m256, 8, _mm256_loadu_ps, narrow12, narrow8, narrow4)
DEFINE_ROW(wide_row, AVX512, __m512, 16, _mm512_loadu_ps, wide28, wide14, wide8)
DEFINE_ROW(half_row, AVX512, __m256, 8, _mm256_loadu_ps, half28, half14, half8)

__attribute__((target("avx2,fma")))
void cadence_depthwise_band(const float *previous, const float *current, const float *next, long rows,
                            long width, long channels, const float *weights, const float *bias, float *out,
                            const float *const *prefetchRows, long prefetchCount, long prefetchFloats,
                            float *streamDestination, const float *streamSource, long streamFloats,
                            int wide) {
    const ChannelBlocks layout = channel_blocks(channels, wide);
    const long columns = width + 2, plane = (rows + 2) * columns * layout.stride;
    const float *frames[3] = {previous, current, next};
    const long prefetchLines = (prefetchFloats + 15) / 16, steps = layout.blocks * rows;
    long prefetched = 0, step = 0;
    // The previous frame's output leaves with non-temporal stores, a share after each output row, so
    // that the stores drain while the FMAs run: 5% faster at 2 threads than streaming it all at once.
    long head = 0;
    while (head < streamFloats && (((unsigned long)(streamDestination + head)) & 31) != 0) {
        streamDestination[head] = streamSource[head];
        head++;
    }
    const long streamVectors = (streamFloats - head) / 8;
    long streamed = 0;
    // Channel blocks outermost: a block's rows for the three frames fit in L1, so moving down one
    // output row reads only three new input rows from L2.
    for (long b = 0; b < layout.blocks; b++) {
        const long c0 = block_start(layout, b, channels), lanes = block_lanes(layout, b);
        const float *taps = weights + b * layout.stride * 27;
        for (long h = 0; h < rows; h++) {
            const float *rowStarts[9];
            for (int kt = 0; kt < 3; kt++)
                for (int kh = 0; kh < 3; kh++) {
                    rowStarts[kt * 3 + kh] = frames[kt] + b * plane + (h + kh) * columns * lanes;
                }
            float *o = out + h * width * channels + c0;
            if (layout.stride == 8) narrow_row(rowStarts, width, taps, bias + c0, o, channels);
            else if (lanes == 16) wide_row(rowStarts, width, taps, bias + c0, o, channels);
            else half_row(rowStarts, width, taps, bias + c0, o, channels);
            step++;
            const long streamTarget = streamVectors * step / steps;
            for (; streamed < streamTarget; streamed++) {
                const long f = head + streamed * 8;
                _mm256_stream_ps(streamDestination + f, _mm256_loadu_ps(streamSource + f));
            }
            // The input rows the next frame's copy reads, a share per output row, so their lines
            // arrive from memory while this frame computes.
            const long target = prefetchLines * step / steps;
            for (; prefetched < target; prefetched++)
                for (long i = 0; i < prefetchCount; i++) __builtin_prefetch(prefetchRows[i] + prefetched * 16, 0, 3);
        }
    }
    for (long f = head + streamVectors * 8; f < streamFloats; f++) streamDestination[f] = streamSource[f];
}
#endif
