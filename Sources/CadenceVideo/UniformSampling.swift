/// Evenly spaced frame indices, the way PyTorchVideo's uniform temporal subsampling picks them:
/// `torch.linspace(0, frameCount - 1, count)` truncated to integers, so the first and last frames are
/// included and short videos repeat frames rather than fail.
public enum UniformSampling {
    /// `count` indices into a video of `frameCount` frames (empty when either is not positive).
    public static func indices(count: Int, frameCount: Int) -> [Int] {
        guard count > 0, frameCount > 0 else { return [] }
        return truncatedIndices(0, Double(frameCount - 1), count: count, upper: frameCount - 1)
    }
}
