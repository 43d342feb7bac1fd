import CadenceTensor

/// Multi-head self-attention with pooling hooks, the shape of MViT's `MultiScaleAttention`:
/// `qkv` (one Linear to `3 * outputDim`) → split into heads → optional pooling of q, k and v over
/// their `T, H, W` token grid → scaled dot-product attention → optional residual pooling (`+ q`) →
/// `proj` (Linear). Keys: `qkv.weight`, `qkv.bias`, `proj.weight`, `proj.bias`, plus whatever the
/// caller registers for its pooling (e.g. `pool_q`, `norm_q`) with `registerModule`.
public final class PooledMultiHeadAttention: Module {
    /// Pools one of q, k, v: given `[B, heads, N, headDim]` and the token grid `thw` (N is
    /// `thw.volume`, plus one with a class token), returns the pooled tokens and their grid.
    public typealias Pooling = (_ tokens: Tensor, _ thw: Dims3) throws -> (Tensor, Dims3)
    /// Adjusts the attention logits `[B, heads, Nq, Nk]` before the softmax (relative position
    /// terms); it also receives the pooled q and the q and k grids.
    public typealias ScoreAdjustment = (_ scores: Tensor, _ q: Tensor, _ qThw: Dims3, _ kThw: Dims3) throws -> Tensor

    public let qkv: Linear
    public let proj: Linear
    public let heads: Int
    public let outputDim: Int
    public let scale: Float
    /// Whether the first token is a class token (excluded from residual pooling, as in MViTv2).
    public let hasClassToken: Bool
    /// MViTv2's residual pooling connection: adds the pooled q to the attention output.
    public let residualPooling: Bool
    public var poolQ: Pooling?
    public var poolK: Pooling?
    public var poolV: Pooling?
    public var adjustScores: ScoreAdjustment?

    public init(
        dim: Int, outputDim: Int? = nil, heads: Int, qkvBias: Bool = true, hasClassToken: Bool = false,
        residualPooling: Bool = false, generator: inout TensorRandom
    ) throws {
        let outputDim = outputDim ?? dim
        guard heads > 0, outputDim % heads == 0 else {
            throw NNError("PooledMultiHeadAttention", "output dimension \(outputDim) does not split into \(heads) heads")
        }
        qkv = Linear(inputFeatures: dim, outputFeatures: 3 * outputDim, bias: qkvBias, generator: &generator)
        proj = Linear(inputFeatures: outputDim, outputFeatures: outputDim, generator: &generator)
        self.heads = heads
        self.outputDim = outputDim
        scale = 1 / Float(outputDim / heads).squareRoot()
        self.hasClassToken = hasClassToken
        self.residualPooling = residualPooling
        super.init()
        registerModule("qkv", qkv)
        registerModule("proj", proj)
    }

    /// Attends over `x` `[B, N, dim]` whose tokens lie on the grid `thw`; returns `[B, Nq, outputDim]`
    /// and the grid of the (possibly pooled) query tokens.
    public func forward(_ x: Tensor, thw: Dims3) throws -> (Tensor, Dims3) {
        guard x.rank == 3 else {
            throw NNError("PooledMultiHeadAttention", "expects [batch, tokens, dim], got shape \(x.shape)")
        }
        let batch = x.shape[0], tokens = x.shape[1], headDim = outputDim / heads
        let split = try qkv(x).reshape([batch, tokens, 3, heads, headDim]).permute([2, 0, 3, 1, 4])
        var (q, qThw) = (try split.slice(axis: 0, start: 0, end: 1).squeeze(0), thw)
        var (k, kThw) = (try split.slice(axis: 0, start: 1, end: 2).squeeze(0), thw)
        var v = try split.slice(axis: 0, start: 2, end: 3).squeeze(0)
        if let poolQ { (q, qThw) = try poolQ(q, thw) }
        if let poolK { (k, kThw) = try poolK(k, thw) }
        if let poolV { (v, _) = try poolV(v, thw) }
        var scores = try (q * scale).matmul(k.transpose(2, 3))
        if let adjustScores { scores = try adjustScores(scores, q, qThw, kThw) }
        var out = try scores.softmax(axis: -1).matmul(v)
        if residualPooling {
            if hasClassToken {
                let rest = try q.slice(axis: 2, start: 1)
                let zero = Tensor.zeros([batch, heads, 1, headDim])
                out = try out + Tensor.concat([zero, rest], axis: 2)
            } else {
                out = try out + q
            }
        }
        let merged = try out.transpose(1, 2).reshape([batch, out.shape[2], outputDim])
        return (try proj(merged), qThw)
    }

    /// Attention without pooling over a flat token sequence.
    public override func forward(_ x: Tensor) throws -> Tensor {
        try forward(x, thw: Dims3(1, 1, x.rank == 3 ? x.shape[1] : 0)).0
    }
}
