#ifndef CADENCE_DEPTHWISE_PACKED_BAND_H
#define CADENCE_DEPTHWISE_PACKED_BAND_H

// The 3x3x3 depthwise conv forward (stride 1, padding 1, at least 8 channels) over a band of output
// rows, from channel-blocked copies of the band's input rows.
//
// Channels-last pixels of 54 or 108 channels are not a multiple of the 64-byte cache line: a third of
// the vector loads straddle two lines, and each line holds channels of several vectors, so a kernel
// reading the activation directly brings every line from L2 again for each output row and ran at
// about 55% of the FMA peak with its data in L2. Copied as `[channel block][row][column][8]` (a zero
// column at each end for the padding), every load is aligned, one channel block's rows for a band fit
// in L1, and 12-wide blocks keep 12 accumulators: the arithmetic of X3D-M's res2 conv (C54 16x56x56)
// took 2.26 ms at 1 thread against 2.7-2.9 ms, and with the copy and the memory traffic the whole
// conv ran 12-25% faster at 1 thread and 10-30% at 2 (in-process A/B runs on a noisy host).
// With AVX-512 (Zen 4 and 5) the blocks are 16 lanes and, with 32 vector registers, 28 outputs wide:
// X3D-M's res2 conv took 1.31 ms at 1 thread on Zen 5 against 1.54 ms in 8-lane blocks; its arithmetic
// alone runs at about 75% of the FMA peak, and the copy and memory traffic take about 0.5 ms.
// x86-64 (AVX2 + FMA) only; elsewhere the caller uses its portable kernel. Written in C because the
// 12-wide block needs all 16 vector registers without spills, which Swift's SIMD types did not give.

#if defined(__x86_64__)
// The kernel needs AVX2 and FMA (`cadence_cpu_has_avx2`). Its `wide` form, where the CPU has AVX-512
// (`cadence_cpu_has_avx512`), runs 16-lane blocks (twice the lanes per FMA) and, with 32 vector
// registers, 28-wide ones. Every call for one conv passes the same `wide`; 0 gives the AVX2 form, which
// tests cover on such machines too.

/// Floats of one packed input row over all channel blocks (`[block][rows][width + 2][lanes]`, each
/// block's plane `stride` lanes apart), rounded up to a 64-byte line: a band of `r` rows takes
/// `r * cadence_depthwise_packed_row_floats(...)` floats, 64-byte aligned.
long cadence_depthwise_packed_row_floats(long width, long channels, int wide);

/// Floats of the packed weights, `[block][27 taps][lanes]`.
long cadence_depthwise_packed_weight_floats(long channels, int wide);

/// Packs the conv weights (`[channels][3][3][3]`) into `packed` (64-byte aligned) for
/// `cadence_depthwise_band`.
void cadence_depthwise_pack_weights(float *packed, const float *weights, long channels, int wide);

/// Copies rows `firstRow ..< firstRow + rows` of `frame` (`[height][width][channels]`, rows outside it
/// and all rows when `frame` is NULL read as zeros) to `packed` (64-byte aligned) in channel blocks.
void cadence_depthwise_pack(float *packed, const float *frame, long firstRow, long rows, long height,
                            long width, long channels, int wide);

/// `rows` output rows of one frame: `previous`, `current` and `next` are the packed rows
/// `-1 ..< rows + 1` around them of the three input frames (zeros outside the clip); `weights` as
/// `cadence_depthwise_pack_weights` left them; the result is written channels-last to `out`
/// (`[rows][width][channels]`).
/// While it computes, the first `prefetchFloats` floats of each of the `prefetchCount` rows in
/// `prefetchRows` are requested from memory, and `streamFloats` floats (the previous frame's output) are
/// copied from `streamSource` to `streamDestination` with non-temporal stores; the caller fences before
/// other threads read them.
void cadence_depthwise_band(const float *previous, const float *current, const float *next, long rows,
                            long width, long channels, const float *weights, const float *bias, float *out,
                            const float *const *prefetchRows, long prefetchCount, long prefetchFloats,
                            float *streamDestination, const float *streamSource, long streamFloats,
                            int wide);
#endif

#endif
