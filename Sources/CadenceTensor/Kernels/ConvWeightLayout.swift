/// Converts conv weights between PyTorch's `[O, I/g, kT, kH, kW]` and Cadence's `[O, kT, kH, kW, I/g]`.
/// Done once when weights are loaded, never per call.
public enum ConvWeightLayout {
    /// Writes Cadence-layout weights into `destination` from PyTorch-layout `source`.
    public static func fromPyTorch(
        _ source: UnsafePointer<Float>, outputChannels: Int, inputChannelsPerGroup: Int, kernel: Dims3,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let taps = kernel.volume, cg = inputChannelsPerGroup
        for o in 0..<outputChannels {
            let src = source + o * cg * taps, dst = destination + o * cg * taps
            for c in 0..<cg {
                for k in 0..<taps { dst[k * cg + c] = src[c * taps + k] }
            }
        }
    }

    /// Writes PyTorch-layout weights into `destination` from Cadence-layout `source` (for saving).
    public static func toPyTorch(
        _ source: UnsafePointer<Float>, outputChannels: Int, inputChannelsPerGroup: Int, kernel: Dims3,
        into destination: UnsafeMutablePointer<Float>
    ) {
        let taps = kernel.volume, cg = inputChannelsPerGroup
        for o in 0..<outputChannels {
            let src = source + o * cg * taps, dst = destination + o * cg * taps
            for c in 0..<cg {
                for k in 0..<taps { dst[c * taps + k] = src[k * cg + c] }
            }
        }
    }
}
