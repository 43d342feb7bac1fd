#ifndef CADENCE_POINTWISE_BLOCKS_H
#define CADENCE_POINTWISE_BLOCKS_H

// The register blocks of the pointwise (1x1x1) conv with few input channels: `y[p, o] = bias[o] +
// Σ_c x[p, c] * w[c, o] (+ residual[p, o])` for a run of pixels, with the inputs broadcast and the
// outputs in channel vectors (the last one moved back to end at the last channel when the count is not
// a multiple of the lanes).
//
// Blocks of P pixels by V output vectors keep P * V sums in registers: with AVX2's 16 registers 4x3,
// 6x2 and 8x1; with AVX-512's 32 (16-lane vectors) also 4x4, so that X3D's 54 channels (four vectors)
// go in one block. Each block size has enough independent sums to hide the FMA latency, which 4 pixels
// by one vector did not: with 16 lanes, the 54 > 24 project conv (two vectors) ran 12% slower than in 8
// lanes until it took 6x2 blocks. Written in C, like the depthwise kernel, for the exact register use
// and to pick AVX-512 at run time.

#if defined(__x86_64__)
// Both need AVX2 and FMA (`cadence_cpu_has_avx2`); `wide` (16-lane vectors) needs AVX-512
// (`cadence_cpu_has_avx512`).

/// `pixels` output rows `y[p, 0 ..< cOut]` (rows `cOut` apart; `x` rows `cIn` apart) from weights
/// `w[c * cOut + o]`, `bias`, and `residual` (rows `cOut` apart) when not NULL. `cOut` is at least 8, and
/// at least 16 for the wide form; `y` must not overlap `x`.
void cadence_pointwise_pixels(const float *x, long pixels, long cIn, long cOut, const float *w,
                              const float *bias, const float *residual, float *y, int wide);

/// The weight gradient's share of `pixels` pixels: `sums[c * cOut + o] += Σ_p x[p, c] * dy[p, o]` (rows
/// of `x` `cIn` apart, of `dy` `cOut` apart). Blocks of V output vectors by Q input channels keep V * Q
/// sums in registers over the pixels (4x4 with AVX-512, 3x4, 2x6 and 1x8), fed per pixel by V loads of
/// `dy` and Q broadcasts of `x`; a last vector moved back adds only the lanes it owns. `cOut` is at
/// least 8 (16 for the wide form); the pixels' rows of both should fit in L1.
void cadence_pointwise_weight_sums(const float *x, const float *dy, long pixels, long cIn, long cOut,
                                   float *sums, int wide);
#endif

#endif
