import CadenceNN
import CadenceTensor

/// MViT v1 / v2 as PySlowFast builds it (`video_model_builder.MViT`), with its state-dict names:
/// `patch_embed.proj`, `cls_token`, `pos_embed_{spatial,temporal,class}` (v1), `blocks.{i}.*`, `norm`,
/// `head.projection`. The output is the class token's prediction (softmax in evaluation).
public final class MViT: Module, VideoModel {
    public let config: MViTConfig
    let patchEmbed: Conv3dLayer
    let classToken: Tensor
    let positionSpatial: Tensor?, positionTemporal: Tensor?, positionClass: Tensor?
    let blocks: [MultiScaleBlock]
    let norm: LayerNormLayer
    private(set) var projection: Linear
    let dropout: Dropout?
    let head = Module()
    let patchDims: [Int]

    public init(_ config: MViTConfig, seed: UInt64 = 0) throws {
        self.config = config
        var generator = TensorRandom(seed: seed)
        patchDims = config.patchDims
        let embed = config.embedDim
        patchEmbed = try Conv3dLayer(inputChannels: 3, outputChannels: embed, kernel: config.patchKernel,
                                     stride: config.patchStride, padding: config.patchPadding, generator: &generator)
        classToken = Tensor.zeros([1, 1, embed])
        if config.absolutePositions {
            positionSpatial = Tensor.zeros([1, patchDims[1] * patchDims[2], embed])
            positionTemporal = Tensor.zeros([1, patchDims[0], embed])
            positionClass = Tensor.zeros([1, 1, embed])
        } else {
            positionSpatial = nil
            positionTemporal = nil
            positionClass = nil
        }
        let schedule = config.blocks
        blocks = try schedule.map { try MultiScaleBlock($0, config: config, generator: &generator) }
        let width = schedule.last?.dimOut ?? embed
        norm = LayerNormLayer(dim: width, eps: 1e-6)
        projection = Linear(inputFeatures: width, outputFeatures: config.classes, generator: &generator)
        dropout = config.dropoutRate > 0 ? try Dropout(probability: config.dropoutRate) : nil
        super.init()
        registerModule("patch_embed", Module()).registerModule("proj", patchEmbed)
        registerParameter("cls_token", classToken)
        if let positionSpatial, let positionTemporal, let positionClass {
            registerParameter("pos_embed_spatial", positionSpatial)
            registerParameter("pos_embed_temporal", positionTemporal)
            registerParameter("pos_embed_class", positionClass)
        }
        registerModules("blocks", blocks)
        registerModule("norm", norm)
        if let dropout { head.registerModule("dropout", dropout) }
        head.registerModule("projection", projection)
        registerModule("head", head)
    }

    public var pathwayCount: Int { 1 }

    public var layerNames: [String] {
        ["patch_embed"] + blocks.indices.map { "blocks.\($0)" } + ["norm", "head_features", "logits", "output"]
    }

    public func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor {
        try checkInputs(inputs, pathways: 1, model: "MViT")
        let input = inputs[0]
        guard input.shape[1] == config.frames, input.shape[2] == config.crop, input.shape[3] == config.crop else {
            throw ModelError("MViT", "input must be \(config.frames)x\(config.crop)x\(config.crop), got \(input.shape)")
        }
        let embedded = try patchEmbed(input)
        let batch = embedded.shape[0], channels = embedded.shape[4]
        var thw = Dims3(embedded.shape[1], embedded.shape[2], embedded.shape[3])
        let tokens = try embedded.reshape([batch, thw.volume, channels])
        try observer?("patch_embed", [tokens])
        var x = try Tensor.concat([classToken.expand([batch, 1, channels]), tokens], axis: 1)
        if let positionSpatial, let positionTemporal, let positionClass {
            let grid = try positionSpatial.unsqueeze(1) + positionTemporal.unsqueeze(2)
            let positions = try Tensor.concat([positionClass, grid.reshape([1, thw.volume, channels])], axis: 1)
            x = try x + positions
        }
        for (i, block) in blocks.enumerated() {
            (x, thw) = try block.forward(x, thw: thw)
            try observer?("blocks.\(i)", [x])
        }
        x = try norm(x)
        try observer?("norm", [x])
        var features = try x.slice(axis: 1, start: 0, end: 1).squeeze(1)
        try observer?("head_features", [features])
        if let dropout { features = try dropout(features) }
        let logits = try projection(features)
        try observer?("logits", [logits])
        let output = isTraining ? logits : try logits.softmax(axis: 1)
        try observer?("output", [output])
        return output
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward([x], observer: nil) }

    /// MViT has no batch norms to fold; its inference form is the model in evaluation mode without
    /// gradient recording.
    public func folded() throws -> any FoldedVideoModel { EvaluationMViT(model: self) }

    /// fvcore's count: linears, convs and attention products as multiply-adds, layer norms as five
    /// flops per element (softmax, GELU and additions are not counted).
    public func flopCount(inputShapes: [[Int]]) throws -> Int {
        guard inputShapes.count == 1, inputShapes[0].count == 5 else {
            throw ModelError("MViT", "takes one [N, T, H, W, 3] input shape, got \(inputShapes)")
        }
        var macs = MACCount()
        let embedded = macs.conv(patchEmbed, inputShapes[0])
        let batch = embedded[0]
        var grid = Dims3(embedded[1], embedded[2], embedded[3])
        var total = 0
        func pooled(_ grid: Dims3, _ kernel: [Int], _ stride: [Int]) -> Dims3 {
            guard !kernel.isEmpty else { return grid }
            let s = stride.isEmpty ? [1, 1, 1] : stride
            let out = zip(zip([grid.t, grid.h, grid.w], kernel), s).map { MACCount.outputLength($0.0, kernel: $0.1, stride: $1, padding: $0.1 / 2) }
            return Dims3(out[0], out[1], out[2])
        }
        for (block, layer) in zip(config.blocks, blocks) {
            let attDim = config.dimMulInAttention ? block.dimOut : block.dim
            let hd = attDim / block.heads, heads = block.heads
            let tokens = grid.volume + 1
            let qGrid = pooled(grid, block.kernelQ, block.strideQ), kvGrid = pooled(grid, block.kernelKV, block.strideKV)
            let q = qGrid.volume + 1, kv = kvGrid.volume + 1
            total += 5 * tokens * block.dim + tokens * block.dim * 3 * attDim
            for (kernel, out) in [(block.kernelQ, qGrid), (block.kernelKV, kvGrid), (block.kernelKV, kvGrid)] where !kernel.isEmpty {
                total += heads * out.volume * hd * kernel.reduce(1, *) + 5 * heads * (out.volume + 1) * hd
            }
            total += 2 * heads * q * kv * hd
            if config.relativePositionsSpatial { total += heads * qGrid.volume * hd * (kvGrid.h + kvGrid.w) }
            if config.relativePositionsTemporal { total += heads * qGrid.volume * hd * kvGrid.t }
            total += q * attDim * attDim
            if layer.proj != nil { total += (config.dimMulInAttention ? tokens : q) * block.dim * block.dimOut }
            let hidden = layer.mlp.fc1.outputFeatures
            total += 5 * q * attDim + q * (attDim * hidden + hidden * block.dimOut)
            grid = qGrid
        }
        total += 5 * (grid.volume + 1) * norm.dim + projection.inputFeatures * projection.outputFeatures
        return macs.total + batch * total
    }

    public func replaceClassifier(classes: Int, generator: inout TensorRandom) {
        projection = Linear(inputFeatures: projection.inputFeatures, outputFeatures: classes, generator: &generator)
        head.registerModule("projection", projection)
    }
}

/// `MViT.folded()`: runs the model without recording gradients.
struct EvaluationMViT: FoldedVideoModel {
    let model: MViT

    func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor {
        try Tensor.withNoGrad { try model.forward(inputs, observer: observer) }
    }
}
