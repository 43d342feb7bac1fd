import ArgumentParser
import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation

/// `cadence-bench train`: one training step (forward, cross-entropy, backward, SGD with Nesterov
/// momentum) of a preset at a batch size, timed as the median of several steps, as one JSON line
/// that bench/run-train.sh puts beside bench/train_reference.py's.
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time one training step (forward + backward + SGD) of a model preset."
    )

    @Option(help: "Model preset (see `cadence models`).")
    var model: String

    @Option(help: "Clips per batch.")
    var batch = 8

    @Option(help: "Threads for Cadence's kernels and BLAS.")
    var threads = 1

    @Option(help: "Timed steps after the warm-up.")
    var runs = 3

    @Option(help: "Untimed warm-up steps.")
    var warmup = 1

    @Option(help: "Classes of the classifier.")
    var classes = 400

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
    }

    func run() throws {
        Parallel.threadCount = threads
        Gemm.setThreads(threads)
        let preset = try ModelPreset.named(model)
        let network = try preset.build(classes: classes, seed: 0)
        network.train()
        let optimizer = try SGD(
            groups: ParameterGroup.pySlowFast(network, weightDecay: 5e-5), learningRate: 0.01)
        var generator = TensorRandom(seed: 1)
        let inputs = preset.inputShapes().map { shape -> Tensor in
            var s = shape
            s[0] = batch
            return Tensor.randomNormal(s, using: &generator)
        }
        let targets = (0..<batch).map { $0 % classes }
        func step() throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            optimizer.zeroGrad()
            let logits = try network.forward(inputs)
            let loss = try crossEntropy(logits, targets: targets)
            try loss.backward()
            try optimizer.step()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        for _ in 0..<warmup { _ = try step() }
        let times = try (0..<runs).map { _ in try step() }.sorted()
        let record: [String: Any] = [
            "model": preset.name, "batch": batch, "threads": threads, "runs": runs,
            "ms": (times[times.count / 2] * 100).rounded() / 100,
            "clips_per_s": (Double(batch) / times[times.count / 2] * 1e5).rounded() / 100,
            "peak_mb": (peakResidentMegabytes() * 10).rounded() / 10,
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
