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
public final class Trainer {
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
    public struct Outcome {
        /// The records of the epochs this call trained.
        public var records: [EpochRecord]
        /// The epoch the run started at (non-zero when it resumed).
        public var startEpoch: Int
        /// Whether the run reached its last epoch (and wrote `model.safetensors`).
        public var finished: Bool
        /// Videos skipped in any epoch of this call, each once.
        public var skipped: [SkippedVideo]
    }

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

    /// Trains to the last epoch. A folder holding checkpoints of the same run is resumed from its
    /// newest; one holding a different run is refused. `resume` only asks for that explicitly: it
    /// fails when there is nothing to resume.
    public func run(resume: Bool = false) throws -> Outcome {
        try folder.create()
        let latest = folder.latestCheckpoint()
        if let saved = try folder.description(), saved != description, latest != nil {
            throw TrainingError(folder.url.path, "holds a run with other options or data (see run.json); "
                                + "use the same options to resume it, or another --run folder")
        }
        if resume, latest == nil {
            throw TrainingError(folder.url.path, "has no checkpoint to resume from")
        }
        try folder.write(try description.json() + "\n", to: folder.runJSON)

        let network = try description.buildNetwork(seed: TrainingSeed.derive(configuration.seed, .initialisation))
        let groups = ParameterGroup.pySlowFast(network, weightDecay: Float(configuration.weightDecay))
        let optimizer = try SGD(groups: groups, learningRate: Float(configuration.learningRate),
                                momentum: Float(configuration.momentum), nesterov: true)
        var startEpoch = 0
        var history: [EpochRecord] = []
        if let latest {
            let checkpoint = try TrainingCheckpoint.read(latest)
            try network.load(checkpoint.weights, strict: true, source: latest.path)
            try optimizer.loadStateDict(checkpoint.optimizerState)
            startEpoch = checkpoint.epochsDone
            // Records past the checkpoint belong to epochs that will be trained again.
            history = try folder.records().filter { $0.epoch <= startEpoch }
        } else if let source = configuration.fineTuneFrom {
            try loadBackbone(from: source, into: network)
        }
        try folder.writeRecords(history)

        let schedule = LearningRateSchedule(
            baseRate: configuration.learningRate,
            policy: .cosine(end: configuration.cosineEndRate, maxEpoch: Double(epochs), afterWarmup: false),
            warmupEpochs: configuration.warmupEpochs, warmupStartRate: configuration.warmupStartRate)
        let planner = BatchPlanner(shapes: shapes, trainCount: train.count)
        observer?.runStarted(epoch: startEpoch, epochs: epochs, resumed: latest != nil)

        var outcome = Outcome(records: [], startEpoch: startEpoch, finished: false, skipped: [])
        var stepSeconds: [Double] = []
        for epoch in startEpoch..<epochs {
            let record = try trainEpoch(epoch, network: network, optimizer: optimizer, schedule: schedule,
                                        planner: planner, stepSeconds: &stepSeconds)
            history.append(record)
            outcome.records.append(record)
            for skip in record.skipped where !outcome.skipped.contains(skip) { outcome.skipped.append(skip) }
            try folder.writeRecords(history)
            try folder.write(TrainingCurves.svg(history), to: folder.curves)
            let done = epoch + 1
            if done % configuration.checkpointEvery == 0 || done == epochs {
                try TrainingCheckpoint(weights: network.stateDict(), optimizerState: optimizer.stateDict(),
                                       epochsDone: done, run: description).write(to: folder.checkpoint(afterEpochs: done))
                if keepCheckpoints > 0 { try folder.pruneCheckpoints(keeping: keepCheckpoints) }
            }
            observer?.epochFinished(record)
            if let stop = stopAfterEpochs, done >= stop, done < epochs { return outcome }
        }
        try TrainedModel.write(network, run: description, to: folder.model)
        outcome.finished = true
        return outcome
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

    private func trainEpoch(_ epoch: Int, network: any VideoModel, optimizer: SGD, schedule: LearningRateSchedule,
                            planner: BatchPlanner, stepSeconds: inout [Double]) throws -> EpochRecord {
        let epochStart = DispatchTime.now().uptimeNanoseconds
        let batches = planner.trainingBatches(epoch: epoch)
        let source = try makeSource(train.map(\.path), batches, preset.mean, preset.std)
        defer { source.cancel() }
        network.train()
        var lossSum = 0.0, correct = 0, clips = 0, step = 0, lr = 0.0
        var trainSeconds = 0.0
        while let batch = try source.next() {
            let stepStart = DispatchTime.now().uptimeNanoseconds
            let shape = shapes.iteration(epoch: epoch, iteration: step)
            lr = schedule.rate(atEpoch: Double(epoch) + Double(step) / Double(batches.count)) * shape.learningRateMultiplier
            optimizer.setLearningRate(Float(lr))
            reseedDropout(network, epoch: epoch, step: step)
            let labels = batch.requests.map { train[$0.video].label }
            optimizer.zeroGrad()
            let logits = try forward(network, clips: batch.clips, splits: shape.batchNormSplits)
            let loss = try crossEntropy(logits, targets: labels, labelSmoothing: Float(configuration.labelSmoothing))
            try loss.backward()
            if let maxNorm = configuration.clipGradientNorm {
                try clipGradientNorm(network.parameters(), maxNorm: Float(maxNorm))
            }
            try optimizer.step()
            let value = Double(try loss.item())
            guard value.isFinite else { throw TrainingError("epoch \(epoch + 1)", "the loss became \(value) at step \(step + 1)") }
            lossSum += value * Double(labels.count)
            correct += zip(Trainer.argmax(logits), labels).filter { $0 == $1 }.count
            clips += labels.count
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - stepStart) / 1e9
            trainSeconds += seconds
            stepSeconds.append(seconds)
            step += 1
            let perStep = stepSeconds.suffix(20).reduce(0, +) / Double(min(stepSeconds.count, 20))
            let stepsLeft = (batches.count - step) + (epochs - epoch - 1) * batches.count
            observer?.stepFinished(StepProgress(
                epoch: epoch, epochs: epochs, step: step - 1, steps: batches.count, loss: value,
                meanLoss: lossSum / Double(clips), learningRate: lr,
                clipsPerSecond: Double(clips) / max(trainSeconds, 1e-9), secondsLeft: perStep * Double(stepsLeft)))
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
            epoch: epoch + 1, epochs: epochs, trainLoss: lossSum / Double(max(clips, 1)),
            trainTop1: 100 * Double(correct) / Double(max(clips, 1)), valTop1: result?.scores.top1,
            valTop5: result?.scores.top5, lr: lr,
            epochSeconds: Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9,
            clipsPerSecond: Double(clips) / max(trainSeconds, 1e-9), trainClips: clips,
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

    /// Dropout and drop-path masks of a step come from generators seeded by (seed, epoch, step).
    private func reseedDropout(_ network: any VideoModel, epoch: Int, step: Int) {
        for (index, (_, module)) in network.namedModules().enumerated() {
            let seed = TrainingSeed.derive(configuration.seed, .dropout, epoch, step, index)
            if let dropout = module as? Dropout { dropout.generator = TensorRandom(seed: seed) }
            if let dropPath = module as? DropPath { dropPath.generator = TensorRandom(seed: seed) }
        }
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
