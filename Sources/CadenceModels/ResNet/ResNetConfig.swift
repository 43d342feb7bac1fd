import CadenceTensor

/// The PySlowFast `RESNET`/`SLOWFAST` config keys of the ResNet family: Slow-only (`alpha == nil`)
/// and SlowFast (two pathways fused fast→slow after every stage but the last).
public struct ResNetConfig: Sendable, Equatable {
    public var classes: Int = 400
    /// `DATA.NUM_FRAMES`: frames of the (fast) pathway; fixes the head's temporal pool.
    public var frames: Int
    /// `DATA.TRAIN_CROP_SIZE`: the head pools `crop / 32` positions per spatial axis.
    public var trainCrop: Int
    /// `SLOWFAST.ALPHA` (fast/slow frame ratio); nil builds the single-pathway Slow model.
    public var alpha: Int?
    public var betaInv: Int = 8
    public var fusionChannelRatio: Int = 2
    public var fusionKernel: Int = 7
    public var widthPerGroup: Int = 64
    public var groups: Int = 1
    /// Blocks in res2…res5 (R50: 3, 4, 6, 3).
    public var stageDepths: [Int] = [3, 4, 6, 3]
    public var dropoutRate: Float = 0.5

    public init(frames: Int, trainCrop: Int, alpha: Int? = nil) {
        self.frames = frames
        self.trainCrop = trainCrop
        self.alpha = alpha
    }

    public static let slowFast8x8: ResNetConfig = {
        var c = ResNetConfig(frames: 32, trainCrop: 224, alpha: 4)
        c.fusionKernel = 7
        return c
    }()

    public static let slowFast4x16: ResNetConfig = {
        var c = ResNetConfig(frames: 32, trainCrop: 224, alpha: 8)
        c.fusionKernel = 5
        return c
    }()

    public static let slow8x8 = ResNetConfig(frames: 8, trainCrop: 224)

    var isSlowFast: Bool { alpha != nil }

    /// Temporal kernels of the stem and of conv `a` in res2…res5 (`_TEMPORAL_KERNEL_BASIS`), per pathway.
    var temporalKernels: [[Int]] {
        let slow = [1, 1, 1, 3, 3]
        return isSlowFast ? [slow, [5, 3, 3, 3, 3]] : [slow]
    }

    /// Frames each pathway receives, slow first.
    var pathwayFrames: [Int] {
        guard let alpha else { return [frames] }
        return [frames / alpha, frames]
    }
}
