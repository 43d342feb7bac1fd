import CadenceNN
import CadenceTensor

/// The token MLP: `fc1` → GELU → `fc2`.
final class TokenMLP: Module {
    let fc1: Linear, fc2: Linear

    init(input: Int, hidden: Int, output: Int, generator: inout TensorRandom) {
        fc1 = Linear(inputFeatures: input, outputFeatures: hidden, generator: &generator)
        fc2 = Linear(inputFeatures: hidden, outputFeatures: output, generator: &generator)
        super.init()
        registerModule("fc1", fc1)
        registerModule("fc2", fc2)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try fc2(fc1.forward(x, activation: .gelu)) }
}

/// One MViT block (`MultiScaleBlock`, keys `blocks.{i}.{norm1,attn,norm2,mlp,proj}`): pooling
/// attention with a (max-pooled when Q is strided) residual, then an MLP with a residual; `proj`
/// widens the residual, from the `norm1` output in v2 and the `norm2` output in v1.
final class MultiScaleBlock: Module {
    let norm1: LayerNormLayer
    let attention: MultiScaleAttention
    let norm2: LayerNormLayer
    let mlp: TokenMLP
    let proj: Linear?
    let skipStride: [Int]
    let widenBeforeAttention: Bool

    init(_ block: MViTConfig.Block, config: MViTConfig, generator: inout TensorRandom) throws {
        let attentionDim = config.dimMulInAttention ? block.dimOut : block.dim
        norm1 = LayerNormLayer(dim: block.dim, eps: 1e-6)
        attention = try MultiScaleAttention(dim: block.dim, outputDim: attentionDim, block: block, config: config,
                                            generator: &generator)
        norm2 = LayerNormLayer(dim: attentionDim, eps: 1e-6)
        mlp = TokenMLP(input: attentionDim, hidden: Int(Double(attentionDim) * config.mlpRatio), output: block.dimOut,
                       generator: &generator)
        proj = block.dim != block.dimOut
            ? Linear(inputFeatures: block.dim, outputFeatures: block.dimOut, generator: &generator) : nil
        skipStride = block.strideQ.reduce(1, *) > 1 ? block.strideQ : []
        widenBeforeAttention = config.dimMulInAttention
        super.init()
        registerModule("norm1", norm1)
        registerModule("attn", attention.attention)
        registerModule("norm2", norm2)
        registerModule("mlp", mlp)
        if let proj { registerModule("proj", proj) }
    }

    func forward(_ x: Tensor, thw: Dims3) throws -> (Tensor, Dims3) {
        let normed = try norm1(x)
        let (attended, newThw) = try attention.attention.forward(normed, thw: thw)
        var residual = x
        if widenBeforeAttention, let proj { residual = try proj(normed) }
        if !skipStride.isEmpty {
            let s = skipStride
            let kernel = Dims3(s[0] > 1 ? s[0] + 1 : s[0], s[1] > 1 ? s[1] + 1 : s[1], s[2] > 1 ? s[2] + 1 : s[2])
            let padding = Dims3(kernel.t / 2, kernel.h / 2, kernel.w / 2)
            residual = try tokenPool(residual.unsqueeze(1), thw: thw, pool: {
                try maxPool3d($0, kernel: kernel, stride: Dims3(s[0], s[1], s[2]), padding: padding)
            }, norm: nil).0.squeeze(1)
        }
        var y = try residual + attended
        let normed2 = try norm2(y)
        let m = try mlp(normed2)
        if !widenBeforeAttention, let proj { y = try proj(normed2) }
        return (try y + m, newThw)
    }
}
