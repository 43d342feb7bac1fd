// The 3x3x3 depthwise forward (stride 1, padding 1) on channel-blocked copies of a band's input rows.
// See include/DepthwisePackedBand.h for the layout and why.
#include "DepthwisePackedBand.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

/// First channel of channel block `block`: multiples of 8, the last block moved back to end at the last
/// channel when the count is not a multiple of 8 (it recomputes a few channels of the block before).
static inline long block_start(long block, long channels) {
    long start = block * 8;
    return start + 8 <= channels ? start : channels - 8;
}

long cadence_depthwise_channel_blocks(long channels) { return (channels + 7) / 8; }

int cadence_depthwise_packed_supported(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2")))
void cadence_depthwise_pack(float *packed, const float *frame, long firstRow, long rows, long height,
                            long width, long channels) {
    const long blocks = cadence_depthwise_channel_blocks(channels), columns = width + 2;
    const long plane = rows * columns * 8;
    for (long r = 0; r < rows; r++) {
        const long h = firstRow + r;
        if (frame == NULL || h < 0 || h >= height) {
            for (long b = 0; b < blocks; b++) {
                memset(packed + b * plane + r * columns * 8, 0, columns * 8 * sizeof(float));
            }
            continue;
        }
        const float *source = frame + h * width * channels;
        for (long b = 0; b < blocks; b++) {
            float *row = packed + b * plane + r * columns * 8;
            _mm256_store_ps(row, _mm256_setzero_ps());
            _mm256_store_ps(row + (columns - 1) * 8, _mm256_setzero_ps());
        }
        for (long w = 0; w < width; w++) {
            const float *pixel = source + w * channels;
            float *column = packed + r * columns * 8 + (w + 1) * 8;
            for (long b = 0; b < blocks; b++) {
                _mm256_store_ps(column + b * plane, _mm256_loadu_ps(pixel + block_start(b, channels)));
            }
        }
    }
}

/// `WIDTH` consecutive outputs of one channel block: each of the 9 input rows (3 frames x 3 rows) loads
/// its WIDTH + 2 columns once, and each column feeds the three taps that use it. At WIDTH 12 the
/// accumulators, 3 weights and the column fill the 16 vector registers, and 12 independent sums keep
/// both FMA units busy despite their latency.
#define FMA(a, v, w) a = _mm256_fmadd_ps(v, w, a)
#define DEFINE_BLOCK(WIDTH)                                                                            \
__attribute__((target("avx2,fma"), always_inline))                                                    \
static inline void block##WIDTH(const float *const *rows, const float *taps, __m256 bias, float *out, \
                                long channels) {                                                      \
    __m256 acc[WIDTH];                                                                                \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int j = 0; j < WIDTH; j++) acc[j] = bias;                                                    \
    for (int r = 0; r < 9; r++) {                                                                     \
        const float *p = rows[r];                                                                     \
        const __m256 w0 = _mm256_load_ps(taps + r * 24), w1 = _mm256_load_ps(taps + r * 24 + 8);      \
        const __m256 w2 = _mm256_load_ps(taps + r * 24 + 16);                                         \
        _Pragma("clang loop unroll(full)")                                                            \
        for (int j = 0; j < WIDTH + 2; j++) {                                                         \
            const __m256 v = _mm256_load_ps(p + j * 8);                                               \
            if (j >= 2) FMA(acc[j - 2], v, w2);                                                       \
            if (j >= 1 && j <= WIDTH) FMA(acc[j - 1], v, w1);                                         \
            if (j < WIDTH) FMA(acc[j], v, w0);                                                        \
        }                                                                                             \
    }                                                                                                 \
    _Pragma("clang loop unroll(full)")                                                                \
    for (int j = 0; j < WIDTH; j++) _mm256_storeu_ps(out + j * channels, acc[j]);                     \
}
DEFINE_BLOCK(12)
DEFINE_BLOCK(8)
DEFINE_BLOCK(4)

__attribute__((target("avx2,fma")))
void cadence_depthwise_band(const float *previous, const float *current, const float *next, long rows,
                            long width, long channels, const float *weights, const float *bias, float *out,
                            const float *const *prefetchRows, long prefetchCount, long prefetchFloats,
                            float *streamDestination, const float *streamSource, long streamFloats) {
    const long blocks = cadence_depthwise_channel_blocks(channels), columns = width + 2;
    const long plane = (rows + 2) * columns * 8;
    const float *frames[3] = {previous, current, next};
    const long prefetchLines = (prefetchFloats + 15) / 16, steps = blocks * rows;
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
    for (long b = 0; b < blocks; b++) {
        const long c0 = block_start(b, channels);
        const float *taps = weights + b * 27 * 8;
        const __m256 bv = _mm256_loadu_ps(bias + c0);
        for (long h = 0; h < rows; h++) {
            const float *rowStarts[9];
            for (int kt = 0; kt < 3; kt++)
                for (int kh = 0; kh < 3; kh++) {
                    rowStarts[kt * 3 + kh] = frames[kt] + b * plane + (h + kh) * columns * 8;
                }
            float *o = out + h * width * channels + c0;
            const float *at[9];
#define AT(offset) for (int r = 0; r < 9; r++) at[r] = rowStarts[r] + (offset) * 8
            // 12-wide blocks, then an 8 and 4s; a last partial block moves back to end at the row's
            // end, recomputing a few outputs.
            long w = 0;
            for (; w + 12 <= width; w += 12) { AT(w); block12(at, taps, bv, o + w * channels, channels); }
            if (w + 8 <= width) { AT(w); block8(at, taps, bv, o + w * channels, channels); w += 8; }
            for (; w + 4 <= width; w += 4) { AT(w); block4(at, taps, bv, o + w * channels, channels); }
            if (w < width) { AT(width - 4); block4(at, taps, bv, o + (width - 4) * channels, channels); }
#undef AT
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
