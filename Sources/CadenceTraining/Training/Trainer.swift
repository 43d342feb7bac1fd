import CadenceNN
import CadenceTensor
import CadenceVideo
import Foundation

/// Trains a preset's network on labelled videos as PySlowFast's `train_net.py` does: SGD with
/// Nesterov momentum and weight decay off batch norm, a cosine learning rate with linear warmup set
/// every iteration, cross-entropy with optional label smoothing and gradient clipping, optional
/// multigrid shapes, per-epoch validation, metrics, curves and atomic checkpoints in a run folder.
///
/// Every random choice (initialisation, shuffling, clip sampling, dropout) is derived from the seed,
/// epoch and step, and checkpoints hold the weights, batch-norm statistics and momentum buffers, so
/// a run resumed from a checkpoint ends with the same weights as an uninterrupted one.
public final class Trainer: TrainingTask {
    public let configuration: TrainingConfiguration
    public let classNames: [String]
    public let train: [LabeledVideo]
    public let validation: [LabeledVideo]
    public let folder: RunFolder
    public weak var observer: (any TrainingObserver)?
    /// How many of the newest checkpoints to keep (0: all); older ones are deleted after each save.
    public var keepCheckpoints = 2
    /// Test hook: return after this many epochs as if the process had been killed there.
    public var stopAfterEpochs: Int?

    private let makeSource: ClipSourceFactory
    private let preset: ModelPreset
    private let shapes: ClipShapePlan
    private let description: RunDescription

    /// What a call to `run` did.
    public typealias Outcome = TrainingOutcome

    public init(configuration: TrainingConfiguration, classNames: [String], train: [LabeledVideo],
                validation: [LabeledVideo], folder: RunFolder, makeSource: @escaping ClipSourceFactory) throws {
        try configuration.validate()
        guard classNames.count >= 2 else { throw TrainingError("dataset", "needs at least 2 classes, got \(classNames.count)") }
        guard !train.isEmpty else { throw TrainingError("dataset", "has no training videos") }
        if let bad = (train + validation).first(where: { $0.label < 0 || $0.label >= classNames.count }) {
            throw TrainingError(bad.path, "has label \(bad.label) outside 0..<\(classNames.count)")
        }
        preset = try ModelPreset.named(configuration.model)
        if case .mvit = preset.architecture, configuration.multigrid != nil {
            throw TrainingError("--multigrid", "needs a convolutional model (X3D, Slow, SlowFast); MViT's position tables fix the clip shape")
        }
        self.configuration = configuration
        self.classNames = classNames
        self.train = train
        self.validation = validation
        self.folder = folder
        self.makeSource = makeSource
        shapes = ClipShapePlan(configuration)
        description = RunDescription(configuration: configuration, classNames: classNames, preset: preset, shapes: shapes,
                                     trainVideos: train.count, validationVideos: validation.count)
    }

    /// Total epochs of the run.
    public var epochs: Int { shapes.epochs }
    public var learningRateSchedule: LearningRateSchedule { shapes.learningRateSchedule }

    /// Trains to the last epoch (see `TrainingLoop`). A folder holding checkpoints of the same run is
    /// resumed from its newest; one holding a different run is refused. `resume` only asks for that
    /// explicitly: it fails when there is nothing to resume.
    public func run(resume: Bool = false) throws -> Outcome {
        try TrainingLoop(task: self, folder: folder, keepCheckpoints: keepCheckpoints, stopAfterEpochs: stopAfterEpochs,
                         observer: observer).run(resume: resume)
    }

    public func runJSON() throws -> String { try description.json() }

    public func isSameRun(_ saved: String, source: String) throws -> Bool {
        try RunDescription.decode(saved, source: source) == description
    }

    /// A fresh network; conv nets get PySlowFast's training initialisation (MViT keeps its layers'
    /// defaults). Fine-tuning then overwrites all but the classifier.
    public func makeNetwork() throws -> any VideoModel {
        let seed = TrainingSeed.derive(configuration.seed, .initialisation)
        let network = try description.buildNetwork(seed: seed)
        if !(network is MViT) { try TrainingInitialization.apply(to: network, seed: seed) }
        return network
    }

    public func module(_ network: any VideoModel) -> Module { network }

    public func startFresh(_ network: any VideoModel) throws {
        if let source = configuration.fineTuneFrom { try loadBackbone(from: source, into: network) }
    }

    public func writeModel(_ network: any VideoModel, to url: URL) throws {
        try TrainedModel.write(network, run: description, to: url)
    }

    /// Loads every weight of the checkpoint at `path` except the classifier, which keeps its fresh
    /// initialisation for this run's classes; every other key must match.
    private func loadBackbone(from path: String, into network: any VideoModel) throws {
        let url = URL(fileURLWithPath: path)
        let classifier = "head.projection."
        var weights = try ModelCheckpoint.read(url).filter { !$0.key.hasPrefix(classifier) }
        for (key, value) in network.stateDict() where key.hasPrefix(classifier) { weights[key] = value }
        try ModelCheckpoint.load(weights, into: network, source: path)
    }

    public func trainEpoch(_ epoch: Int, network: any VideoModel, steps: StepRunner) throws -> EpochRecord {
        let epochStart = DispatchTime.now().uptimeNanoseconds
        let batches = BatchPlanner(shapes: shapes, trainCount: train.count).trainingBatches(epoch: epoch)
        let source = try makeSource(train.map(\.path), batches, preset.mean, preset.std)
        defer { source.cancel() }
        network.train()
        let totals = try steps.run(
            epoch: epoch, steps: batches.count, source: source, network: network,
            rateMultiplier: { shapes.iteration(epoch: epoch, iteration: $0).learningRateMultiplier }
        ) { batch, step in
            let shape = shapes.iteration(epoch: epoch, iteration: step)
            let labels = batch.requests.map { train[$0.video].label }
            let logits = try forward(network, clips: batch.clips, splits: shape.batchNormSplits)
            let loss = try crossEntropy(logits, targets: labels, labelSmoothing: Float(configuration.labelSmoothing))
            return StepRunner.StepLoss(loss: loss, samples: labels.count,
                                       correct: zip(Trainer.argmax(logits), labels).filter { $0 == $1 }.count)
        }
        var skipped = source.skipped
        if configuration.preciseBatchNormBatches > 0 {
            skipped += try recomputeBatchNormStatistics(network, batches: batches)
        }
        let result = try validate(network)
        if let result {
            skipped += result.skipped
            let matrix: [String: Any] = ["epoch": epoch + 1, "class_names": classNames, "matrix": result.scores.confusion,
                                         "top1": result.scores.top1, "top5": result.scores.top5, "videos": result.scores.videos]
            let data = try JSONSerialization.data(withJSONObject: matrix, options: [.sortedKeys])
            try folder.write(String(decoding: data, as: UTF8.self) + "\n", to: folder.confusion)
        }
        let shape = shapes.epochShape(epoch: epoch)
        return EpochRecord(
            epoch: epoch + 1, epochs: epochs, trainLoss: totals.meanLoss,
            trainTop1: totals.accuracy, valTop1: result?.scores.top1,
            valTop5: result?.scores.top5, lr: totals.learningRate,
            epochSeconds: Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9,
            clipsPerSecond: totals.samplesPerSecond, trainClips: totals.samples,
            frames: shape.frames, crop: shape.crop, batchSize: shape.batchSize,
            skipped: skipped)
    }

    /// PySlowFast's precise BN: running statistics of every batch norm become the plain average of
    /// the batch statistics over the first `preciseBatchNormBatches` training batches (momentum
    /// `1 / (i + 1)` for batch `i`), which evaluation then uses instead of the noisy running average.
    private func recomputeBatchNormStatistics(_ network: any VideoModel, batches: [[ClipRequest]]) throws -> [SkippedVideo] {
        let norms = network.namedModules().compactMap { $0.module as? BatchNorm3d }
        let plan = Array(batches.prefix(configuration.preciseBatchNormBatches))
        guard !norms.isEmpty, !plan.isEmpty else { return [] }
        let momenta = norms.map(\.momentum)
        defer { for (norm, momentum) in zip(norms, momenta) { norm.momentum = momentum } }
        let source = try makeSource(train.map(\.path), plan, preset.mean, preset.std)
        defer { source.cancel() }
        var count = 0
        while let batch = try source.next() {
            for norm in norms { norm.momentum = 1 / Float(count + 1) }
            // The whole batch at once: the statistics of the epoch's shape, not of sub-batches.
            _ = try Tensor.withNoGrad { try network.forward(pack(batch.clips)) }
            count += 1
        }
        return source.skipped
    }

    /// The logits of a batch; with `splits > 1` the batch is run as that many sub-batches so batch
    /// norm computes its statistics over each (sub-batch BN: these models mix samples nowhere else).
    private func forward(_ network: any VideoModel, clips: Tensor, splits: Int) throws -> Tensor {
        let sizes = Trainer.subBatchSizes(clips: clips.shape[0], splits: splits)
        let parts = sizes.count
        let pieces = parts == 1 ? [clips] : try clips.split(sizes: sizes, axis: 0).map { $0.contiguous() }
        let logits = try pieces.map { try network.forward(pack($0)) }
        return parts == 1 ? logits[0] : try Tensor.concat(logits, axis: 0)
    }

    /// Sizes of the sub-batches a batch of `clips` is split into: `splits` near-equal parts, but
    /// never parts of a single clip (batch norm needs two values per channel at the smallest grids).
    static func subBatchSizes(clips: Int, splits: Int) -> [Int] {
        let parts = max(1, min(splits, clips / 2))
        return (0..<parts).map { clips / parts + ($0 < clips % parts ? 1 : 0) }
    }

    /// One input per pathway (SlowFast's slow pathway takes a subset of the frames).
    private func pack(_ clips: Tensor) throws -> [Tensor] {
        let indices = preset.packing.pathwayIndices(frames: clips.shape[1])
        if indices.count == 1 { return [clips] }
        return try indices.map { try clips.indexSelect(axis: 1, indices: $0) }
    }

    /// Scores every validation video (softmax averaged over its views), or nil without a validation set.
    private func validate(_ network: any VideoModel) throws -> (scores: ValidationResult, skipped: [SkippedVideo])? {
        guard !validation.isEmpty else { return nil }
        network.eval()
        defer { network.train() }
        let folded = try network.folded()
        let batches = BatchPlanner.validationBatches(videos: validation.count, configuration: configuration)
        let source = try makeSource(validation.map(\.path), batches, preset.mean, preset.std)
        defer { source.cancel() }
        var sums = [[Float]](repeating: [], count: validation.count)
        var done = 0
        while let batch = try source.next() {
            let scores = try folded.forward(pack(batch.clips), observer: nil).toArray()
            let k = classNames.count, planned = batches[done]
            for (row, request) in batch.requests.enumerated() {
                // A view taken from a replacement video does not score the planned one.
                if row < planned.count, planned[row].video != request.video { continue }
                let score = Array(scores[row * k..<(row + 1) * k])
                sums[request.video] = sums[request.video].isEmpty ? score : zip(sums[request.video], score).map(+)
            }
            done += 1
            observer?.validating(done: done, total: batches.count)
        }
        // Videos that could not be decoded have no views and are left out of the scores.
        let scored = validation.indices.filter { !sums[$0].isEmpty }
        let result = ValidationResult(scores: scored.map { sums[$0] }, labels: scored.map { validation[$0].label },
                                      classes: classNames.count)
        return (result, source.skipped)
    }

    /// The highest-scoring class of each row of `[N, K]` logits.
    static func argmax(_ logits: Tensor) -> [Int] {
        let values = logits.toArray(), k = logits.shape[1]
        return (0..<logits.shape[0]).map { row in
            var best = 0
            for j in 1..<k where values[row * k + j] > values[row * k + best] { best = j }
            return best
        }
    }
}
