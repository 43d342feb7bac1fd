#ifndef CADENCE_POINTWISE_BLOCKS_H
#define CADENCE_POINTWISE_BLOCKS_H

// The register blocks of the pointwise (1x1x1) conv with few input channels: `y[p, o] = bias[o] +
// Σ_c x[p, c] * w[c, o] (+ residual[p, o])` for a run of pixels, with the inputs broadcast and the
// outputs in channel vectors (the last one moved back to end at the last channel when the count is not
// a multiple of the lanes).
//
// Blocks of P pixels by V output vectors keep P * V sums in registers: with AVX2's 16 registers 4x3,
// 6x2 and 8x1; with AVX-512's 32 (16-lane vectors) also 4x4. Each block size has enough independent
// sums to hide the FMA latency, which 4 pixels by one vector did not: with 16 lanes, the 54 > 24
// project conv (two vectors) ran 12% slower than in 8 lanes until it took 6x2 blocks. With 16 lanes, an
// output count 1 to 8 past a multiple of 16 (X3D's 24 and 54) ends in paired vectors, 8 outputs by 2
// inputs each (`PointwiseBlocks.c`). Written in C, like the depthwise kernel, for the exact register
// use and to pick AVX-512 at run time.

#if defined(__x86_64__)
// Both need AVX2 and FMA (`cadence_cpu_has_avx2`); `wide` (16-lane vectors) needs AVX-512
// (`cadence_cpu_has_avx512`).

/// Floats of the packed weights and bias for `cadence_pointwise_pixels` (`cadence_pointwise_pack`).
long cadence_pointwise_packed_floats(long cIn, long cOut, int wide);

/// Packs `weights` (`[cOut][cIn]`, or `[cIn][cOut]` when `transposed`) and `bias` (zeros when NULL) for
/// `cadence_pointwise_pixels` with the same `wide` into `packed` (64-byte aligned), once per conv: the
/// weights as `[cIn][cOut]` (one vector load covers consecutive output channels), and in the wide form
/// for output counts that leave 1 to 8 channels past a multiple of 16, the interleaved weights of the
/// paired vectors (`PointwiseBlocks.c`).
void cadence_pointwise_pack(float *packed, const float *weights, int transposed, const float *bias, long cIn,
                            long cOut, int wide);

/// `pixels` output rows `y[p, 0 ..< cOut]` (rows `cOut` apart; `x` rows `cIn` apart) from the `packed`
/// weights and bias, and `residual` (rows `cOut` apart) when not NULL. `cOut` is at least 8, and at least
/// 16 for the wide form, `cIn` at most 128; `y` must not overlap `x`.
void cadence_pointwise_pixels(const float *x, long pixels, long cIn, long cOut, const float *packed,
                              const float *residual, float *y, int wide);

/// The weight gradient's share of `pixels` pixels: `sums[c * cOut + o] += Σ_p x[p, c] * dy[p, o]` (rows
/// of `x` `cIn` apart, of `dy` `cOut` apart). Blocks of V output vectors by Q input channels keep V * Q
/// sums in registers over the pixels (4x4 with AVX-512, 3x4, 2x6 and 1x8), fed per pixel by V loads of
/// `dy` and Q broadcasts of `x`; a last vector moved back adds only the lanes it owns. `cOut` is at
/// least 8 (16 for the wide form); the pixels' rows of both should fit in L1.
void cadence_pointwise_weight_sums(const float *x, const float *dy, long pixels, long cIn, long cOut,
                                   float *sums, int wide);
#endif

#endif
