import ArgumentParser
import CadenceTensor
import CadenceTraining
import CadenceVideo
import Foundation

/// `cadence train DATA --run RUN`: trains a model preset on labelled videos (see `Trainer`), or with
/// `--task speediness` SpeedNet on unlabelled videos (see `SpeedinessTrainer`).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model preset on your own classes of videos, or SpeedNet on any videos.",
        discussion: """
        DATA is a folder of class sub-folders: DATA/train/<class>/* and DATA/val/<class>/*, or DATA/<class>/* \
        with --val-fraction of each class held out. With --csv, PySlowFast's CSV files (`path label` per line) \
        are read instead. Class names are sorted folder names (ids are their indices) and are saved with the run.

        Training follows PySlowFast: one random clip per video (--frames x --sampling-rate), short-side jitter, \
        random crop and flip; SGD with Nesterov momentum 0.9 and weight decay (none on batch norm); a cosine \
        learning rate (or tenfold steps, --lr-steps) with linear warmup, updated every iteration; validation after every epoch on uniform test \
        views (--val-views TxS), scores averaged per video. --multigrid trains on smaller, larger-batch clip shapes \
        (long cycle, 1.5x the epochs as in the paper; short cycle per iteration) with the learning rate scaled by \
        the batch multiplier.

        RUN gets run.json (options, preset, classes), metrics.jsonl (one record per epoch), curves.svg (loss and \
        accuracy), confusion.json, checkpoints/checkpoint_epoch_NNNNN.safetensors (the newest --keep-checkpoints) and, at the end, \
        model.safetensors, which `cadence classify --weights RUN/model.safetensors` uses without --model or \
        --labels. A RUN with checkpoints of the same options resumes from the newest one, ending with the same \
        weights as an uninterrupted run, bit for bit (with the same --threads: the kernels sum in a fixed order \
        for a given thread count). --from fine-tunes a checkpoint: every weight but the classifier is loaded.

        A progress bar goes to stderr when it is a terminal; one line per epoch goes to stdout (--json: the epoch \
        records as JSON lines). Videos that cannot be decoded are replaced, listed on stderr at the end of the \
        epoch, and make the exit code 1.

        --task speediness trains SpeedNet self-supervised on every video under DATA (recursively; no labels): \
        each batch holds --batch pairs, the same place of a video at normal speed (each frame kept with \
        probability 1/f, f in [1, 1.2]) and sped up (f in [1.7, 2.2]), with one random size per batch from --sizes, \
        the same crop and flip; binary cross-entropy on one logit. DATA/val/ (if present) or --val-fraction of \
        the videos is held out; validation scores --val-views T windows per video at 1x and at 2x (short side and \
        centre crop --test-crop, default 112) by accuracy and ROC AUC (val_accuracy, val_auc in metrics.jsonl). \
        Videos too short for a sped-up clip are left out. RUN/model.safetensors is then a SpeedNet weights file: \
        `cadence speed VIDEO --weights RUN/model.safetensors`. Options that apply: --frames (default 16), --sizes, \
        --backbone, --pairs-per-video, --test-crop, --no-flip and the optimizer, schedule, checkpoint, seed and thread options.
        """
    )

    @Argument(help: ArgumentHelp("Dataset folder (class sub-folders); not needed with --csv.", valueName: "data"))
    var data: String?

    @Option(help: "What to train: classification (class folders or CSV) or speediness (SpeedNet, no labels).")
    var task = "classification"

    @Option(help: "Speediness: training clip sizes A:B; each batch draws its side from this range.")
    var sizes = "64:112"

    @Option(help: "Speediness: the SpeedNet backbone, xs (X3D-XS) or tiny.")
    var backbone = "xs"

    @Option(help: "Speediness: training pairs drawn from each video per epoch.")
    var pairsPerVideo = 1

    @Option(name: .customLong("run"), help: "Run folder for checkpoints, metrics, curves and the final model.")
    var runFolder: String

    @Option(help: "Model preset (see `cadence models`).")
    var model = "x3d_xs"

    @Option(help: "Frames per clip (default: the preset's).")
    var frames: Int?

    @Option(help: "Source frames between sampled frames at 30 fps (default: the preset's).")
    var samplingRate: Int?

    @Option(help: "Training crop side in pixels (default: the preset's).")
    var crop: Int?

    @Option(help: "Validation short side and crop (default: the preset's test/train ratio times --crop).")
    var testCrop: Int?

    @Option(help: "Short-side jitter range A:B of training clips (default: crop x 256/224 : crop x 320/224).")
    var jitter: String?

    @Flag(help: "No horizontal flips of training clips (for classes that depend on left and right).")
    var noFlip = false

    @Option(help: "Epochs (a --multigrid long cycle trains 1.5x as many).")
    var epochs = 10

    @Option(help: "Clips per batch.")
    var batch = 8

    @Option(help: "Base learning rate (default: 0.05; speediness 0.01).")
    var lr: Double?

    /// `--lr`, or the task's default (SpeedNet from scratch diverges at classification's 0.05).
    private var learningRate: Double { lr ?? (speediness ? 0.01 : 0.05) }

    @Option(help: "Epochs at which the learning rate drops tenfold, E1,E2,... (PySlowFast's stepwise policy; default: cosine). With --multigrid each step's stage gets a whole long cycle.")
    var lrSteps: String?

    @Option(help: "Linear warmup epochs, from a tenth of --lr.")
    var warmupEpochs = 1.0

    @Option(help: "SGD weight decay (not applied to batch norm).")
    var weightDecay = 5e-5

    @Option(help: "Label smoothing of the cross-entropy target.")
    var labelSmoothing = 0.0

    @Option(help: "Clip gradients to this joint L2 norm.")
    var clipGrad: Double?

    @Option(help: "Validation views: temporal clips x spatial crops (S is 1 or 3); speediness: T windows per factor (default 1x1; speediness 4x1).")
    var valViews: String?

    @Option(help: "Fraction of each class held out for validation when there is no val/ folder or --val-csv.")
    var valFraction = 0.2

    @Option(help: "Recompute batch-norm statistics over N training batches before each validation (precise BN; 0: off).")
    var preciseBn = 0

    @Option(help: "Write a checkpoint every N epochs (and after the last).")
    var checkpointEvery = 1

    @Option(help: "Keep the newest N checkpoints (0: all).")
    var keepCheckpoints = 2

    @Option(help: "Seed of initialisation, shuffling, clip sampling and dropout.")
    var seed: UInt64 = 0

    @Option(help: "Threads for the model's kernels (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Threads decoding clips in the background.")
    var loaderThreads = 1

    @Option(help: "Multigrid cycles: long, short or long+short.")
    var multigrid: String?

    @Flag(help: "Resume from the run folder's newest checkpoint (automatic when the options are the same).")
    var resume = false

    @Option(name: .customLong("from"), help: "Fine-tune from this checkpoint (its classifier is replaced).")
    var fromCheckpoint: String?

    @Option(help: "Training CSV (`path label` per line) instead of class folders.")
    var csv: String?

    @Option(help: "Validation CSV.")
    var valCsv: String?

    @Option(help: "Folder that relative CSV paths are resolved against (default: the CSV's folder).")
    var pathPrefix: String?

    @Option(help: "Class names for CSV labels: JSON {\"name\": id} or one name per line.")
    var classNames: String?

    @Flag(help: "Print each epoch's record as one JSON line on stdout.")
    var json = false

    /// Stops after this many epochs as if killed (for resume tests).
    @Option(help: .hidden)
    var stopAfterEpochs: Int?

    private var speediness: Bool { task == "speediness" }

    func validate() throws {
        guard ["classification", "speediness"].contains(task) else {
            throw ValidationError("--task must be classification or speediness, got \"\(task)\"")
        }
        if keepCheckpoints < 0 { throw ValidationError("--keep-checkpoints must not be negative") }
        guard (1...256).contains(threads), (1...256).contains(loaderThreads) else {
            throw ValidationError("--threads and --loader-threads must be from 1 to 256")
        }
        _ = try parsedViews()
        if speediness { return try validateSpeediness() }
        if data == nil && csv == nil { throw ValidationError("give a DATA folder or --csv") }
        if data != nil && csv != nil { throw ValidationError("give either a DATA folder or --csv, not both") }
        if csv == nil && (valCsv != nil || pathPrefix != nil || classNames != nil) {
            throw ValidationError("--val-csv, --path-prefix and --class-names go with --csv")
        }
        if let multigrid, MultigridMode(rawValue: multigrid) == nil {
            throw ValidationError("--multigrid must be long, short or long+short, got \"\(multigrid)\"")
        }
        if let jitter { _ = try parsedJitter(jitter) }
        try reportingOptionErrors { try configuration().validate() }
    }

    /// Runs `check`, turning the library's option errors into argument-parser validation errors.
    private func reportingOptionErrors(_ check: () throws -> Void) throws {
        do {
            try check()
        } catch let error as TrainingError {
            throw ValidationError("\(error)")
        }
    }

    private func validateSpeediness() throws {
        if data == nil { throw ValidationError("--task speediness needs a DATA folder") }
        let classificationOnly: [(String, Bool)] = [
            ("--csv", csv != nil), ("--multigrid", multigrid != nil), ("--from", fromCheckpoint != nil),
            ("--crop", crop != nil), ("--jitter", jitter != nil), ("--sampling-rate", samplingRate != nil),
            ("--precise-bn", preciseBn != 0), ("--label-smoothing", labelSmoothing != 0),
        ]
        if let (name, _) = classificationOnly.first(where: { $0.1 }) {
            throw ValidationError("\(name) goes with --task classification")
        }
        try reportingOptionErrors { try speedinessConfiguration().validate() }
    }

    private func parsedViews() throws -> (Int, Int) {
        let valViews = self.valViews ?? (speediness ? "4x1" : "1x1")
        let parts = valViews.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[0] <= SamplingLimits.clips, [1, 3].contains(parts[1]) else {
            throw ValidationError("--val-views must be TxS with T from 1 to \(SamplingLimits.clips) and S 1 or 3, "
                + "got \"\(valViews)\"")
        }
        return (parts[0], parts[1])
    }

    private func parsedSteps() throws -> [Int]? {
        guard let lrSteps else { return nil }
        let parts = lrSteps.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--lr-steps must be epochs E1,E2,..., got \"\(lrSteps)\"")
        }
        return parts.compactMap { $0 }
    }

    private func parsedJitter(_ text: String, option: String = "--jitter") throws -> [Int] {
        let parts = text.split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2 else { throw ValidationError("\(option) must be A:B (pixels), got \"\(text)\"") }
        return parts
    }

    /// The speediness run's configuration from the options.
    func speedinessConfiguration() throws -> SpeedinessConfiguration {
        let range = try parsedJitter(sizes, option: "--sizes")
        var network = try SpeedinessConfiguration.backbone(named: backbone)
        network.frames = frames ?? 16
        network.inputSize = testCrop ?? 112
        guard range[0] <= range[1] else { throw ValidationError("--sizes must be A:B with A <= B, got \"\(sizes)\"") }
        var c = try SpeedinessConfiguration(speedNet: network, sizes: range[0]...range[1], epochs: epochs, batchPairs: batch)
        c.training.flip = !noFlip
        c.training.learningRate = learningRate
        c.training.warmupEpochs = warmupEpochs
        c.training.warmupStartRate = learningRate / 10
        c.training.learningRateSteps = try parsedSteps()
        c.training.weightDecay = weightDecay
        c.training.clipGradientNorm = clipGrad
        c.training.validationTemporalViews = try parsedViews().0
        c.training.checkpointEvery = checkpointEvery
        c.training.seed = seed
        c.pairsPerVideo = pairsPerVideo
        return c
    }

    /// The run's configuration from the options and the preset's defaults.
    func configuration() throws -> TrainingConfiguration {
        let preset = try ModelPreset.named(model)
        var c = TrainingConfiguration(preset: preset, epochs: epochs, batchSize: batch)
        c.frames = frames ?? preset.frames
        c.samplingRate = samplingRate ?? preset.samplingRate
        c.crop = crop ?? preset.trainCrop
        c.testCrop = testCrop ?? TrainingConfiguration.defaultTestCrop(preset: preset, crop: c.crop)
        c.jitter = try jitter.map { try parsedJitter($0) } ?? TrainingConfiguration.defaultJitter(crop: c.crop)
        c.flip = !noFlip
        c.learningRate = learningRate
        c.warmupEpochs = warmupEpochs
        c.warmupStartRate = learningRate / 10
        c.learningRateSteps = try parsedSteps()
        c.weightDecay = weightDecay
        c.labelSmoothing = labelSmoothing
        c.clipGradientNorm = clipGrad
        (c.validationTemporalViews, c.validationSpatialViews) = try parsedViews()
        c.checkpointEvery = checkpointEvery
        c.preciseBatchNormBatches = preciseBn
        c.seed = seed
        c.multigrid = multigrid.flatMap(MultigridMode.init(rawValue:))
        c.fineTuneFrom = fromCheckpoint
        return c
    }

    func run() throws {
        Parallel.threadCount = threads
        Gemm.setThreads(threads)
        if speediness { return try runSpeediness() }
        let dataset: VideoDataset
        if let csv {
            dataset = try VideoDataset.csv(train: csv, validation: valCsv, pathPrefix: pathPrefix, classNamesFile: classNames,
                                           validationFraction: valFraction, seed: seed)
        } else {
            dataset = try VideoDataset.classFolders(root: data ?? ".", validationFraction: valFraction, seed: seed)
        }
        let trainer = try Trainer(configuration: configuration(), classNames: dataset.classNames, train: dataset.train,
                                  validation: dataset.validation, folder: RunFolder(runFolder),
                                  makeSource: clipLoaderFactory(threads: loaderThreads))
        try train(trainer, what: "\(model) on \(dataset.train.count) videos, validating on \(dataset.validation.count), "
                  + "\(dataset.classNames.count) classes")
    }

    /// Runs `trainer` with the console attached, after a line naming `what` it trains.
    private func train(_ trainer: any ConsoleTrainer, what: String) throws {
        trainer.stopAfterEpochs = stopAfterEpochs
        trainer.keepCheckpoints = keepCheckpoints
        let console = TrainingConsole(json: json, progressBar: isatty(2) != 0)
        trainer.observer = console
        printError("training \(what), \(trainer.epochs) epochs -> \(runFolder)")
        let outcome = try trainer.run(resume: resume)
        if outcome.finished, !json { print("model: \(RunFolder(runFolder).model.path)") }
        if !outcome.skipped.isEmpty { throw ExitCode(ExitStatus.someInputsFailed) }
    }
}

extension TrainCommand {
    /// `--task speediness`: SpeedNet on every video under DATA.
    func runSpeediness() throws {
        let root = data ?? "."
        let configuration = try speedinessConfiguration()
        let dataset = try SpeedinessDataset.scan(root: root, frames: configuration.training.frames,
                                                 validationFraction: valFraction, seed: seed)
        for skip in dataset.skipped { printError("left out \(skip.path): \(skip.reason)") }
        let trainer = try SpeedinessTrainer(configuration: configuration, train: dataset.train, validation: dataset.validation,
                                            folder: RunFolder(runFolder), makeSource: clipLoaderFactory(threads: loaderThreads))
        try train(trainer, what: "SpeedNet (\(backbone)) on \(dataset.train.count) videos, validating on \(dataset.validation.count)")
    }
}

/// What `cadence train` runs: either task's trainer.
protocol ConsoleTrainer: AnyObject {
    var observer: (any TrainingObserver)? { get set }
    var keepCheckpoints: Int { get set }
    var stopAfterEpochs: Int? { get set }
    var epochs: Int { get }
    func run(resume: Bool) throws -> TrainingOutcome
}

extension Trainer: ConsoleTrainer {}
extension SpeedinessTrainer: ConsoleTrainer {}

/// Renders training progress: a progress bar on stderr (terminals only), one line or one JSON
/// record per epoch on stdout, and skipped videos on stderr.
final class TrainingConsole: TrainingObserver {
    let json: Bool
    let progressBar: Bool
    private var barShown = false
    /// Videos already reported as skipped: a bad file fails again every epoch, and is named once.
    private var reportedSkips: Set<String> = []

    init(json: Bool, progressBar: Bool) {
        self.json = json
        self.progressBar = progressBar
    }

    func runStarted(epoch: Int, epochs: Int, resumed: Bool) {
        if resumed { printError("resuming after epoch \(epoch) of \(epochs)") }
    }

    func stepFinished(_ p: StepProgress) {
        guard progressBar else { return }
        let width = 24, filled = width * (p.step + 1) / max(p.steps, 1)
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let line = String(format: "\r\u{1B}[Kepoch %d/%d [%@] %d/%d loss %.4f lr %.5f %.1f clips/s ETA %@",
                          p.epoch + 1, p.epochs, bar, p.step + 1, p.steps, p.meanLoss, p.learningRate,
                          p.clipsPerSecond, TrainingConsole.duration(p.secondsLeft))
        FileHandle.standardError.write(Data(line.utf8))
        barShown = true
    }

    func validating(done: Int, total: Int) {
        guard progressBar else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[Kvalidating \(done)/\(total)".utf8))
        barShown = true
    }

    func epochFinished(_ r: EpochRecord) {
        if barShown {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            barShown = false
        }
        for skip in r.skipped where reportedSkips.insert(skip.path).inserted {
            printError("skipped \(skip.path): \(skip.reason)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(r) { print(String(decoding: data, as: UTF8.self)) }
            return
        }
        var line = String(format: "epoch %d/%d  loss %.4f  train %.1f%%", r.epoch, r.epochs, r.trainLoss, r.trainTop1)
        if let top1 = r.valTop1, let top5 = r.valTop5 { line += String(format: "  val %.1f%% (top-5 %.1f%%)", top1, top5) }
        if let accuracy = r.valAccuracy {
            line += String(format: "  val %.1f%%", accuracy) + (r.valAUC.map { String(format: " AUC %.3f", $0) } ?? "")
        }
        line += String(format: "  lr %.5f  %.1f s  %.1f clips/s", r.lr, r.epochSeconds, r.clipsPerSecond)
        if !r.skipped.isEmpty { line += "  skipped \(r.skipped.count)" }
        print(line)
        fflush(stdout)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
            : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
