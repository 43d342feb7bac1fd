import ArgumentParser
import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation

/// `cadence forward`: one preprocessed clip through a model, for parity checks and timing.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run one preprocessed clip (.npy, PyTorch N,C,T,H,W) through a model and save the output as .npy.",
        discussion: """
        The input is what PySlowFast feeds the model: float32 N,C,T,H,W, already normalised. SlowFast \
        takes two inputs, slow then fast (--input slow.npy --input fast.npy). The output is the \
        evaluation output [N, classes] (softmax per head position, averaged), or with --features the named \
        layer: s1...s5, s1_fuse...s4_fuse (SlowFast), head_features, logits; for MViT patch_embed, \
        blocks.N, norm, head_features, logits. Stage outputs are written N,C,T,H,W; the others as PyTorch \
        has them (conv heads N,T,H,W,C, MViT tokens N,L,C). For SlowFast stage outputs name the pathway: \
        s3.slow, s3.fast. Inference folds batch norms into the convs and fuses activations \
        (--unfolded runs the training-form layers instead). --repeat N runs once to warm up, then N timed \
        runs, and prints {"median_ms": ...} on stderr.
        """
    )

    @Option(help: "Model preset (see `cadence models`).")
    var model: String

    @Option(help: "Weights: safetensors, PySlowFast .pyth or PyTorchVideo checkpoint.")
    var weights: String

    @Option(help: "Input clip .npy, N,C,T,H,W float32 (twice for SlowFast: slow, then fast).")
    var input: [String]

    @Option(help: "Output .npy file.")
    var output: String

    @Option(help: "Save this layer instead of the model output.")
    var features: String?

    @Option(name: .customLong("repeat"), help: "Time this many runs after a warm-up run.")
    var repetitions: Int?

    @Option(help: "Train crop the head's pooling kernel is sized for (default: the preset's).")
    var trainCrop: Int?

    @Flag(help: "Run the unfolded (training-form) layers in evaluation mode.")
    var unfolded = false

    func validate() throws {
        if let repetitions, repetitions < 1 { throw ValidationError("--repeat must be at least 1") }
        try TrainCropOption.validate(trainCrop)
    }

    func run() throws {
        var preset = try ModelPreset.named(model)
        if let trainCrop { preset = preset.withTrainCrop(trainCrop) }
        let network = try ModelCheckpoint.model(preset, weights: URL(fileURLWithPath: weights))
        network.eval()
        let inputs = try input.map(Self.readClip)
        guard inputs.count == network.pathwayCount else {
            throw ValidationError("\(preset.name) takes \(network.pathwayCount) --input file(s), got \(inputs.count)")
        }
        let layer = try features.map { try FeatureSelection($0, model: network) }
        let folded = unfolded ? nil : try network.folded()
        var selected: Tensor?
        let observer: LayerObserver = { name, tensors in
            if let layer, name == layer.layer { selected = tensors[layer.pathway] }
        }
        func once() throws -> Tensor {
            try Tensor.withNoGrad {
                if let folded { return try folded.forward(inputs, observer: observer) }
                return try network.forward(inputs, observer: observer)
            }
        }
        var result: Tensor
        do {
            result = try once()
        } catch {
            // The engine's error names the layer that failed; say which input did not fit the model.
            let shapes = inputs.map { t in "[\(t.shape[0]), \(t.shape[4]), \(t.shape[1]), \(t.shape[2]), \(t.shape[3])]" }
            throw CommandFailure("\(input.joined(separator: ", ")): \(preset.name) cannot run on N,C,T,H,W "
                + "\(shapes.joined(separator: " and ")) (too few frames or pixels for its strides and pools?): \(error)")
        }
        if let repetitions {
            var times: [Double] = []
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                result = try once()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            times.sort()
            let median = times.count % 2 == 1 ? times[times.count / 2]
                : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
            FileHandle.standardError.write(Data("{\"median_ms\":\(String(format: "%.3f", median))}\n".utf8))
        }
        if let layer {
            guard let tensor = selected else { throw ValidationError("layer \(layer.layer) was not produced") }
            result = layer.layer.hasPrefix("s") ? try tensor.permute([0, 4, 1, 2, 3]).contiguous() : tensor.contiguous()
        }
        try NpyFile.write(ArrayData(shape: result.shape, floats: result.contiguous().toArray()),
                          to: URL(fileURLWithPath: output))
    }

    /// An N,C,T,H,W float clip as a channels-last tensor.
    static func readClip(_ path: String) throws -> Tensor {
        let array = try NpyFile.read(URL(fileURLWithPath: path))
        guard array.shape.count == 5, array.shape[1] == 3 else {
            throw ValidationError("\(path): expected an N,3,T,H,W array, got shape \(array.shape)")
        }
        return try Tensor(shape: array.shape, values: array.floats()).permute([0, 2, 3, 4, 1]).contiguous()
    }
}

/// A `--features` layer name, with `.slow`/`.fast` choosing a SlowFast pathway.
struct FeatureSelection {
    let layer: String
    let pathway: Int

    init(_ name: String, model: any VideoModel) throws {
        var layer = name, pathway = 0
        for (suffix, index) in [(".slow", 0), (".fast", 1)] where name.hasSuffix(suffix) {
            layer = String(name.dropLast(suffix.count))
            pathway = index
        }
        // Stage outputs of a two-pathway model need the pathway suffix; nothing else takes one.
        let needsPathway = model.pathwayCount > 1 && layer.hasPrefix("s")
        guard model.layerNames.contains(layer), layer != "output", needsPathway == (name != layer) else {
            let names = model.layerNames.filter { $0 != "output" }.flatMap { n in
                model.pathwayCount > 1 && n.hasPrefix("s") ? [n + ".slow", n + ".fast"] : [n]
            }
            throw ValidationError("unknown layer \"\(name)\"; this model has: \(names.joined(separator: ", "))")
        }
        self.layer = layer
        self.pathway = pathway
    }
}
