import ArgumentParser
import CadenceModels
import CadenceTensor
import CadenceTraining
import CadenceVideo
import Foundation

/// `cadence classify VIDEO...`: top-k classes of whole videos with PySlowFast's multi-view test.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify videos with a trained model (multi-view test, top-k classes).",
        discussion: """
        Without --weights the bundled classifier is used: an X3D-XS trained with `cadence train` on the \
        motion classes of clips/actions (fall, grow, orbit, rise, shake, shrink, slide, spin). \
        Each video is cut into T uniformly spaced clips and S square crops (--views TxS; S is 1 for the \
        centre or 3 for left/centre/right) at the preset's test size; the softmax scores of all views are \
        averaged. --labels is a JSON object {"name": index, ...} (PySlowFast's class-name file; quotes \
        inside names are removed) or a text file with one name per line; without it a 400-class model \
        gets the Kinetics-400 names. Progress is shown on stderr when it is a terminal. A video that cannot be decoded \
        is reported on stderr and the exit code is 1; the others are still classified.
        """
    )

    @Argument(help: ArgumentHelp("Video files.", valueName: "video"))
    var videos: [String]

    @Option(help: "Model preset (see `cadence models`); not needed for a model `cadence train` wrote.")
    var model: String?

    @Option(help: "Weights: safetensors (e.g. RUN/model.safetensors of `cadence train`), PySlowFast .pyth or PyTorchVideo checkpoint (default: the bundled action classifier).")
    var weights: String?

    @Option(help: "Class names: JSON {\"name\": index} or one name per line.")
    var labels: String?

    @Option(help: "How many classes to show.")
    var topK = 5

    @Option(help: "Temporal clips x spatial crops, e.g. 10x3: T up to 10000, S 1 or 3 (default: the preset's test protocol, 10x3 or 5x1 for MViT).")
    var views: String?

    @Option(help: "Train crop the head's pooling kernel is sized for (default: the preset's).")
    var trainCrop: Int?

    @Flag(help: "Print one JSON object per line per video.")
    var json = false

    func validate() throws {
        guard topK > 0 else { throw ValidationError("--top-k must be positive") }
        try TrainCropOption.validate(trainCrop)
        if let views { _ = try parsedViews(views) }
        if weights == nil && BundledModel.actions.url == nil {
            throw ValidationError("--weights is required: this build has no bundled classifier (\(BundledModel.actions.rawValue))")
        }
    }

    private func parsedViews(_ views: String) throws -> (Int, Int) {
        let parts = views.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[0] <= SamplingLimits.clips, [1, 3].contains(parts[1]) else {
            throw ValidationError("--views must be TxS with T from 1 to \(SamplingLimits.clips) and S 1 or 3, got \"\(views)\"")
        }
        return (parts[0], parts[1])
    }

    func run() throws {
        // A model written by `cadence train` carries its preset, clip shape and class names.
        guard let weightsURL = weights.map({ URL(fileURLWithPath: $0) }) ?? BundledModel.actions.url else {
            throw ValidationError("--weights is required: this build has no bundled classifier")
        }
        let trained = try TrainedModel.read(weightsURL)
        guard let name = model ?? trained?.run.configuration.model else {
            throw ValidationError("--model is required for weights that `cadence train` did not write")
        }
        var preset = try trained?.preset ?? ModelPreset.named(name)
        if let trainCrop { preset = preset.withTrainCrop(trainCrop) }
        let network = try trained?.network ?? ModelCheckpoint.model(preset, weights: weightsURL)
        network.eval()
        let folded = try network.folded()
        let classes = network.expectedShapes()["head.projection.weight"]?.first
        // Without --labels a 400-class model is taken to be a Kinetics-400 checkpoint.
        let names = try labels.map { try ClassNames.read($0) } ?? trained?.classNames
            ?? (classes == 400 ? KineticsClassNames.kinetics400 : nil)
        let (temporal, spatial) = try views.map(parsedViews) ?? preset.testViews
        let testViews = try TestViews(preset: preset, temporal: temporal, spatial: spatial)
        var failed = false
        // Progress goes to a terminal only, so logs and pipes stay clean.
        let showProgress = videos.count > 1 && isatty(2) != 0
        for (number, path) in videos.enumerated() {
            if showProgress { FileHandle.standardError.write(Data("[\(number + 1)/\(videos.count)] \(path)\n".utf8)) }
            do {
                var sum: [Float] = []
                var count = 0
                try testViews.forEachView(of: path) { inputs in
                    let scores = try folded.forward(inputs, observer: nil).toArray()
                    sum = sum.isEmpty ? scores : zip(sum, scores).map(+)
                    count += 1
                }
                let mean = sum.map { $0 / Float(max(count, 1)) }
                let top = mean.indices.sorted { mean[$0] > mean[$1] }.prefix(topK).map { i in
                    Prediction(index: i, label: names.flatMap { i < $0.count ? $0[i] : nil }, score: Double(mean[i]))
                }
                try print(json ? render(ClassifyRecord(path: path, views: count, top: top)) : table(path: path, top: top))
            } catch {
                failed = true
                printError("\(error)")
                // Scripts reading --json get one line per video, the failures included.
                if json { try print(render(ClassifyRecord(path: path, error: "\(error)"))) }
            }
        }
        if failed { throw ExitCode(ExitStatus.someInputsFailed) }
    }

    private func render(_ record: ClassifyRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    private func table(path: String, top: [Prediction]) -> String {
        let lines = top.map { p in "  " + String(format: "%.4f", p.score) + "  " + (p.label ?? "class \(p.index)") }
        return ([path] + lines).joined(separator: "\n")
    }
}

/// One class of a `cadence classify` result.
struct Prediction: Encodable {
    var index: Int
    var label: String?
    var score: Double
}

/// The JSON line `cadence classify --json` prints per video: its top classes, or why it failed.
struct ClassifyRecord: Encodable {
    var path: String
    var views: Int?
    var top: [Prediction]?
    var error: String?

    init(path: String, views: Int, top: [Prediction]) {
        self.path = path
        self.views = views
        self.top = top
    }

    init(path: String, error: String) {
        self.path = path
        self.error = error
    }
}

/// Class-name files: PySlowFast's JSON `{"name": index}` or plain text, one name per line.
enum ClassNames {
    static func read(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int] {
            var names = [String](repeating: "", count: (object.values.max() ?? -1) + 1)
            for (name, index) in object where index >= 0 { names[index] = name.replacingOccurrences(of: "\"", with: "") }
            return names
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }.reversed().drop { $0.isEmpty }.reversed()
    }
}
