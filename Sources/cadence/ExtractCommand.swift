import ArgumentParser
import CadenceModels
import CadenceNN
import CadenceTensor
import CadenceVideo
import Foundation

/// `cadence extract INPUT... --out DIR`: per-clip features of many videos to disk, resumable and shardable.
struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract per-clip features of videos to .npy or safetensors files, resumably.",
        discussion: """
        INPUT is a video file, a folder (searched recursively for video files) or a PySlowFast CSV \
        ("path label" per line, paths relative to the CSV's folder). Each video gets --clips uniformly \
        spaced clips (PySlowFast's test views) or one clip every --every seconds, centre-cropped at the \
        preset's test size. --layer head_features (the default) is the \
        embedding before the classifier, averaged to [C] per clip, so a video's file is [clips, C]; a stage \
        such as s5 gives [clips, T, H, W, C] (channels last; s5.fast picks SlowFast's fast pathway). \
        --tokens slowfast pools each clip's map into SF-LLaVA-style slow then fast tokens, [clips, N, C], \
        with their (frame, row, column) indices in the pooled grids.

        Outputs, named after each input's relative path under --out: NAME.npy, NAME.timestamps.npy \
        ([clips, 2] start/end seconds), NAME.frames.npy ([clips, frames] source frame indices) and \
        NAME.token_index.npy with --tokens; or one NAME.safetensors holding "features", "timestamps", \
        "frames" and "token_index". manifest.json records the model, the weights' \
        SHA-256, the settings and each video's status (done with its files, or failed with the reason). \
        Files are written to a temporary name and renamed, so a rerun skips every video already done and \
        redoes the rest; a rerun with other settings into the same folder is refused. --shard i/n takes \
        the i-th of every n videos of the sorted list (each shard keeps its own manifest). Exit code 1 when \
        any video failed. Progress (videos/s, ETA) goes to stderr when it is a terminal.
        """
    )

    @Argument(help: ArgumentHelp("Video files, folders or CSV lists.", valueName: "input"))
    var inputs: [String]

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Model preset (see `cadence models`).")
    var model: String

    @Option(help: "Weights: safetensors, PySlowFast .pyth or PyTorchVideo checkpoint.")
    var weights: String

    @Option(help: "Layer to save: head_features (pooled embedding) or a stage such as s5.")
    var layer = "head_features"

    @Option(help: "Uniformly spaced clips per video (default 1, at most 10000).")
    var clips: Int?

    @Option(help: "Instead of --clips: one clip starting every this many seconds (at least one frame apart).")
    var every: Double?

    @Option(help: "File format: npy or safetensors.")
    var format = "npy"

    @Option(help: "Token pooling of each clip's feature map: slowfast.")
    var tokens: String?

    @Option(help: "Slow frames (--tokens slowfast).")
    var slowFrames = 10

    @Option(help: "Slow spatial pooling window RxC (--tokens slowfast).")
    var slowPool = "1x2"

    @Option(help: "Slow pooling: max or avg (--tokens slowfast).")
    var slowMode = "max"

    @Option(help: "Fast frames (--tokens slowfast; default: all frames).")
    var fastFrames: Int?

    @Option(help: "Fast pooled grid RxC (--tokens slowfast).")
    var fastGrid = "4x4"

    @Option(help: "Fast pooling: max or avg (--tokens slowfast).")
    var fastMode = "avg"

    @Option(help: "Work on the i-th of every n videos (0-based), e.g. 0/4.")
    var shard: String?

    @Option(help: "Train crop the head's pooling kernel is sized for (default: the preset's).")
    var trainCrop: Int?

    func validate() throws {
        guard clips == nil || every == nil else { throw ValidationError("give --clips or --every, not both") }
        try TrainCropOption.validate(trainCrop)
        guard (1...SamplingLimits.clips).contains(clips ?? 1) else {
            throw ValidationError("--clips must be from 1 to \(SamplingLimits.clips)")
        }
        guard (every ?? 1) > 0, (every ?? 1) <= SamplingLimits.seconds else {
            throw ValidationError("--every must be a positive number of seconds, at most \(Int(SamplingLimits.seconds))")
        }
        guard ["npy", "safetensors"].contains(format) else { throw ValidationError("--format must be npy or safetensors") }
        if let shard {
            do { _ = try ExtractionWorkList.parseShard(shard) } catch { throw ValidationError("--shard: \(error)") }
        }
        if let tokens {
            guard tokens == "slowfast" else { throw ValidationError("--tokens must be slowfast, got \"\(tokens)\"") }
            guard layer != "head_features" else {
                throw ValidationError("--tokens needs a feature map layer such as --layer s5, not head_features")
            }
            _ = try pooling()
        }
    }

    private func grid(_ text: String, _ option: String) throws -> (rows: Int, columns: Int) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw ValidationError("\(option) must be RxC, got \"\(text)\"") }
        return (parts[0], parts[1])
    }

    private func mode(_ text: String, _ option: String) throws -> TokenPoolingMode {
        guard let mode = TokenPoolingMode(rawValue: text) else { throw ValidationError("\(option) must be max or avg") }
        return mode
    }

    private func pooling() throws -> SlowFastTokenPooling {
        guard slowFrames > 0, (fastFrames ?? 1) > 0 else { throw ValidationError("--slow-frames and --fast-frames must be positive") }
        return SlowFastTokenPooling(
            slowFrames: slowFrames, slowPool: try grid(slowPool, "--slow-pool"), slowMode: try mode(slowMode, "--slow-mode"),
            fastFrames: fastFrames, fastGrid: try grid(fastGrid, "--fast-grid"), fastMode: try mode(fastMode, "--fast-mode"))
    }

    func run() throws {
        var preset = try ModelPreset.named(model)
        if let trainCrop { preset = preset.withTrainCrop(trainCrop) }
        let weightsURL = URL(fileURLWithPath: weights)
        let network = try ModelCheckpoint.model(preset, weights: weightsURL)
        network.eval()
        let folded = try network.folded()
        let selection = try FeatureSelection(layer, model: network)
        let tokenPooling = try tokens.map { _ in try pooling() }
        let shardSpec = try shard.map(ExtractionWorkList.parseShard)

        var items = try ExtractionWorkList.items(from: inputs)
        if let shardSpec { items = try ExtractionWorkList.shard(items, index: shardSpec.index, of: shardSpec.count) }
        let folder = URL(fileURLWithPath: out)
        try CommandFailure.reporting("cannot create the output folder", folder.path) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        }

        let settings = ExtractionSettings(
            model: preset.name, weightsSHA256: try SHA256.hexDigest(ofFile: weightsURL), layer: layer, clips: every == nil ? clips ?? 1 : nil,
            every: every, crop: preset.testCrop, trainCrop: preset.trainCrop, format: format,
            tokens: tokenPooling?.description)
        let manifestURL = folder.appendingPathComponent(ExtractionManifest.fileName(shard: shardSpec))
        var manifest = try ExtractionManifest.read(manifestURL) ?? ExtractionManifest(settings: settings)
        guard manifest.settings == settings else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let written = String(decoding: try encoder.encode(manifest.settings), as: UTF8.self)
            let asked = String(decoding: try encoder.encode(settings), as: UTF8.self)
            printError("\(manifestURL.path) was written with other settings: \(written); this run asks for \(asked); "
                + "use another --out folder")
            throw ExitCode(ExitStatus.usage)
        }

        let views = try ExtractionClips(preset: preset, spacing: every.map { .every(seconds: $0) } ?? .uniform(count: clips ?? 1))
        let showProgress = isatty(2) != 0
        let start = Date()
        var failed = false
        // Videos already done with these settings are skipped; failed and unfinished ones are redone.
        let pending = items.filter { !manifest.isComplete($0, in: folder) }
        for (number, item) in pending.enumerated() {
            do {
                let files = try extract(item, views: views, preset: preset, folded: folded, selection: selection,
                                        pooling: tokenPooling, folder: folder)
                manifest.videos[item.name] = .init(path: item.path, status: .done, files: files)
            } catch {
                failed = true
                // Clear the progress line so the error starts on a clean line.
                if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                // Decoding errors already name the file; others get its path in front.
                let message = "\(error)"
                printError(message.contains(item.path) ? message : "\(item.path): \(message)")
                manifest.videos[item.name] = .init(path: item.path, status: .failed, reason: "\(error)")
            }
            try manifest.write(to: manifestURL)
            if showProgress {
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(number + 1) / max(elapsed, 1e-9)
                let eta = Double(pending.count - number - 1) / rate
                FileHandle.standardError.write(Data(String(format: "\r[%d/%d] %.2f videos/s, ETA %.0f s ",
                                                           number + 1, pending.count, rate, eta).utf8))
            }
        }
        if showProgress, !pending.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
        try manifest.write(to: manifestURL)
        if failed { throw ExitCode(ExitStatus.someInputsFailed) }
    }

    /// Runs every clip of one video and writes its files; returns their paths relative to `folder`.
    private func extract(_ item: ExtractionItem, views: ExtractionClips, preset: ModelPreset, folded: any FoldedVideoModel,
                         selection: FeatureSelection, pooling: SlowFastTokenPooling?, folder: URL) throws -> [String] {
        var clipIndices: [[Int]] = []
        var values: [Float] = []
        var clipShape: [Int] = []
        var tokenIndex: [[Int]] = []
        let fps = try views.forEachClip(of: item.path) { frames, inputs in
            clipIndices.append(frames)
            var selected: Tensor?
            _ = try Tensor.withNoGrad {
                try folded.forward(inputs) { name, tensors in
                    if name == selection.layer { selected = tensors[selection.pathway] }
                }
            }
            guard let map = selected else { throw ModelError(preset.name, "layer \(selection.layer) was not produced") }
            var clip: Tensor
            if layer == "head_features" {
                // The embedding is what the classifier sees after its pooling: average every position.
                let c = map.shape.last ?? 0
                let flat = map.contiguous().toArray()
                var mean = [Float](repeating: 0, count: c)
                let positions = max(flat.count / max(c, 1), 1)
                for (i, v) in flat.enumerated() { mean[i % c] += v }
                clip = try Tensor(shape: [c], values: mean.map { $0 / Float(positions) })
            } else {
                clip = map.shape.first == 1 ? try Tensor(shape: Array(map.shape.dropFirst()), values: map.contiguous().toArray()) : map
            }
            if let pooling {
                let result = try pooling.pool(clip)
                clip = result.tokens
                tokenIndex = result.indices
            }
            clipShape = clip.shape
            values += clip.contiguous().toArray()
        }
        let count = clipIndices.count
        // A clip spans from its first frame's start to its last frame's end.
        let timestamps = clipIndices.map { (Double($0.min() ?? 0) / fps, Double(($0.max() ?? 0) + 1) / fps) }
        let features = ArrayData(shape: [count] + clipShape, floats: values)
        let times = ArrayData(type: .float64, shape: [count, 2],
                              bytes: timestamps.flatMap { [$0.0, $0.1] }.withUnsafeBufferPointer { Data(buffer: $0) })
        let frames = ArrayData(type: .int64, shape: [count, clipIndices.first?.count ?? 0],
                               bytes: clipIndices.flatMap { $0.map(Int64.init) }.withUnsafeBufferPointer { Data(buffer: $0) })
        let index = pooling.map { _ in
            ArrayData(type: .int64, shape: [tokenIndex.count, 3],
                      bytes: tokenIndex.flatMap { $0.map(Int64.init) }.withUnsafeBufferPointer { Data(buffer: $0) })
        }
        let base = folder.appendingPathComponent(item.name)
        try CommandFailure.reporting("cannot create the folder", base.deletingLastPathComponent().path) {
            try FileManager.default.createDirectory(at: base.deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        if format == "safetensors" {
            var tensors = ["features": features, "timestamps": times, "frames": frames]
            if let index { tensors["token_index"] = index }
            try SafetensorsFile.write(tensors, metadata: ["layer": layer], to: URL(fileURLWithPath: base.path + ".safetensors"))
            return [item.name + ".safetensors"]
        }
        var written: [String] = []
        for (suffix, array) in [(".timestamps.npy", Optional(times)), (".frames.npy", frames), (".token_index.npy", index), (".npy", features)] {
            guard let array else { continue }
            try NpyFile.write(array, to: URL(fileURLWithPath: base.path + suffix))
            written.append(item.name + suffix)
        }
        return written
    }
}
