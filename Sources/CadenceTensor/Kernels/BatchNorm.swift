/// Batch normalisation over channels-last activations viewed as `[rows, channels]` (rows = N*T*H*W),
/// with PyTorch's semantics: training normalises with the batch's biased variance and updates the
/// running statistics with `momentum` using the unbiased variance; evaluation uses the running ones.
/// `gamma`/`beta` may be nil (no affine transform).
public enum BatchNorm {
    /// Rows summed in float before adding into a double total, which keeps sums of large batches exact
    /// enough without paying for double arithmetic on every element.
    static let block = 256

    /// Per-channel `Σ f(x)` over all rows, in double, spread over the pool: `rowTerm` adds one row's
    /// terms into `channels` float partial sums.
    @inline(__always)
    static func channelSums(
        rows: Int, channels c: Int, into result: UnsafeMutablePointer<Double>,
        _ rowTerm: (_ row: Int, _ sum: UnsafeMutablePointer<Float>) -> Void
    ) {
        let blocks = (rows + block - 1) / block
        let workers = KernelThreads.workers(blocks)
        let totals = UnsafeMutablePointer<Double>.allocate(capacity: workers * c)
        totals.initialize(repeating: 0, count: workers * c)
        defer { totals.deallocate() }
        KernelThreads.forEachSliceInFixedOrder(blocks) { worker, slice in
            let partial = Scratch(c)
            defer { partial.free() }
            let total = totals + worker * c
            for b in slice {
                partial.pointer.initialize(repeating: 0, count: c)
                for r in (b * block)..<min(rows, (b + 1) * block) { rowTerm(r, partial.pointer) }
                for ch in 0..<c { total[ch] += Double(partial.pointer[ch]) }
            }
        }
        for ch in 0..<c {
            var s = 0.0
            for w in 0..<workers { s += totals[w * c + ch] }
            result[ch] = s
        }
    }

    /// `channelSums` for two terms per element, vectorised over channels: `terms(row, c0)` gives the
    /// two terms for channels `c0..<c0 + vectorWidth` of one row; `result` receives `Σ first` in
    /// `0..<c` and `Σ second` in `c..<2c`. Partial sums live per channel vector (the overlapping last
    /// vector in its own slot), so only the lanes each slot owns are added up. Needs `c >= vectorWidth`.
    @inline(__always)
    static func vectorSums(
        rows: Int, channels c: Int, into result: UnsafeMutablePointer<Double>,
        _ terms: (_ row: Int, _ c0: Int) -> (FloatVector, FloatVector)
    ) {
        let vectors = ChannelVectors(channels: c)
        let slots = vectors.starts.count
        // First lane each slot owns: 0, except in an overlapping last vector.
        let firstLane = vectors.masks.map { mask in (0..<vectorWidth).first { mask[$0] != 0 } ?? 0 }
        let blocks = (rows + block - 1) / block
        let workers = KernelThreads.workers(blocks)
        let totals = UnsafeMutablePointer<Double>.allocate(capacity: workers * 2 * c)
        totals.initialize(repeating: 0, count: workers * 2 * c)
        defer { totals.deallocate() }
        KernelThreads.forEachSliceInFixedOrder(blocks) { worker, slice in
            let partial = Scratch(2 * slots * vectorWidth)
            defer { partial.free() }
            let total = totals + worker * 2 * c
            for b in slice {
                partial.pointer.initialize(repeating: 0, count: partial.count)
                // Four rows at a time, so each channel vector's partial sums go through memory once
                // per four rows rather than on every row (a chain of dependent loads, adds and stores),
                // while the rows are still read in order, as the prefetcher likes.
                var r = b * block
                let end = min(rows, (b + 1) * block)
                while r < end {
                    let group = min(4, end - r)
                    for v in 0..<slots {
                        let c0 = vectors.starts[v]
                        let p0 = partial.pointer + 2 * v * vectorWidth, p1 = p0 + vectorWidth
                        var (s0, s1) = terms(r, c0)
                        if group == 4 {
                            let (a0, a1) = terms(r + 1, c0), (b0, b1) = terms(r + 2, c0), (d0, d1) = terms(r + 3, c0)
                            s0 += a0 + (b0 + d0)
                            s1 += a1 + (b1 + d1)
                        } else {
                            for extra in 1..<group {
                                let (a0, a1) = terms(r + extra, c0)
                                s0 += a0
                                s1 += a1
                            }
                        }
                        storeVector(loadVector(p0) + s0, p0)
                        storeVector(loadVector(p1) + s1, p1)
                    }
                    r += group
                }
                for v in 0..<slots {
                    let p0 = partial.pointer + 2 * v * vectorWidth, p1 = p0 + vectorWidth
                    for lane in firstLane[v]..<vectorWidth {
                        let ch = vectors.starts[v] + lane
                        total[ch] += Double(p0[lane])
                        total[c + ch] += Double(p1[lane])
                    }
                }
            }
        }
        for ch in 0..<(2 * c) {
            var s = 0.0
            for w in 0..<workers { s += totals[w * 2 * c + ch] }
            result[ch] = s
        }
    }

    /// Training forward: normalises with batch statistics, writes `savedMean` and `savedInvStd`
    /// (`1/sqrt(var + eps)`, for `backward`) and updates `runningMean`/`runningVar` in place.
    public static func trainingForward(
        input x: UnsafePointer<Float>, rows: Int, channels c: Int,
        gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float, momentum: Float,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        output: UnsafeMutablePointer<Float>,
        savedMean: UnsafeMutablePointer<Float>, savedInvStd: UnsafeMutablePointer<Float>
    ) {
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
        defer { sums.deallocate() }
        // One pass of sums and squares of x minus the first row: shifting by a sample keeps the
        // variance free of cancellation when the mean is large compared with the spread.
        if c >= vectorWidth {
            vectorSums(rows: rows, channels: c, into: sums) { r, c0 in
                let d = loadVector(x + r * c + c0) - loadVector(x + c0)
                return (d, d * d)
            }
        } else {
            channelSums(rows: rows, channels: 2 * c, into: sums) { r, s in
                let row = x + r * c
                for ch in 0..<c {
                    let d = row[ch] - x[ch]
                    s[ch] += d
                    s[c + ch] += d * d
                }
            }
        }
        for ch in 0..<c {
            let shiftedMean = sums[ch] / Double(rows)
            let variance = max(0, sums[c + ch] / Double(rows) - shiftedMean * shiftedMean)
            savedMean[ch] = Float(Double(x[ch]) + shiftedMean)
            savedInvStd[ch] = Float(1 / (variance + Double(eps)).squareRoot())
            let unbiased = rows > 1 ? variance * Double(rows) / Double(rows - 1) : variance
            runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * savedMean[ch]
            runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
        }
        let mean = UnsafePointer(savedMean)
        normalize(x, rows: rows, channels: c, mean: mean, invStd: UnsafePointer(savedInvStd),
                  gamma: gamma, beta: beta, output: output)
    }

    /// Evaluation forward with the running statistics: `y = (x - mean) / sqrt(var + eps) * gamma + beta`.
    public static func inferenceForward(
        input x: UnsafePointer<Float>, rows: Int, channels c: Int,
        gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>
    ) {
        let invStd = Scratch(c)
        defer { invStd.free() }
        for ch in 0..<c { invStd.pointer[ch] = 1 / (runningVar[ch] + eps).squareRoot() }
        normalize(x, rows: rows, channels: c, mean: runningMean, invStd: UnsafePointer(invStd.pointer),
                  gamma: gamma, beta: beta, output: output)
    }

    /// `y = x * scale + shift` per channel, with scale and shift folded from the statistics.
    static func normalize(
        _ x: UnsafePointer<Float>, rows: Int, channels c: Int, mean: UnsafePointer<Float>,
        invStd: UnsafePointer<Float>, gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?,
        output: UnsafeMutablePointer<Float>
    ) {
        let coefficients = Scratch(2 * c)
        defer { coefficients.free() }
        let scale = coefficients.pointer, shift = coefficients.pointer + c
        for ch in 0..<c {
            scale[ch] = invStd[ch] * (gamma?[ch] ?? 1)
            shift[ch] = (beta?[ch] ?? 0) - mean[ch] * scale[ch]
        }
        let starts = c >= vectorWidth ? ChannelVectors(channels: c).starts : []
        Parallel.forEach((rows + block - 1) / block) { b in
            for r in (b * block)..<min(rows, (b + 1) * block) {
                let src = x + r * c, dst = output + r * c
                guard !starts.isEmpty else {
                    for ch in 0..<c { dst[ch] = src[ch] * scale[ch] + shift[ch] }
                    continue
                }
                // The overlapping last vector rewrites a few lanes with the same values.
                for c0 in starts {
                    storeVector(loadVector(shift + c0).addingProduct(loadVector(src + c0), loadVector(scale + c0)), dst + c0)
                }
            }
        }
    }

    /// Training backward from the saved batch statistics: `gradInput` (overwritten; may not alias
    /// `gradOutput`), and, when given, `gradGamma` and `gradBeta` (overwritten).
    public static func backward(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, rows: Int, channels c: Int,
        gamma: UnsafePointer<Float>?, savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>,
        gradGamma: UnsafeMutablePointer<Float>?, gradBeta: UnsafeMutablePointer<Float>?
    ) {
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
        defer { sums.deallocate() }
        // Σ dy and Σ dy * (x - mean) in one pass; the second is scaled by invStd afterwards.
        if c >= vectorWidth {
            vectorSums(rows: rows, channels: c, into: sums) { r, c0 in
                let g = loadVector(dy + r * c + c0)
                return (g, g * (loadVector(x + r * c + c0) - loadVector(savedMean + c0)))
            }
        } else {
            channelSums(rows: rows, channels: 2 * c, into: sums) { r, s in
                let g = dy + r * c, row = x + r * c
                for ch in 0..<c {
                    s[ch] += g[ch]
                    s[c + ch] += g[ch] * (row[ch] - savedMean[ch])
                }
            }
        }
        let coefficients = Scratch(3 * c)
        defer { coefficients.free() }
        // dx = k * (dy - meanDy - xhat * meanDyXhat) = a * dy + b * x + d, per channel.
        let a = coefficients.pointer, b = a + c, d = b + c
        for ch in 0..<c {
            let sumDy = Float(sums[ch]), sumDyXhat = Float(sums[c + ch]) * savedInvStd[ch]
            gradBeta?[ch] = sumDy
            gradGamma?[ch] = sumDyXhat
            let k = (gamma?[ch] ?? 1) * savedInvStd[ch]
            let meanDy = sumDy / Float(rows), meanDyXhat = sumDyXhat / Float(rows)
            a[ch] = k
            b[ch] = -k * meanDyXhat * savedInvStd[ch]
            d[ch] = -k * meanDy + k * meanDyXhat * savedInvStd[ch] * savedMean[ch]
        }
        let starts = c >= vectorWidth ? ChannelVectors(channels: c).starts : []
        Parallel.forEach((rows + block - 1) / block) { blk in
            for r in (blk * block)..<min(rows, (blk + 1) * block) {
                let g = dy + r * c, row = x + r * c, dst = gradInput + r * c
                guard !starts.isEmpty else {
                    for ch in 0..<c { dst[ch] = a[ch] * g[ch] + b[ch] * row[ch] + d[ch] }
                    continue
                }
                for c0 in starts {
                    let value = loadVector(d + c0).addingProduct(loadVector(a + c0), loadVector(g + c0))
                        .addingProduct(loadVector(b + c0), loadVector(row + c0))
                    storeVector(value, dst + c0)
                }
            }
        }
    }

    /// Evaluation-mode backward (statistics are constants): `gradInput = gradOutput * gamma * invStd`,
    /// with `gradGamma`/`gradBeta` when given (all overwritten).
    public static func inferenceBackward(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, rows: Int, channels c: Int,
        gamma: UnsafePointer<Float>?, eps: Float, runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>,
        gradGamma: UnsafeMutablePointer<Float>?, gradBeta: UnsafeMutablePointer<Float>?
    ) {
        let invStd = Scratch(2 * c)
        defer { invStd.free() }
        let scale = invStd.pointer + c
        for ch in 0..<c {
            invStd.pointer[ch] = 1 / (runningVar[ch] + eps).squareRoot()
            scale[ch] = invStd.pointer[ch] * (gamma?[ch] ?? 1)
        }
        if gradGamma != nil || gradBeta != nil {
            let sums = UnsafeMutablePointer<Double>.allocate(capacity: 2 * c)
            defer { sums.deallocate() }
            channelSums(rows: rows, channels: 2 * c, into: sums) { r, s in
                let g = dy + r * c, row = x + r * c
                for ch in 0..<c {
                    s[ch] += g[ch]
                    s[c + ch] += g[ch] * (row[ch] - runningMean[ch])
                }
            }
            for ch in 0..<c {
                gradBeta?[ch] = Float(sums[ch])
                gradGamma?[ch] = Float(sums[c + ch]) * invStd.pointer[ch]
            }
        }
        Parallel.forEach((rows + block - 1) / block) { blk in
            for r in (blk * block)..<min(rows, (blk + 1) * block) {
                let g = dy + r * c, dst = gradInput + r * c
                for ch in 0..<c { dst[ch] = g[ch] * scale[ch] }
            }
        }
    }
}
