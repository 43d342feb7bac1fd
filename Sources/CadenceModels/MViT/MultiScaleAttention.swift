import CadenceNN
import CadenceTensor

/// MViT's pooling attention (`MultiScaleAttention`, conv mode): `PooledMultiHeadAttention` with
/// depthwise 3D conv pooling + LayerNorm on q, k and v (weights shared across heads, the class token
/// kept aside), and for v2 decomposed relative position terms. Keys under the block's `attn.`:
/// `qkv`, `proj`, `pool_{q,k,v}.weight`, `norm_{q,k,v}`, `rel_pos_{h,w,t}`.
final class MultiScaleAttention {
    let attention: PooledMultiHeadAttention
    let relPosH: Tensor?, relPosW: Tensor?, relPosT: Tensor?

    init(dim: Int, outputDim: Int, block: MViTConfig.Block, config: MViTConfig, generator: inout TensorRandom) throws {
        attention = try PooledMultiHeadAttention(dim: dim, outputDim: outputDim, heads: block.heads,
                                                 qkvBias: config.qkvBias, hasClassToken: true,
                                                 residualPooling: config.residualPooling, generator: &generator)
        let headDim = outputDim / block.heads
        let pools: [(String, [Int], [Int])] = [("q", block.kernelQ, block.strideQ), ("k", block.kernelKV, block.strideKV),
                                                ("v", block.kernelKV, block.strideKV)]
        var poolings: [String: PooledMultiHeadAttention.Pooling] = [:]
        for (name, kernel, stride) in pools where !kernel.isEmpty {
            let s = stride.isEmpty ? [1, 1, 1] : stride
            let conv = try Conv3dLayer(inputChannels: headDim, outputChannels: headDim,
                                       kernel: Dims3(kernel[0], kernel[1], kernel[2]), stride: Dims3(s[0], s[1], s[2]),
                                       padding: Dims3(kernel[0] / 2, kernel[1] / 2, kernel[2] / 2), groups: headDim,
                                       bias: false, generator: &generator)
            let norm = LayerNormLayer(dim: headDim, eps: 1e-6)
            attention.registerModule("pool_\(name)", conv)
            attention.registerModule("norm_\(name)", norm)
            poolings[name] = { tokens, thw in try tokenPool(tokens, thw: thw, pool: { try conv($0) }, norm: norm) }
        }
        attention.poolQ = poolings["q"]
        attention.poolK = poolings["k"]
        attention.poolV = poolings["v"]
        let size = block.inputSize
        if config.relativePositionsSpatial {
            let qSize = block.strideQ.isEmpty ? size[1] : size[1] / block.strideQ[1]
            let kvSize = block.strideKV.isEmpty ? size[1] : size[1] / block.strideKV[1]
            let length = 2 * max(qSize, kvSize) - 1
            relPosH = attention.registerParameter("rel_pos_h", Tensor.zeros([length, headDim]))
            relPosW = attention.registerParameter("rel_pos_w", Tensor.zeros([length, headDim]))
        } else {
            relPosH = nil
            relPosW = nil
        }
        relPosT = config.relativePositionsTemporal
            ? attention.registerParameter("rel_pos_t", Tensor.zeros([2 * size[0] - 1, headDim])) : nil
        if relPosH != nil || relPosT != nil {
            let (h, w, t) = (relPosH, relPosW, relPosT)
            attention.adjustScores = { scores, q, qThw, kThw in
                try addRelativePositions(scores, q: q, qThw: qThw, kThw: kThw, h: h, w: w, t: t)
            }
        }
    }
}

/// PySlowFast's `attention_pool`: pools the non-class tokens `[B, heads, 1 + L, C]` on their `T, H, W`
/// grid with `pool`, re-prepends the class token and applies `norm` to all tokens.
func tokenPool(_ tokens: Tensor, thw: Dims3, pool: (Tensor) throws -> Tensor, norm: LayerNormLayer?) throws -> (Tensor, Dims3) {
    let batch = tokens.shape[0], heads = tokens.shape[1], channels = tokens.shape[3]
    let cls = try tokens.slice(axis: 2, start: 0, end: 1)
    let grid = try tokens.slice(axis: 2, start: 1).contiguous()
        .reshape([batch * heads, thw.t, thw.h, thw.w, channels])
    let pooled = try pool(grid)
    let newThw = Dims3(pooled.shape[1], pooled.shape[2], pooled.shape[3])
    var result = try Tensor.concat([cls, pooled.reshape([batch, heads, newThw.volume, channels])], axis: 2)
    if let norm { result = try norm(result) }
    return (result, newThw)
}

/// The `long()` offsets PySlowFast indexes a relative position table with, for one axis.
private func relativeIndices(q: Int, k: Int) -> [Int] {
    let qRatio = max(Double(k) / Double(q), 1), kRatio = max(Double(q) / Double(k), 1)
    return (0..<q).flatMap { i in
        (0..<k).map { j in Int(Double(i) * qRatio - Double(j) * kRatio + Double(k - 1) * kRatio) }
    }
}

/// MViTv2's decomposed relative positions (`cal_rel_pos_spatial` + `cal_rel_pos_temporal`): for each
/// query position and each key row/column/frame, `q · R[offset]` is added to the logits between
/// non-class tokens.
private func addRelativePositions(_ scores: Tensor, q: Tensor, qThw: Dims3, kThw: Dims3,
                                  h: Tensor?, w: Tensor?, t: Tensor?) throws -> Tensor {
    let batch = q.shape[0], heads = q.shape[1], channels = q.shape[3]
    let rq = try q.slice(axis: 2, start: 1).contiguous().reshape([batch, heads, qThw.t, qThw.h, qThw.w, channels])
    let m = batch * heads * qThw.volume
    // Per axis: move the axis to the front, batch-multiply by the gathered table, move it back.
    func term(_ table: Tensor, axis: Int, q qn: Int, k kn: Int) throws -> Tensor {
        guard table.shape[0] == 2 * max(qn, kn) - 1 else {
            throw ModelError("MViT", "relative position table of \(table.shape[0]) rows for a \(qn)→\(kn) grid; the input must match the configured size")
        }
        let r = try table.indexSelect(axis: 0, indices: relativeIndices(q: qn, k: kn)).reshape([qn, kn, channels])
        var order = [0, 1, 2, 3, 4, 5]
        order.remove(at: axis)
        order.insert(axis, at: 0)
        let moved = try rq.permute(order).contiguous().reshape([qn, m / qn, channels])
        let product = try moved.matmul(r.transpose(1, 2))
        var shape = order.dropLast().map { rq.shape[$0] }
        shape.append(kn)
        var inverse = [Int](repeating: 0, count: 6)
        for (i, a) in order.enumerated() { inverse[a] = i }
        inverse[5] = 5
        return try product.reshape(shape).permute(inverse)
    }
    var grid = try scores.slice(axis: 2, start: 1).slice(axis: 3, start: 1).contiguous()
        .reshape([batch, heads, qThw.t, qThw.h, qThw.w, kThw.t, kThw.h, kThw.w])
    let lead = [batch, heads, qThw.t, qThw.h, qThw.w]
    if let h, let w {
        grid = try grid + term(h, axis: 3, q: qThw.h, k: kThw.h).reshape(lead + [1, kThw.h, 1])
        grid = try grid + term(w, axis: 4, q: qThw.w, k: kThw.w).reshape(lead + [1, 1, kThw.w])
    }
    if let t {
        grid = try grid + term(t, axis: 2, q: qThw.t, k: kThw.t).reshape(lead + [kThw.t, 1, 1])
    }
    let adjusted = try grid.reshape([batch, heads, qThw.volume, kThw.volume])
    let firstRow = try scores.slice(axis: 2, start: 0, end: 1)
    let firstColumn = try scores.slice(axis: 2, start: 1).slice(axis: 3, start: 0, end: 1)
    return try Tensor.concat([firstRow, Tensor.concat([firstColumn, adjusted], axis: 3)], axis: 2)
}
