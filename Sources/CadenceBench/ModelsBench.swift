import ArgumentParser
import CadenceModels
import CadenceTensor
import Foundation

/// `cadence-bench models`: inference latency of one whole model, batch 1, and the process's peak
/// memory, as one JSON line that bench/run-models.sh puts beside bench/models_reference.py's.
///
/// The model is the preset with random weights (values do not change the cost), folded for
/// inference like `cadence forward`, and fed a random channels-last clip of the preset's size.
/// Run one model per process so the peak resident set belongs to that model alone.
struct ModelsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Time one model's batch-1 inference (folded, no grad) and report peak memory."
    )

    @Option(help: "Model preset (see `cadence models`).")
    var model: String

    @Option(help: "Threads for Cadence's kernels and BLAS.")
    var threads = 1

    @Option(help: "Timed runs after the warm-up.")
    var runs = 5

    @Option(help: "Untimed warm-up runs.")
    var warmup = 1

    @Option(help: """
        Keep warming up until this many seconds have passed (0: only --warmup runs). The first tens of \
        milliseconds of a multi-threaded process can run 2-3x slower (at times its threads share one core \
        until the scheduler spreads them), which a small model's first runs would otherwise measure; the \
        reference does the same.
        """)
    var warmupSeconds = 0.3

    @Option(help: "Square crop side (default: the preset's train crop, the size PySlowFast's configs name).")
    var crop: Int?

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative") }
        if warmupSeconds < 0 { throw ValidationError("--warmup-seconds must not be negative") }
        if let crop, crop < 32 { throw ValidationError("--crop must be at least 32") }
    }

    func run() throws {
        Parallel.threadCount = threads
        Gemm.setThreads(threads)
        var preset = try ModelPreset.named(model)
        // The head's pooling kernel (and MViT's position tables) follow the crop, as in PySlowFast.
        if let crop { preset = preset.withTrainCrop(crop) }
        let side = preset.trainCrop
        let network = try preset.build(classes: 400, seed: 0)
        network.eval()
        let folded = try network.folded()
        var generator = TensorRandom(seed: 1)
        let inputs = preset.inputShapes(crop: side).map { Tensor.randomNormal($0, using: &generator) }
        func once() throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try Tensor.withNoGrad { try folded.forward(inputs, observer: nil) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        let warmupStart = DispatchTime.now().uptimeNanoseconds
        var warmed = 0
        while warmed < warmup
            || Double(DispatchTime.now().uptimeNanoseconds - warmupStart) / 1e9 < warmupSeconds {
            _ = try once()
            warmed += 1
        }
        let times = try (0..<runs).map { _ in try once() }.sorted()
        let median = times.count % 2 == 1 ? times[times.count / 2]
            : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let record: [String: Any] = [
            "model": preset.name,
            "input": preset.inputShapes(crop: side).map { "\($0[1])x\($0[2])x\($0[3])" }.joined(separator: "+"),
            "threads": threads, "runs": runs,
            "ms": (median * 100).rounded() / 100, "best_ms": (times[0] * 100).rounded() / 100,
            "peak_mb": (peakResidentMegabytes() * 10).rounded() / 10,
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
