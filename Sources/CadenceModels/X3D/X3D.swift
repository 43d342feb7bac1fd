import CadenceNN
import CadenceTensor

/// X3D as PySlowFast builds it (`video_model_builder.X3D`), with its state-dict names:
/// `s1.pathway0_stem.*`, `s2…s5.pathway0_res{i}.{branch1,branch1_bn,branch2.*}`,
/// `head.{conv_5,conv_5_bn,lin_5,projection}`. Squeeze-excitation sits on the even blocks of each
/// stage, Swish after the depthwise conv, ReLU elsewhere.
public final class X3D: Module, VideoModel {
    public let config: X3DConfig
    let stem: NamedStage<X3DStem>
    let stages: [NamedStage<X3DBlock>]
    let head: X3DHead

    public init(_ config: X3DConfig, seed: UInt64 = 0) throws {
        self.config = config
        var generator = TensorRandom(seed: seed)
        (stem, stages) = try Self.backbone(config, generator: &generator)
        let last = config.stages[3]
        head = try X3DHead(input: last.outputChannels, inner: last.innerChannels, features: config.dimC5,
                           classes: config.classes, poolKernel: config.headPoolKernel, bnLin5: config.bnLin5,
                           dropoutRate: config.dropoutRate, generator: &generator)
        super.init()
        registerModule("s1", stem)
        for (i, stage) in stages.enumerated() { registerModule("s\(i + 2)", stage) }
        registerModule("head", head)
    }

    /// The stem `s1` and stages `s2…s5` of `config` (everything before the head), under PySlowFast's
    /// names; SpeedNet reuses them with its own head. Stages keep time (temporal stride 1).
    static func backbone(_ config: X3DConfig, generator: inout TensorRandom) throws
        -> (stem: NamedStage<X3DStem>, stages: [NamedStage<X3DBlock>]) {
        let stemWidth = config.stemWidth
        let stem = NamedStage([("pathway0_stem", try X3DStem(width: stemWidth, generator: &generator))])
        var input = stemWidth
        var stages: [NamedStage<X3DBlock>] = []
        for (index, stage) in config.stages.enumerated() {
            var blocks: [(String, X3DBlock)] = []
            for i in 0..<stage.blocks {
                blocks.append(("pathway0_res\(i)", try X3DBlock(
                    input: i == 0 ? input : stage.outputChannels, inner: stage.innerChannels,
                    output: stage.outputChannels, stride: i == 0 ? 2 : 1,
                    squeeze: i % 2 == 0 ? stage.squeezeChannels : nil, depthwise: config.channelwise3x3x3,
                    shortcutNorm: index > 0 || config.res2ShortcutNorm, generator: &generator)))
            }
            stages.append(NamedStage(blocks))
            input = stage.outputChannels
        }
        return (stem, stages)
    }

    public var pathwayCount: Int { 1 }
    public var layerNames: [String] { ["s1", "s2", "s3", "s4", "s5", "head_features", "logits", "output"] }

    public func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor {
        try checkInputs(inputs, pathways: 1, model: "X3D")
        var x = try stem(inputs[0])
        try observer?("s1", [x])
        for (i, stage) in stages.enumerated() {
            x = try stage(x)
            try observer?("s\(i + 2)", [x])
        }
        return try head.forward(x, observer: observer)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward([x], observer: nil) }

    public func folded() throws -> any FoldedVideoModel {
        FoldedX3D(stem: try stem.blocks[0].folded(),
                  stages: try stages.map { try $0.blocks.map { try $0.folded() } },
                  head: try head.folded())
    }

    public func flopCount(inputShapes: [[Int]]) throws -> Int {
        guard inputShapes.count == 1, inputShapes[0].count == 5 else {
            throw ModelError("X3D", "takes one [N, T, H, W, 3] input shape, got \(inputShapes)")
        }
        var macs = MACCount()
        let s1 = stem.blocks[0]
        var shape = macs.conv(s1.conv, macs.conv(s1.convXY, inputShapes[0]), normalized: true)
        for block in stages.flatMap(\.blocks) {
            if let branch1 = block.branch1 { _ = macs.conv(branch1, shape, normalized: block.branch1BN != nil) }
            let t = block.branch2
            var s = macs.conv(t.b, macs.conv(t.a, shape, normalized: true), normalized: true)
            if let se = t.se {
                _ = macs.conv(se.fc2, macs.conv(se.fc1, [s[0], 1, 1, 1, s[4]]))
            }
            s = macs.conv(t.c, s, normalized: true)
            shape = s
        }
        _ = head.count(&macs, shape)
        return macs.total
    }

    public func replaceClassifier(classes: Int, generator: inout TensorRandom) {
        head.replaceProjection(classes: classes, generator: &generator)
    }
}

/// X3D with folded batch norms (see `VideoModel.folded()`).
struct FoldedX3D: FoldedVideoModel {
    let stem: (Tensor) throws -> Tensor
    let stages: [[(Tensor) throws -> Tensor]]
    let head: (Tensor, LayerObserver?) throws -> Tensor

    func forward(_ inputs: [Tensor], observer: LayerObserver?) throws -> Tensor {
        try checkInputs(inputs, pathways: 1, model: "X3D")
        return try Tensor.withNoGrad {
            var x = try stem(inputs[0])
            try observer?("s1", [x])
            for (i, blocks) in stages.enumerated() {
                x = try blocks.reduce(x) { try $1($0) }
                try observer?("s\(i + 2)", [x])
            }
            return try head(x, observer)
        }
    }
}
