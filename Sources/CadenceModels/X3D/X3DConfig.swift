import CadenceTensor

/// The PySlowFast `X3D` config keys that shape the network, plus the clip geometry that fixes the
/// head's pooling kernel. The named presets are `.xs`, `.s`, `.m`, `.l`; reduced test models set
/// the fields directly.
public struct X3DConfig: Sendable, Equatable {
    public var classes: Int = 400
    /// `DATA.NUM_FRAMES`: the head pools over this many frames.
    public var frames: Int
    /// `DATA.TRAIN_CROP_SIZE`: the head pools over `ceil(crop / 32)` positions per spatial axis.
    public var trainCrop: Int
    public var widthFactor: Double = 2.0
    public var depthFactor: Double
    public var bottleneckFactor: Double = 2.25
    public var dimC1: Int = 12
    public var dimC5: Int = 2048
    public var scaleRes2: Bool = false
    /// `BN_LIN5`: a batch norm after the head's `lin_5`.
    public var bnLin5: Bool = false
    /// `CHANNELWISE_3x3x3`: the 3x3x3 conv is depthwise.
    public var channelwise3x3x3: Bool = true
    public var dropoutRate: Float = 0.5
    /// PySlowFast gives res2's first shortcut a batch norm; PyTorchVideo's X3D has none there
    /// (its shortcut only normalises when the width changes). False builds the PyTorchVideo variant.
    public var res2ShortcutNorm: Bool = true

    public init(frames: Int, trainCrop: Int, depthFactor: Double) {
        self.frames = frames
        self.trainCrop = trainCrop
        self.depthFactor = depthFactor
    }

    public static let xs = X3DConfig(frames: 4, trainCrop: 160, depthFactor: 2.2)
    public static let s = X3DConfig(frames: 13, trainCrop: 160, depthFactor: 2.2)
    public static let m = X3DConfig(frames: 16, trainCrop: 224, depthFactor: 2.2)
    public static let l = X3DConfig(frames: 16, trainCrop: 312, depthFactor: 5.0)

    /// One residual stage's shape.
    public struct Stage: Sendable, Equatable {
        public var blocks: Int
        public var outputChannels: Int
        public var innerChannels: Int
        public var squeezeChannels: Int
    }

    /// Output width of the stem.
    public var stemWidth: Int { roundWidth(dimC1, widthFactor) }

    /// res2…res5 (PySlowFast's `block_basis` scaled by the width and depth factors).
    public var stages: [Stage] {
        let res2 = scaleRes2 ? roundWidth(dimC1, widthFactor) : dimC1
        let res3 = roundWidth(res2, 2, divisor: 8)
        let res4 = roundWidth(res3, 2, divisor: 8)
        let res5 = roundWidth(res4, 2, divisor: 8)
        return zip([1, 2, 5, 3], [res2, res3, res4, res5]).map { blocks, width in
            let out = roundWidth(width, widthFactor)
            let inner = Int(bottleneckFactor * Double(out))
            return Stage(blocks: Int((depthFactor * Double(blocks)).rounded(.up)), outputChannels: out,
                         innerChannels: inner, squeezeChannels: roundWidth(inner, 0.0625, minWidth: 8, divisor: 8))
        }
    }

    /// The head's average-pool kernel `[frames, ceil(crop/32), ceil(crop/32)]`.
    public var headPoolKernel: Dims3 {
        let side = (trainCrop + 31) / 32
        return Dims3(frames, side, side)
    }
}
