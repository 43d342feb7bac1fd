import CadenceNN
import CadenceTensor
import CadenceVideo

/// A named, published model configuration: architecture, how clips are sampled and normalised,
/// and the crop sizes it trains and tests at (PySlowFast's `configs/Kinetics/*.yaml`).
public struct ModelPreset: Sendable {
    /// The network family and its configuration.
    public enum Architecture: Sendable {
        case x3d(X3DConfig)
        case resNet(ResNetConfig)
        case mvit(MViTConfig)
    }

    public let name: String
    public private(set) var architecture: Architecture
    /// Frames per clip (for SlowFast, the fast pathway's count).
    public private(set) var frames: Int
    /// Source frames between sampled frames (at the 30 fps target rate).
    public private(set) var samplingRate: Int
    public private(set) var trainCrop: Int
    /// Short side and square crop size at test time (PySlowFast's 3-crop protocol).
    public private(set) var testCrop: Int
    /// Per-channel RGB normalisation of `[0, 1]` pixels: `(x - mean) / std`.
    public let mean: [Float] = [0.45, 0.45, 0.45]
    public let std: [Float] = [0.225, 0.225, 0.225]
    public let packing: PathwayPacking
    /// Output classes of the published checkpoints (Kinetics-400).
    public let classes: Int = 400
    /// PySlowFast's test protocol: temporal clips x spatial crops (`TEST.NUM_ENSEMBLE_VIEWS`,
    /// `TEST.NUM_SPATIAL_CROPS`).
    public private(set) var testViews: (temporal: Int, spatial: Int) = (10, 3)
    /// `DATA.USE_OFFSET_SAMPLING` (MViT): test clips start at `i * floor(delta / (n - 1))`.
    public private(set) var offsetSampling = false

    /// Builds the network with freshly initialised weights and `classes` outputs.
    public func build(classes: Int? = nil, seed: UInt64 = 0) throws -> any VideoModel {
        switch architecture {
        case var .x3d(config):
            config.classes = classes ?? self.classes
            return try X3D(config, seed: seed)
        case var .resNet(config):
            config.classes = classes ?? self.classes
            return try ResNet(config, seed: seed)
        case var .mvit(config):
            config.classes = classes ?? self.classes
            return try MViT(config, seed: seed)
        }
    }

    /// The preset with the head's pooling kernel sized for `crop` (PySlowFast's `TRAIN_CROP_SIZE`,
    /// which is all that key changes in the network), e.g. to run a checkpoint trained at another size.
    public func withTrainCrop(_ crop: Int) -> ModelPreset {
        var copy = self
        switch architecture {
        case var .x3d(config):
            config.trainCrop = crop
            copy.architecture = .x3d(config)
        case var .resNet(config):
            config.trainCrop = crop
            copy.architecture = .resNet(config)
        case var .mvit(config):
            // MViT's position tables fix the input size, so train and test crops are the same.
            config.crop = crop
            copy.architecture = .mvit(config)
            copy.testCrop = crop
        }
        copy.trainCrop = crop
        return copy
    }

    /// The preset sampling `frames` frames `samplingRate` apart and testing at `testCrop`, with the
    /// network's temporal sizes (head pooling, MViT position tables) following `frames`: for models
    /// trained with `cadence train --frames --sampling-rate`.
    public func withClip(frames: Int, samplingRate: Int, testCrop: Int? = nil) -> ModelPreset {
        var copy = self
        switch architecture {
        case var .x3d(config):
            config.frames = frames
            copy.architecture = .x3d(config)
        case var .resNet(config):
            config.frames = frames
            copy.architecture = .resNet(config)
        case var .mvit(config):
            config.frames = frames
            copy.architecture = .mvit(config)
        }
        copy.frames = frames
        copy.samplingRate = samplingRate
        if let testCrop { copy.testCrop = testCrop }
        return copy
    }

    /// Channels-last input shapes (batch 1), slow pathway first, at a square crop `side`.
    public func inputShapes(crop side: Int? = nil) -> [[Int]] {
        let side = side ?? testCrop
        return packing.pathwayIndices(frames: frames).map { [1, $0.count, side, side, 3] }
    }

    /// The same shapes in PyTorch's `N, C, T, H, W` order, as `cadence forward` expects.
    public func pyTorchInputShapes(crop side: Int? = nil) -> [[Int]] {
        inputShapes(crop: side).map { [$0[0], $0[4], $0[1], $0[2], $0[3]] }
    }

    /// fvcore-style GFLOPs of one view at `crop` (default: the test crop): conv and linear
    /// multiply-adds counted once each plus batch norms, as in PySlowFast's tables (see `MACCount`).
    public func gigaFLOPs(of model: any VideoModel, crop: Int? = nil) throws -> Double {
        Double(try model.flopCount(inputShapes: inputShapes(crop: crop))) / 1e9
    }

    /// The preset called `name` (case-insensitive; `-` and `_` are interchangeable).
    public static func named(_ name: String) throws -> ModelPreset {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
        guard let preset = all.first(where: { $0.name == key }) else {
            throw ModelError("model \"\(name)\"", "unknown; known models: \(all.map(\.name).joined(separator: ", "))")
        }
        return preset
    }

    /// Every preset, in the order `cadence models` lists them.
    public static let all: [ModelPreset] = [
        ModelPreset(name: "x3d_xs", architecture: .x3d(.xs), frames: 4, samplingRate: 12, trainCrop: 160,
                    testCrop: 182, packing: .single),
        ModelPreset(name: "x3d_s", architecture: .x3d(.s), frames: 13, samplingRate: 6, trainCrop: 160,
                    testCrop: 182, packing: .single),
        ModelPreset(name: "x3d_m", architecture: .x3d(.m), frames: 16, samplingRate: 5, trainCrop: 224,
                    testCrop: 256, packing: .single),
        ModelPreset(name: "x3d_l", architecture: .x3d(.l), frames: 16, samplingRate: 5, trainCrop: 312,
                    testCrop: 356, packing: .single),
        ModelPreset(name: "slowfast_r50_4x16", architecture: .resNet(.slowFast4x16), frames: 32, samplingRate: 2,
                    trainCrop: 224, testCrop: 256, packing: .slowFast(alpha: 8)),
        ModelPreset(name: "slowfast_r50_8x8", architecture: .resNet(.slowFast8x8), frames: 32, samplingRate: 2,
                    trainCrop: 224, testCrop: 256, packing: .slowFast(alpha: 4)),
        ModelPreset(name: "slow_r50_8x8", architecture: .resNet(.slow8x8), frames: 8, samplingRate: 8,
                    trainCrop: 224, testCrop: 256, packing: .single),
        ModelPreset(name: "mvit_b_16x4", architecture: .mvit(.b16x4), frames: 16, samplingRate: 4, trainCrop: 224,
                    testCrop: 224, packing: .single, testViews: (5, 1), offsetSampling: true),
        ModelPreset(name: "mvitv2_s_16x4", architecture: .mvit(.v2s16x4), frames: 16, samplingRate: 4,
                    trainCrop: 224, testCrop: 224, packing: .single, testViews: (5, 1), offsetSampling: true),
    ]
}
