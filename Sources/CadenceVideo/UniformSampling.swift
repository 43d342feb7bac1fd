/// Evenly spaced frame indices, the way PyTorchVideo's uniform temporal subsampling picks them:
/// `linspace(0, frameCount - 1, count)` truncated to integers, so the first and last frames are included
/// and short videos repeat frames rather than fail.
public enum UniformSampling {
    /// `count` indices into a video of `frameCount` frames (empty when either is not positive).
    public static func indices(count: Int, frameCount: Int) -> [Int] {
        guard count > 0, frameCount > 0 else { return [] }
        guard count > 1 else { return [0] }
        let last = Double(frameCount - 1)
        return (0..<count).map { Int(Double($0) * last / Double(count - 1)) }
    }
}
