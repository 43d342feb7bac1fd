import ArgumentParser
import CadenceModels
import CadenceNN
import CadenceTensor
import Foundation

/// `cadence-bench train`: one training step (forward, cross-entropy, backward, SGD with Nesterov
/// momentum) of a preset at its training crop and a batch size, timed as the median of several
/// steps, as one JSON line that bench/run-train.sh puts beside bench/train_reference.py's.
/// `cpu_ms` (the median step's process CPU time, all threads) shows the work done when other
/// processes share the cores and stretch the wall-clock time.
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
        let shapes = preset.inputShapes(crop: preset.trainCrop)
        let inputs = shapes.map { shape -> Tensor in
            var s = shape
            s[0] = batch
            return Tensor.randomNormal(s, using: &generator)
        }
        let targets = (0..<batch).map { $0 % classes }
        func step() throws -> (ms: Double, cpuMs: Double) {
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = processCPUMilliseconds()
            optimizer.zeroGrad()
            let logits = try network.forward(inputs)
            let loss = try crossEntropy(logits, targets: targets)
            try loss.backward()
            try optimizer.step()
            return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6, processCPUMilliseconds() - cpuStart)
        }
        for _ in 0..<warmup { _ = try step() }
        let steps = try (0..<runs).map { _ in try step() }.sorted { $0.ms < $1.ms }
        let median = steps[steps.count / 2]
        func rounded(_ x: Double) -> Double { (x * 100).rounded() / 100 }
        let record: [String: Any] = [
            "model": preset.name, "batch": batch, "threads": threads, "runs": runs,
            "input": shapes[0][1...3].map(String.init).joined(separator: "x"),
            "ms": rounded(median.ms), "best_ms": rounded(steps[0].ms), "cpu_ms": rounded(median.cpuMs),
            "clips_per_s": rounded(Double(batch) / median.ms * 1e3),
            "peak_mb": (peakResidentMegabytes() * 10).rounded() / 10,
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// User plus system CPU time of this process so far, over all its threads.
func processCPUMilliseconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    func ms(_ t: timeval) -> Double { Double(t.tv_sec) * 1e3 + Double(t.tv_usec) / 1e3 }
    return ms(usage.ru_utime) + ms(usage.ru_stime)
}
