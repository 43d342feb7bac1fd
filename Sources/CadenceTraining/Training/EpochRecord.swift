import CadenceVideo
/// One line of `RUN/metrics.jsonl`: what an epoch trained on and how it scored.
public struct EpochRecord: Codable, Sendable, Equatable {
    /// 1-based epoch and the run's total.
    public var epoch: Int
    public var epochs: Int
    public var trainLoss: Double
    /// Training top-1 accuracy (percent) of the clips as trained (augmented, in training mode).
    public var trainTop1: Double
    /// Validation top-1 and top-5 accuracy (percent) of whole videos, views averaged; nil without a
    /// validation set.
    public var valTop1: Double?
    public var valTop5: Double?
    /// Speediness runs: validation accuracy (percent, threshold 0.5) of windows at 1x (normal) and 2x
    /// (sped up), and the ROC AUC of normal against 2x; nil otherwise.
    public var valAccuracy: Double? = nil
    public var valAUC: Double? = nil
    /// Learning rate of the epoch's last iteration.
    public var lr: Double
    public var epochSeconds: Double
    public var clipsPerSecond: Double
    public var trainClips: Int
    /// The epoch's long-cycle clip shape and batch (multigrid changes them; the short cycle varies
    /// them further per iteration).
    public var frames: Int
    public var crop: Int
    public var batchSize: Int
    /// Videos that could not be decoded this epoch, with the reason.
    public var skipped: [SkippedVideo]

    enum CodingKeys: String, CodingKey {
        case epoch, epochs, lr, frames, crop, skipped
        case trainLoss = "train_loss", trainTop1 = "train_top1", valTop1 = "val_top1", valTop5 = "val_top5", valAccuracy = "val_accuracy", valAUC = "val_auc"
        case epochSeconds = "epoch_seconds", clipsPerSecond = "clips_per_s", trainClips = "train_clips"
        case batchSize = "batch"
    }
}

extension SkippedVideo: Codable {
    enum CodingKeys: String, CodingKey { case path, reason }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(path: try c.decode(String.self, forKey: .path), reason: try c.decode(String.self, forKey: .reason))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(reason, forKey: .reason)
    }
}
