import CadenceModels
import CadenceNN
import CadenceTensor
import CadenceVideo
import Foundation

/// Trains SpeedNet self-supervised (shared/reference/speednet-and-tokens.md, A2-A3) on unlabelled
/// videos: each batch holds pairs of clips from the same place of a video, one at normal speed and
/// one sped up about 2x, both with temporal jitter, the same random size, crop and flip; binary
/// cross-entropy on one logit (0 normal, 1 sped up). Validation scores re-timed windows of the
/// held-out videos at 1x and 2x (no jitter) by accuracy and ROC AUC. The run folder, resuming,
/// optimizer, schedule, checkpoints, metrics and curves are `TrainingLoop`'s, as in classification;
/// the final `model.safetensors` is a `SpeedNetWeights` file that `cadence speed --weights` reads.
public final class SpeedinessTrainer: TrainingTask {
    public let settings: SpeedinessConfiguration
    public let train: [String]
    public let validation: [String]
    public let folder: RunFolder
    public weak var observer: (any TrainingObserver)?
    /// How many of the newest checkpoints to keep (0: all).
    public var keepCheckpoints = 2
    /// Test hook: return after this many epochs as if the process had been killed there.
    public var stopAfterEpochs: Int?

    private let makeSource: ClipSourceFactory

    public init(configuration: SpeedinessConfiguration, train: [String], validation: [String], folder: RunFolder,
                makeSource: @escaping ClipSourceFactory) throws {
        guard !train.isEmpty else { throw TrainingError("dataset", "has no training videos") }
        var settings = configuration
        settings.trainVideos = train.count
        settings.validationVideos = validation.count
        try settings.validate()
        self.settings = settings
        self.train = train
        self.validation = validation
        self.folder = folder
        self.makeSource = makeSource
    }

    public var configuration: TrainingConfiguration { settings.training }
    public var epochs: Int { settings.training.epochs }
    public var learningRateSchedule: LearningRateSchedule { configuration.learningRateSchedule(epochs: epochs) }

    /// Trains to the last epoch, resuming a folder with checkpoints of the same run (see `TrainingLoop`).
    public func run(resume: Bool = false) throws -> TrainingOutcome {
        try TrainingLoop(task: self, folder: folder, keepCheckpoints: keepCheckpoints, stopAfterEpochs: stopAfterEpochs,
                         observer: observer).run(resume: resume)
    }

    public func runJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(settings), as: UTF8.self)
    }

    public func isSameRun(_ saved: String, source: String) throws -> Bool {
        (try? JSONDecoder().decode(SpeedinessConfiguration.self, from: Data(saved.utf8))) == settings
    }

    /// A fresh SpeedNet with PyTorch's layer defaults: with PySlowFast's classification init (a
    /// classifier of std 0.01, identity blocks) the loss stayed at ln 2 for a dozen epochs here,
    /// while the defaults move it within a few.
    public func makeNetwork() throws -> SpeedNet {
        try SpeedNet(settings.speedNet, seed: TrainingSeed.derive(configuration.seed, .initialisation))
    }

    public func startFresh(_ network: SpeedNet) throws {}

    public func writeModel(_ network: SpeedNet, to url: URL) throws {
        try SpeedNetWeights.write(network, to: url, metadata: [TrainingCheckpoint.runKey: try runJSON()])
    }

    private var mean: [Float] { Array(repeating: settings.speedNet.mean, count: 3) }
    private var std: [Float] { Array(repeating: settings.speedNet.std, count: 3) }

    /// The training batches of `epoch`: each video `pairsPerVideo` times, shuffled by (seed, epoch),
    /// `batchSize` pairs per batch,
    /// each pair a normal and a sped-up request with one seed (same start, crop and flip), and one
    /// side per batch drawn from `sizes`.
    public func trainingBatches(epoch: Int) -> [[ClipRequest]] {
        let c = configuration
        var generator = TensorRandom(seed: TrainingSeed.derive(c.seed, .shuffle, epoch))
        let order = Array(0..<(train.count * settings.pairsPerVideo)).shuffled(using: &generator).map { $0 % train.count }
        return stride(from: 0, to: order.count, by: c.batchSize).enumerated().map { batch, first in
            var sizeGenerator = TensorRandom(seed: TrainingSeed.derive(c.seed, .samplingRate, epoch, batch))
            let side = Int.random(in: settings.sizes[0]...settings.sizes[1], using: &sizeGenerator)
            return (first..<min(order.count, first + c.batchSize)).flatMap { p in
                let seed = TrainingSeed.derive(c.seed, .clip, epoch, p)
                return [false, true].map { spedUp in
                    ClipRequest(video: order[p], frames: c.frames, samplingRate: 1, timing: .speedPair(spedUp: spedUp),
                                framing: .training(jitter: side...side, crop: side, flip: c.flip), seed: seed)
                }
            }
        }
    }

    /// How validation scores the held-out videos: `validationTemporalViews` windows per video at 1x
    /// and at 2x, centre-cropped at `testCrop`.
    public var evaluation: SpeedinessEvaluation {
        let c = configuration
        return SpeedinessEvaluation(frames: c.frames, crop: c.testCrop, views: c.validationTemporalViews,
                                    batchSize: 2 * c.batchSize, mean: mean, std: std)
    }

    public func trainEpoch(_ epoch: Int, network: SpeedNet, steps: StepRunner) throws -> EpochRecord {
        let epochStart = DispatchTime.now().uptimeNanoseconds
        let batches = trainingBatches(epoch: epoch)
        let source = try makeSource(train, batches, mean, std)
        defer { source.cancel() }
        network.train()
        let totals = try steps.run(epoch: epoch, steps: batches.count, source: source, network: network) { batch, _ in
            let targets = batch.requests.map { request -> Float in
                if case .speedPair(spedUp: true) = request.timing { return 1 }
                return 0
            }
            let logits = try network.forward(clip: batch.clips)
            let loss = try binaryCrossEntropyWithLogits(logits, targets: try Tensor(shape: [targets.count], values: targets))
            let right = zip(logits.toArray(), targets).filter { ($0 > 0) == ($1 > 0.5) }.count
            return StepRunner.StepLoss(loss: loss, samples: targets.count, correct: right)
        }
        var skipped = source.skipped
        let scores = try validate(network)
        skipped += scores?.skipped ?? []
        return EpochRecord(
            epoch: epoch + 1, epochs: epochs, trainLoss: totals.meanLoss, trainTop1: totals.accuracy,
            valTop1: nil, valTop5: nil, valAccuracy: scores?.accuracy, valAUC: scores?.auc, lr: totals.learningRate,
            epochSeconds: Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9,
            clipsPerSecond: totals.samplesPerSecond, trainClips: totals.samples,
            frames: configuration.frames, crop: settings.sizes[1], batchSize: 2 * configuration.batchSize, skipped: skipped)
    }

    /// Accuracy (percent) and AUC on the validation videos; nil without them.
    private func validate(_ network: SpeedNet) throws -> (accuracy: Double, auc: Double?, skipped: [SkippedVideo])? {
        guard !validation.isEmpty else { return nil }
        let result = try evaluation.run(network, videos: validation, makeSource: makeSource) { [observer] done, total in
            observer?.validating(done: done, total: total)
        }
        return (result.accuracy, result.auc, result.skipped)
    }
}
