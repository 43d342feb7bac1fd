/// Temporal 3-tap convs (kernel `(3, 1, 1)`, unit stride, padding `(1, 0, 0)`; the first conv of
/// SlowFast's slow-pathway res4/res5 blocks and of every fast-pathway block) by Winograd's F(2, 3)
/// along time.
///
/// Output frames are taken in pairs, each pair read from 4 input frames. `WinogradF23`'s transforms
/// (`Bᵀ` on those 4 frames, `G` on the 3 taps) turn the pair into 4 products
/// `[pixels, C_in] x [C_in, C_out]` where direct summation takes 6 (3 taps for each of 2 frames),
/// and `Aᵀ` folds the 4 results back into the 2 frames. These convs run at BLAS's peak already, so
/// doing a third fewer multiply-adds is what makes them faster. `Conv3d` routes `handles(g)` here,
/// for the data gradient too (see `WinogradConvolution`).
enum TemporalWinogradConv3d: WinogradConvolution {
    /// Floats of transformed frames (or products) each thread holds for one block (4 MiB).
    static let blockBudget = 1 << 20

    static func handles(_ g: Conv3dGeometry) -> Bool {
        g.kernel == Dims3(3, 1, 1) && g.stride == Dims3(all: 1) && g.padding == Dims3(1, 0, 0)
            && g.dilation == Dims3(all: 1) && g.groups == 1
            && min(g.inputChannels, g.outputChannels) >= minimumChannels
    }

    /// `G` applied to every filter's 3 taps, as `[4][O][C]`, from weights `[O, 3, 1, 1, C]`;
    /// `reversed` takes the taps last to first.
    static func transformedFilters(
        _ weights: UnsafePointer<Float>, outputChannels o: Int, inputChannels c: Int, reversed: Bool
    ) -> Scratch {
        transformedFilters(weights, outputChannels: o, inputChannels: c, taps: 3, positions: 4,
                           reversed: reversed) { tap, store in
            let (a, b, d, e) = WinogradF23.filterTransform(tap(0), tap(1), tap(2))
            store(0, a)
            store(1, b)
            store(2, d)
            store(3, e)
        }
    }

    /// Over `input` `[batch, T, H, W, k]` into `output` `[batch, T, H, W, n]` (`k`, `n` swap for the
    /// data gradient).
    static func convolve(
        _ g: Conv3dGeometry, _ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, adjoint: Bool,
        bias: UnsafePointer<Float>?, activation: Activation, output: UnsafeMutablePointer<Float>
    ) {
        let k = adjoint ? g.outputChannels : g.inputChannels, n = adjoint ? g.inputChannels : g.outputChannels
        let transformedWeights = transformedFilters(weights, outputChannels: g.outputChannels,
                                                    inputChannels: g.inputChannels, reversed: adjoint)
        defer { transformedWeights.free() }
        let filters = UnsafePointer(transformedWeights.pointer), transposedFilters = !adjoint
        let frames = g.input.t, pixels = g.input.h * g.input.w
        let pairs = (frames + 1) / 2
        // Work items: (clip, pair of output frames, block of pixels), as many as a multiple of the
        // threads and with equal blocks, each block as large as the budget allows.
        let threads = max(1, Parallel.threadCount)
        let largest = max(16, blockBudget / (4 * max(k, n)))
        let perFrame = g.batch * pairs
        let rounds = (perFrame * pixels + largest * threads - 1) / (largest * threads)
        let blocksPerPair = min(pixels, max(1, (rounds * threads + perFrame - 1) / perFrame))
        let block = (pixels + blocksPerPair - 1) / blocksPerPair
        let items = perFrame * blocksPerPair
        let starts = (input: ChannelVectors(channels: k).starts, output: ChannelVectors(channels: n).starts)
        let zero = FloatVector(repeating: 0)
        KernelThreads.forEachSlice(items) { slice in
            let v = ThreadScratch.floats(4 * block * k, slot: 0), m = ThreadScratch.floats(4 * block * n, slot: 1)
            for item in slice {
                let clip = item / (pairs * blocksPerPair), pair = (item / blocksPerPair) % pairs
                let p0 = (item % blocksPerPair) * block, count = min(block, pixels - p0)
                guard count > 0 else { continue }
                // Bᵀ over input frames 2·pair - 1 ... 2·pair + 2 (zeros outside the clip).
                @inline(__always) func frame(_ i: Int) -> UnsafePointer<Float>? {
                    let f = 2 * pair - 1 + i
                    return f >= 0 && f < frames ? input + ((clip * frames + f) * pixels + p0) * k : nil
                }
                let source = (frame(0), frame(1), frame(2), frame(3))
                for p in 0..<count {
                    let row = p * k, destination = v + row
                    for c in starts.input {
                        @inline(__always) func load(_ s: UnsafePointer<Float>?) -> FloatVector {
                            s.map { loadVector($0 + row + c) } ?? zero
                        }
                        let (a, b, d, e) = WinogradF23.patchTransform(
                            load(source.0), load(source.1), load(source.2), load(source.3))
                        storeVector(a, destination + c)
                        storeVector(b, destination + block * k + c)
                        storeVector(d, destination + 2 * block * k + c)
                        storeVector(e, destination + 3 * block * k + c)
                    }
                }
                for position in 0..<4 {
                    Gemm.multiply(transposeB: transposedFilters, m: count, n: n, k: k,
                                  a: v + position * block * k, lda: k,
                                  b: filters + position * k * n, ldb: transposedFilters ? k : n,
                                  c: m + position * block * n, ldc: n)
                }
                // Aᵀ back into output frames 2·pair and 2·pair + 1 (when the clip has it).
                let first = output + ((clip * frames + 2 * pair) * pixels + p0) * n
                let hasSecond = 2 * pair + 1 < frames
                for p in 0..<count {
                    let row = p * n, products = m + row
                    for c in starts.output {
                        let b = bias.map { loadVector($0 + c) } ?? zero
                        let (y0, y1) = WinogradF23.outputTransform(
                            loadVector(products + c), loadVector(products + block * n + c),
                            loadVector(products + 2 * block * n + c), loadVector(products + 3 * block * n + c))
                        storeVector(y0 + b, first + row + c)
                        if hasSecond { storeVector(y1 + b, first + pixels * n + row + c) }
                    }
                }
                activation.apply(first, count: count * n)
                if hasSecond { activation.apply(first + pixels * n, count: count * n) }
            }
        }
    }
}
