/// Layer normalisation over the last dimension of a `[rows, dim]` array (PyTorch's `LayerNorm(dim)`);
/// `gamma`/`beta` may be nil (no elementwise affine).
public enum LayerNorm {
    /// Writes `output`, and `savedMean` / `savedInvStd` (`rows` floats each) for `backward`.
    public static func forward(
        input x: UnsafePointer<Float>, rows: Int, dim: Int,
        gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float,
        output: UnsafeMutablePointer<Float>,
        savedMean: UnsafeMutablePointer<Float>, savedInvStd: UnsafeMutablePointer<Float>
    ) {
        Parallel.forEach(rows) { r in
            let src = x + r * dim, dst = output + r * dim
            var sum: Float = 0
            for i in 0..<dim { sum += src[i] }
            let mean = sum / Float(dim)
            var squares: Float = 0
            for i in 0..<dim { let d = src[i] - mean; squares += d * d }
            let invStd = 1 / (squares / Float(dim) + eps).squareRoot()
            savedMean[r] = mean
            savedInvStd[r] = invStd
            for i in 0..<dim {
                dst[i] = (src[i] - mean) * invStd * (gamma?[i] ?? 1) + (beta?[i] ?? 0)
            }
        }
    }

    /// `gradInput` (overwritten), and `gradGamma`/`gradBeta` (overwritten) when given.
    public static func backward(
        input x: UnsafePointer<Float>, gradOutput dy: UnsafePointer<Float>, rows: Int, dim: Int,
        gamma: UnsafePointer<Float>?, savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
        gradInput: UnsafeMutablePointer<Float>,
        gradGamma: UnsafeMutablePointer<Float>?, gradBeta: UnsafeMutablePointer<Float>?
    ) {
        let workers = KernelThreads.workers(rows)
        let partials = Scratch(2 * workers * dim, zeroed: true)
        defer { partials.free() }
        KernelThreads.forEachSliceInFixedOrder(rows) { worker, slice in
            let sumGamma = partials.pointer + 2 * worker * dim, sumBeta = sumGamma + dim
            for r in slice {
                let src = x + r * dim, g = dy + r * dim, dst = gradInput + r * dim
                let mean = savedMean[r], invStd = savedInvStd[r]
                var meanG: Float = 0, meanGXhat: Float = 0
                for i in 0..<dim {
                    let xhat = (src[i] - mean) * invStd
                    let gy = g[i] * (gamma?[i] ?? 1)
                    meanG += gy
                    meanGXhat += gy * xhat
                    sumGamma[i] += g[i] * xhat
                    sumBeta[i] += g[i]
                }
                meanG /= Float(dim)
                meanGXhat /= Float(dim)
                for i in 0..<dim {
                    let xhat = (src[i] - mean) * invStd
                    dst[i] = invStd * (g[i] * (gamma?[i] ?? 1) - meanG - xhat * meanGXhat)
                }
            }
        }
        for i in 0..<dim {
            var sg: Float = 0, sb: Float = 0
            for w in 0..<workers {
                sg += partials.pointer[2 * w * dim + i]
                sb += partials.pointer[(2 * w + 1) * dim + i]
            }
            gradGamma?[i] = sg
            gradBeta?[i] = sb
        }
    }
}
