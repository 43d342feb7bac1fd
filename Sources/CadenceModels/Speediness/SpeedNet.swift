import CadenceNN
import CadenceTensor

/// SpeedNet (Benaim et al., CVPR 2020) on an X3D backbone: tells whether a clip plays at its natural
/// speed (logit < 0) or sped up (logit > 0).
///
/// The X3D stem and stages `s1…s5` keep time (temporal stride 1) and reduce space 32x; the head takes
/// the maximum over space, the mean over time, and one linear unit. Being fully convolutional, it
/// takes any clip length and any size from 32x32 up. State-dict keys are PySlowFast's X3D names for
/// the backbone (`s2.pathway0_res0.branch2.a.weight`) plus `head.projection.{weight,bias}`.
public final class SpeedNet: Module {
    /// The smallest height and width the five stride-2 stages accept.
    public static let minimumSide = 32

    public let config: SpeedNetConfig
    let stem: NamedStage<X3DStem>
    let stages: [NamedStage<X3DBlock>]
    let head: SpeedNetHead

    /// A SpeedNet with freshly initialised weights (deterministic for a seed).
    public init(_ config: SpeedNetConfig = .xs, seed: UInt64 = 0) throws {
        try config.validate()
        self.config = config
        var generator = TensorRandom(seed: seed)
        (stem, stages) = try X3D.backbone(config.backbone, generator: &generator)
        let width = config.backbone.stages[3].outputChannels
        head = SpeedNetHead(channels: width, generator: &generator)
        super.init()
        registerModule("s1", stem)
        for (i, stage) in stages.enumerated() { registerModule("s\(i + 2)", stage) }
        registerModule("head", head)
    }

    /// Logits `[N]` of "sped up" for normalised clips `[N, T, H, W, 3]`.
    public func forward(clip: Tensor) throws -> Tensor {
        try Self.checkClip(clip)
        let features = try stages.reduce(try stem(clip)) { try $1($0) }
        return try head(features)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(clip: x) }

    /// An evaluation-only copy with batch norms folded into the convs (snapshots the current weights).
    public func folded() throws -> FoldedSpeedNet {
        FoldedSpeedNet(stem: try stem.blocks[0].folded(),
                       stages: try stages.flatMap { try $0.blocks.map { try $0.folded() } },
                       head: head)
    }

    static func checkClip(_ clip: Tensor) throws {
        guard clip.rank == 5, clip.shape[4] == 3, clip.shape[0] > 0, clip.shape[1] > 0 else {
            throw ModelError("SpeedNet", "input must be [N, T, H, W, 3] (channels-last RGB), got \(clip.shape)")
        }
        guard clip.shape[2] >= minimumSide, clip.shape[3] >= minimumSide else {
            throw ModelError("SpeedNet", "frames must be at least \(minimumSide)x\(minimumSide), got \(clip.shape[3])x\(clip.shape[2])")
        }
    }
}

/// SpeedNet's head: global max over space (the strongest motion cue anywhere in the frame, whatever
/// its size), mean over time, then one logit (`head.projection`).
final class SpeedNetHead: Module {
    let projection: Linear

    init(channels: Int, generator: inout TensorRandom) {
        projection = Linear(inputFeatures: channels, outputFeatures: 1, generator: &generator)
        super.init()
        registerModule("projection", projection)
    }

    /// `[N, T, H, W, C]` features → `[N]` logits.
    override func forward(_ x: Tensor) throws -> Tensor {
        let pooled = try x.max(axes: [2, 3]).mean(axis: 1)
        return try projection(pooled).reshape([x.shape[0]])
    }
}

/// SpeedNet with folded batch norms, for inference (see `SpeedNet.folded()`).
public struct FoldedSpeedNet {
    let stem: (Tensor) throws -> Tensor
    let stages: [(Tensor) throws -> Tensor]
    let head: SpeedNetHead

    /// Logits `[N]` of "sped up" for normalised clips `[N, T, H, W, 3]`.
    public func forward(clip: Tensor) throws -> Tensor {
        try SpeedNet.checkClip(clip)
        return try Tensor.withNoGrad {
            try head(stages.reduce(try stem(clip)) { try $1($0) })
        }
    }
}
