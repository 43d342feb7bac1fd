extension BatchNorm {
    /// Folds an inference batch norm into the conv before it, in place:
    /// `w'[o] = w[o] * s[o]`, `b'[o] = (b[o] - mean[o]) * s[o] + beta[o]` with `s = gamma / sqrt(var + eps)`.
    /// `weights` holds `outputChannels` rows of `weightsPerChannel` floats (any conv layout with O first);
    /// `bias` is the conv's bias on entry (zeros if it has none) and the folded bias on return.
    public static func fold(
        weights: UnsafeMutablePointer<Float>, outputChannels: Int, weightsPerChannel: Int,
        bias: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>?, beta: UnsafePointer<Float>?, eps: Float
    ) {
        for o in 0..<outputChannels {
            let s = (gamma?[o] ?? 1) / (variance[o] + eps).squareRoot()
            let row = weights + o * weightsPerChannel
            for i in 0..<weightsPerChannel { row[i] *= s }
            bias[o] = (bias[o] - mean[o]) * s + (beta?[o] ?? 0)
        }
    }
}
