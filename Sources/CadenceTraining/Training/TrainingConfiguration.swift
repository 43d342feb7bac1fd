import CadenceNN
import CadenceVideo
import Foundation

/// Every option that decides what a training run computes. It is saved in `RUN/run.json`; a run
/// resumes automatically only when the saved configuration equals the requested one.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// Model preset name (`cadence models`).
    public var model: String
    /// Frames per clip and source frames between them (at 30 fps).
    public var frames: Int
    public var samplingRate: Int
    /// Training crop side, and the short side and crop of validation views.
    public var crop: Int
    public var testCrop: Int
    /// Short-side jitter range of training clips, `[min, max]` pixels.
    public var jitter: [Int]
    /// Horizontal flips of training clips.
    public var flip: Bool
    /// Baseline epochs (a multigrid run takes `1.5x` as many, as in the paper).
    public var epochs: Int
    /// Clips per batch at the full clip shape.
    public var batchSize: Int
    /// Base learning rate (scaled by the multigrid batch multiplier), warmup and cosine end.
    public var learningRate: Double
    public var warmupEpochs: Double
    public var warmupStartRate: Double
    public var cosineEndRate: Double
    /// Epochs at which the learning rate drops tenfold (PySlowFast's `steps_with_relative_lrs` with
    /// relative rates `0.1^i`), or nil for the cosine policy.
    public var learningRateSteps: [Int]?
    /// SGD weight decay; batch-norm parameters get none.
    public var weightDecay: Double
    public var momentum: Double
    public var labelSmoothing: Double
    /// Maximum joint L2 norm of the gradients, or nil for no clipping.
    public var clipGradientNorm: Double?
    /// Validation views: temporal clips and spatial crops (1 or 3) per video.
    public var validationTemporalViews: Int
    public var validationSpatialViews: Int
    /// A checkpoint every this many epochs (and always after the last).
    public var checkpointEvery: Int
    public var seed: UInt64
    public var multigrid: MultigridMode?
    /// Clips that batch-norm statistics cover under multigrid (PySlowFast's `BN_BASE_SIZE`).
    public var batchNormBaseSize: Int
    /// Training batches over which batch-norm statistics are recomputed as true averages before each
    /// validation and checkpoint (PySlowFast's precise BN); 0 keeps the running averages.
    public var preciseBatchNormBatches: Int
    /// A checkpoint to fine-tune from (its classifier is replaced), or nil to start from scratch.
    public var fineTuneFrom: String?

    enum CodingKeys: String, CodingKey {
        case model, frames, samplingRate = "sampling_rate", crop, testCrop = "test_crop", jitter, flip, epochs
        case batchSize = "batch_size", learningRate = "learning_rate", warmupEpochs = "warmup_epochs", warmupStartRate = "warmup_start_rate"
        case cosineEndRate = "cosine_end_rate", weightDecay = "weight_decay", momentum, labelSmoothing = "label_smoothing"
        case clipGradientNorm = "clip_gradient_norm", validationTemporalViews = "validation_temporal_views"
        case validationSpatialViews = "validation_spatial_views", checkpointEvery = "checkpoint_every", seed
        case multigrid, batchNormBaseSize = "batch_norm_base_size", preciseBatchNormBatches = "precise_batch_norm_batches"
        case fineTuneFrom = "fine_tune_from", learningRateSteps = "lr_steps"
    }

    /// The defaults for `preset`: its clip shape and crops, PySlowFast's X3D recipe scaled down to a
    /// small CPU run (SGD 0.1 Nesterov, cosine, label smoothing off).
    public init(preset: ModelPreset, epochs: Int = 10, batchSize: Int = 8) {
        model = preset.name
        frames = preset.frames
        samplingRate = preset.samplingRate
        crop = preset.trainCrop
        testCrop = preset.testCrop
        jitter = TrainingConfiguration.defaultJitter(crop: preset.trainCrop)
        flip = true
        self.epochs = epochs
        self.batchSize = batchSize
        learningRate = 0.1
        warmupEpochs = 0
        warmupStartRate = 0.01
        cosineEndRate = 0
        learningRateSteps = nil
        weightDecay = 5e-5
        momentum = 0.9
        labelSmoothing = 0
        clipGradientNorm = nil
        validationTemporalViews = 1
        validationSpatialViews = 1
        checkpointEvery = 1
        seed = 0
        multigrid = nil
        batchNormBaseSize = 8
        preciseBatchNormBatches = 0
        fineTuneFrom = nil
    }

    /// Kinetics' `[256, 320]` short-side jitter at a 224 crop, scaled to `crop` (`[182, 228]` at 160,
    /// X3D's recipe). A crop past `SamplingLimits.side`, which `validate` refuses, is clamped first, so
    /// that an absurd `--crop` reaches that error instead of overflowing here.
    public static func defaultJitter(crop: Int) -> [Int] {
        let side = min(crop, SamplingLimits.side)
        return [side * 256 / 224, side * 320 / 224]
    }

    /// The test crop that keeps the preset's train/test ratio at training crop `crop` (clamped as in
    /// `defaultJitter`).
    public static func defaultTestCrop(preset: ModelPreset, crop: Int) -> Int {
        min(crop, SamplingLimits.side) * preset.testCrop / preset.trainCrop
    }

    /// The most epochs a run takes: past any real schedule, and small enough that epochs × steps per
    /// epoch stays inside `Int`.
    public static let maximumEpochs = 1_000_000

    /// Throws when an option is out of range, naming it.
    public func validate() throws {
        func check(_ ok: Bool, _ option: String, _ reason: String) throws {
            if !ok { throw TrainingError("--\(option)", reason) }
        }
        let side = SamplingLimits.side
        try check((1...SamplingLimits.frames).contains(frames), "frames", "must be from 1 to \(SamplingLimits.frames)")
        try check((1...SamplingLimits.samplingRate).contains(samplingRate), "sampling-rate",
                  "must be from 1 to \(SamplingLimits.samplingRate)")
        try check((16...side).contains(crop), "crop", "must be from 16 to \(side)")
        try check((16...side).contains(testCrop), "test-crop", "must be from 16 to \(side)")
        try check(jitter.count == 2 && jitter[0] >= crop && jitter[0] <= jitter[1] && jitter[1] <= side, "jitter",
                  "must be A:B with crop <= A <= B <= \(side)")
        try check((1...Self.maximumEpochs).contains(epochs), "epochs", "must be from 1 to \(Self.maximumEpochs)")
        try check(batchSize > 0, "batch", "must be positive")
        try check(learningRate > 0, "lr", "must be positive")
        try check(warmupEpochs >= 0 && warmupEpochs <= Double(epochs), "warmup-epochs", "must be from 0 to --epochs")
        if let steps = learningRateSteps {
            try check(!steps.isEmpty && zip(steps, steps.dropFirst()).allSatisfy { $0 < $1 }
                      && steps[0] > 0 && steps[steps.count - 1] < epochs,
                      "lr-steps", "must be increasing epochs between 1 and --epochs - 1")
        }
        try check(weightDecay >= 0, "weight-decay", "must not be negative")
        try check(labelSmoothing >= 0 && labelSmoothing < 1, "label-smoothing", "must be in [0, 1)")
        try check((clipGradientNorm ?? 1) > 0, "clip-grad", "must be positive")
        try check(validationTemporalViews > 0 && [1, 3].contains(validationSpatialViews), "val-views",
                  "must be TxS with T >= 1 and S 1 or 3")
        try check(checkpointEvery > 0, "checkpoint-every", "must be positive")
        try check(batchNormBaseSize > 0, "bn-base-size", "must be positive")
        try check(preciseBatchNormBatches >= 0, "precise-bn", "must not be negative")
        try Self.checkInputFits(batch: batchSize, frames: frames, side: max(crop, testCrop),
                                options: "--batch, --frames and --crop")
    }

    /// Throws when one batch's input alone, `batch` clips of `frames` frames of `side`x`side` RGB
    /// floats, passes the machine's memory. Such a run cannot start, and the engine's allocator would
    /// stop the process instead of reporting it; `options` names the options that set the sizes.
    public static func checkInputFits(batch: Int, frames: Int, side: Int, options: String) throws {
        let bytes = Double(batch) * Double(frames) * Double(side) * Double(side) * 3 * 4
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes > memory else { return }
        throw TrainingError(options, String(format: "make %.3g GB of input per batch, more than this machine's "
            + "%.1f GB of memory", bytes / 1e9, memory / 1e9))
    }

    /// The learning rate over `epochs` epochs without multigrid: cosine to `cosineEndRate`, or the
    /// tenfold steps, after the linear warmup.
    public func learningRateSchedule(epochs: Int) -> LearningRateSchedule {
        let policy: LearningRateSchedule.Policy
        if let steps = learningRateSteps {
            let starts = [0] + steps
            policy = .stepsWithRelativeRates(steps: starts.map(Double.init),
                                             relativeRates: starts.indices.map { pow(0.1, Double($0)) })
        } else {
            policy = .cosine(end: cosineEndRate, maxEpoch: Double(epochs), afterWarmup: false)
        }
        return LearningRateSchedule(baseRate: learningRate, policy: policy, warmupEpochs: warmupEpochs,
                                    warmupStartRate: warmupStartRate)
    }
}
