import ArgumentParser
import CadenceModels
import CadenceTensor
import CadenceTraining
import Foundation

/// `cadence-bench speediness`: how well a SpeedNet separates natural speed from 2x on videos it did
/// not train on (`SpeedinessEvaluation`, the scoring training validates with): a table per video
/// (with the AUC of the frame-difference reference beside the network's) and, last, one JSON line
/// with the overall accuracy and ROC AUC. bench/run-speediness.sh runs it
/// on the held-out clips of clips/real with the bundled model.
struct SpeedinessBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speediness",
        abstract: "Score a SpeedNet on held-out videos at 1x vs 2x (accuracy and ROC AUC)."
    )

    @Option(help: "SpeedNet weights (a SpeedNetWeights safetensors file).")
    var weights: String

    @Option(help: "Windows per video at each speed, spread evenly over it.")
    var views = 8

    @Option(help: "Threads for decoding and for Cadence's kernels and BLAS.")
    var threads = 2

    @Argument(help: "Held-out videos.")
    var videos: [String]

    func validate() throws {
        if views < 1 { throw ValidationError("--views must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if videos.isEmpty { throw ValidationError("give at least one video") }
    }

    func run() throws {
        Parallel.threadCount = threads
        Gemm.setThreads(threads)
        let network = try SpeedNetWeights.read(URL(fileURLWithPath: weights))
        let evaluation = SpeedinessEvaluation(network: network, views: views)
        let result = try evaluation.run(network, videos: videos, makeSource: clipLoaderFactory(threads: threads))
        func mean(_ values: [Double]) -> String {
            values.isEmpty ? "-" : String(format: "%.2f", values.reduce(0, +) / Double(values.count))
        }
        func auc(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "-" }
        let width = max(5, result.videos.map(\.path.count).max() ?? 0)
        // The last column is the AUC of the model-free rule "more frame difference means sped up".
        print("VIDEO".padding(toLength: width, withPad: " ", startingAt: 0) + "  P@1 mean  P@2 mean    AUC  diff AUC")
        for video in result.videos {
            print(video.path.padding(toLength: width, withPad: " ", startingAt: 0)
                  + "  " + mean(video.normal).leftPadded(8) + "  " + mean(video.spedUp).leftPadded(8)
                  + "  " + auc(video.auc).leftPadded(5) + "  " + auc(video.motionAUC).leftPadded(8))
        }
        for skipped in result.skipped { print("skipped \(skipped.path): \(skipped.reason)") }
        let record: [String: Any] = [
            "videos": result.videos.count, "windows_per_speed": views,
            "accuracy": (result.accuracy * 10).rounded() / 10,
            "auc": result.auc.map { ($0 * 1000).rounded() / 1000 } ?? NSNull(),
            "frame_difference_auc": result.motionAUC.map { ($0 * 1000).rounded() / 1000 } ?? NSNull(),
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
