/// How a clip of `frames` frames feeds a model's pathways (PySlowFast's `pack_pathway_output`).
public enum PathwayPacking: Sendable, Equatable {
    /// One pathway takes every frame (X3D, Slow, MViT).
    case single
    /// SlowFast: the fast pathway takes every frame, the slow one `frames / alpha` of them.
    case slowFast(alpha: Int)

    /// For each pathway, the clip positions it takes, slow first.
    public func pathwayIndices(frames: Int) -> [[Int]] {
        switch self {
        case .single:
            return [Array(0..<frames)]
        case let .slowFast(alpha):
            let slow = truncatedIndices(0, Double(frames - 1), count: frames / alpha, upper: frames - 1)
            return [slow, Array(0..<frames)]
        }
    }
}
