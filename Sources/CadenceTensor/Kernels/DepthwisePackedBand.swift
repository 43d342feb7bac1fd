import CKernelSupport
import Foundation

/// X3D's depthwise conv forward (3x3x3, stride 1, padding 1) on x86-64: bands of output rows swept over
/// the frames, each input frame's rows for the band copied once, channel-blocked, and read by the three
/// output frames that use it (`DepthwisePackedBand.h` says why).
///
/// Rows narrower than 8 outputs go to `DepthwiseStrips` (those of 4 or more, with at least a vector of
/// channels) or the row sweep: here they would run in 4-wide blocks of one channel vector only (4
/// accumulators), and X3D's 5x5 and 7x7 res5 frames were 15-25% slower than with blocks of two vectors.
/// Fewer than 8 channels have no block.
enum DepthwisePackedBand {
    /// Output rows narrower than this go to `DepthwiseStrips` (see above).
    static let minimumWidth = 8

    /// Whether `forward` takes this depthwise geometry on this machine.
    static func handles(_ g: Conv3dGeometry) -> Bool {
        #if arch(x86_64)
        let one = Dims3(all: 1)
        return KernelCPU.hasAVX2 && g.kernel == Dims3(all: 3) && g.stride == one && g.padding == one
            && g.dilation == one && g.inputChannels >= 8 && g.output.w >= minimumWidth
        #else
        return false
        #endif
    }

    #if arch(x86_64)
    /// L2 bytes for a band's three packed input frames: 9/16 of the core's L2 (288 KiB of Zen 3's
    /// 512 KiB, tuned there; the output rows and other data take the rest). With Zen 5's 1 MiB, 576 KiB
    /// ran the C54 row about 5% faster at 1 thread than 288 KiB did.
    static let ringBytes: Int = {
        #if os(Linux)
        let l2 = sysconf(Int32(_SC_LEVEL2_CACHE_SIZE))
        #else
        let l2 = 0
        #endif
        return (l2 > 0 ? l2 : 512 * 1024) * 9 / 16
    }()

    /// Bands of output rows per clip and runs of frames per band: bands no taller than `rowsFitting`,
    /// enough work items for every thread (4 per thread, as in `DepthwiseConv3d.forward`; as many as
    /// there can be when a clip is too small for that), and of those splits the one that copies the
    /// fewest input rows: a band of `r` rows over a run of `f` frames packs `r + 2` rows of `f + 2`
    /// frames.
    static func split(_ g: Conv3dGeometry, rowsFitting: Int) -> (bands: Int, frameRuns: Int) {
        let oT = g.output.t, oH = g.output.h
        let wanted = min(4 * Parallel.threadCount, g.batch * oH * oT)
        var best = (bands: oH, frameRuns: oT, copies: Double.infinity)
        for bands in 1...oH where (oH + bands - 1) / bands <= rowsFitting || bands == oH {
            // The fewest runs that give enough items: more only copy more.
            let runs = min(oT, max(1, (wanted + g.batch * bands - 1) / (g.batch * bands)))
            guard g.batch * bands * runs >= wanted else { continue }
            let rows = Double(oH) / Double(bands), frames = Double(oT) / Double(runs)
            let copies = (rows + 2) * (frames + 2) / (rows * frames)
            if copies < best.copies { best = (bands, runs, copies) }
        }
        return (best.bands, best.frameRuns)
    }

    /// `output = act(depthwise(input) + bias)` for a geometry `handles` accepts; `weights` in the conv
    /// layout `[C, 3, 3, 3, 1]`. `wide` picks the AVX-512 form (where the CPU has it) or the AVX2 one.
    static func forward(
        _ g: Conv3dGeometry, input: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>,
        wide: Bool = KernelCPU.hasAVX512
    ) {
        let wide: Int32 = wide && KernelCPU.hasAVX512 ? 1 : 0
        let c = g.inputChannels
        let oT = g.output.t, oH = g.output.h, oW = g.output.w
        let frameFloats = oH * oW * c
        // Weights as [block][tap][lanes]: one aligned load per tap and channel block.
        let packedWeights = Scratch(cadence_depthwise_packed_weight_floats(c, wide))
        defer { packedWeights.free() }
        cadence_depthwise_pack_weights(packedWeights.pointer, weights, c, wide)
        let zeroBias = Scratch(c, zeroed: true)
        defer { zeroBias.free() }
        let biasOrZero = bias ?? UnsafePointer(zeroBias.pointer)

        let packedRowFloats = cadence_depthwise_packed_row_floats(oW, c, wide)
        let rowsFitting = ringBytes / (3 * packedRowFloats * MemoryLayout<Float>.size) - 2
        let (bands, frameRuns) = split(g, rowsFitting: max(1, rowsFitting))
        // Plain stores, re-tried on Zen 5: the C54 and C216 rows 5-11% faster in the op benchmark (its
        // data fits the L3), but X3D-M's forward 5% slower at 2 threads (and 4% faster at 1).
        let streamsOutput = OutputStreaming.applies(toFloats: g.outputCount)
        // Each thread packs into its own ring of three frames (and streams from two output buffers);
        // bands are handed out as threads ask, so one slowed by another process does fewer. Frames
        // outside the clip read a shared all-zero slot.
        let items = g.batch * bands * frameRuns
        let maxRows = (oH + bands - 1) / bands
        let maxSlotFloats = (maxRows + 2) * packedRowFloats
        let zeroFrame = Scratch(maxSlotFloats, zeroed: true)
        let zeroSlot = UnsafePointer(zeroFrame.pointer)
        defer { zeroFrame.free() }
        KernelThreads.forEachSlice(items) { slice in for item in slice {
            let n = item / (bands * frameRuns), band = item / frameRuns % bands, run = item % frameRuns
            let h0 = oH * band / bands, rows = oH * (band + 1) / bands - h0
            let toStart = oT * run / frameRuns, toEnd = oT * (run + 1) / frameRuns
            let slotFloats = (rows + 2) * packedRowFloats
            let ring = ThreadScratch.floats(3 * maxSlotFloats, slot: 0)
            let rowBuffer = streamsOutput ? ThreadScratch.floats(2 * maxRows * oW * c, slot: 1) : nil
            defer { cadence_store_fence() }
            let prefetchRows = UnsafeMutablePointer<UnsafePointer<Float>?>.allocate(capacity: rows + 2)
            defer { prefetchRows.deallocate() }
            let clip = input + n * oT * frameFloats
            func slot(_ t: Int) -> UnsafeMutablePointer<Float> { ring + t % 3 * slotFloats }
            func packed(_ t: Int) -> UnsafePointer<Float> { t >= 0 && t < oT ? UnsafePointer(slot(t)) : zeroSlot }
            func pack(_ t: Int) {
                guard t >= 0, t < oT else { return }
                cadence_depthwise_pack(slot(t), clip + t * frameFloats, h0 - 1, rows + 2, oH, oW, c, wide)
            }
            pack(toStart - 1)
            pack(toStart)
            // Each frame's output rows leave while the next frame computes (two buffers in turn).
            var pending: (destination: UnsafeMutablePointer<Float>, source: UnsafePointer<Float>, count: Int)?
            for t in toStart..<toEnd {
                pack(t + 1)
                // The rows the next frame's copy reads come from memory while this frame computes.
                var prefetchCount = 0
                if t + 2 < oT && t + 1 < toEnd {
                    for h in max(0, h0 - 1)..<min(oH, h0 + rows + 1) {
                        prefetchRows[prefetchCount] = clip + (t + 2) * frameFloats + h * oW * c
                        prefetchCount += 1
                    }
                }
                let destination = output + (n * oT + t) * frameFloats + h0 * oW * c
                let out = rowBuffer.map { $0 + t % 2 * maxRows * oW * c } ?? destination
                cadence_depthwise_band(
                    packed(t - 1), packed(t), packed(t + 1), rows, oW, c, packedWeights.pointer, biasOrZero, out,
                    prefetchRows, prefetchCount, oW * c, pending?.destination, pending?.source, pending?.count ?? 0, wide)
                activation.apply(out, count: rows * oW * c)
                if streamsOutput { pending = (destination, UnsafePointer(out), rows * oW * c) }
            }
            if let pending { cadence_stream_floats(pending.destination, pending.source, pending.count) }
        } }
    }
    #endif
}
