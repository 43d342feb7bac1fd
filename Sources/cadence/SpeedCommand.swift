import ArgumentParser
import CadenceModels
import CadenceTraining
import CadenceVideo
import Foundation

/// `cadence speed VIDEO`: SpeedNet's speediness curve, and optionally an adaptive speed-up plan and
/// the re-timed video.
struct SpeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speed",
        abstract: "Per-segment speediness of a video, and an adaptive speed-up plan and render.",
        discussion: """
        The video is re-timed by each factor (source frame round(p + k*x) for output frame k of a window at \
        p), SpeedNet scores windows of --window frames every --stride source frames, and the probabilities \
        of "sped up" are averaged over the frames each window spans. The speediness of a segment is the \
        largest factor whose probability is below 0.5 (1 if none). --target plans a smooth per-frame rate \
        (median then Gaussian smoothing of the speediness, scaled and clamped to [1, --max-rate]) whose \
        overall speed-up is the target; --render writes the re-timed video at the source's size and frame \
        rate. Progress goes to stderr when it is a terminal. Exit code 1 when the video cannot be processed.
        """
    )

    @Argument(help: ArgumentHelp("Video file.", valueName: "video"))
    var video: String

    @Option(help: "SpeedNet weights (safetensors written by SpeedNetWeights; default: the bundled model).")
    var weights: String?

    @Option(help: "Re-timing factors, comma-separated (default 1,1.25,...,4).")
    var factors: String?

    @Option(help: "Frames per window (default: the model's).")
    var window: Int?

    @Option(help: "Source frames between window starts.")
    var stride = 8

    @Option(help: "Short side frames are resized to (default: the model's).")
    var size: Int?

    @Option(help: "Seconds per row of the table.")
    var segment = 1.0

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Print the table as CSV.")
    var csv = false

    @Option(help: "Write an SVG plot of the speediness and of P at factors 1, 2 and 4.")
    var plot: String?

    @Option(help: "Overall speed-up of the plan (source frames / output frames).")
    var target: Double?

    @Option(help: "Write the plan (per output frame: rate and source frame) as JSON.")
    var plan: String?

    @Option(help: "Write the re-timed video (needs --target).")
    var render: String?

    @Option(help: "Fastest rate any part of the plan may play at.")
    var maxRate = 4.0

    func validate() throws {
        guard !(json && csv) else { throw ValidationError("--json and --csv are exclusive") }
        guard stride > 0, segment > 0 else { throw ValidationError("--stride and --segment must be positive") }
        guard segment <= SamplingLimits.seconds else {
            throw ValidationError("--segment must be at most \(Int(SamplingLimits.seconds)) seconds")
        }
        if let window, !(1...SamplingLimits.frames).contains(window) {
            throw ValidationError("--window must be from 1 to \(SamplingLimits.frames)")
        }
        if let size, !(SpeedNet.minimumSide...SamplingLimits.side).contains(size) {
            throw ValidationError("--size must be from \(SpeedNet.minimumSide) to \(SamplingLimits.side)")
        }
        if let factors { _ = try parsedFactors(factors) }
        if (plan != nil || render != nil) && target == nil { throw ValidationError("--plan and --render need --target") }
        guard (1...SamplingLimits.factor).contains(maxRate) else {
            throw ValidationError("--max-rate must be from 1 to \(Int(SamplingLimits.factor))")
        }
        if let target, !(1...maxRate).contains(target) {
            throw ValidationError("--target must lie in [1, --max-rate (\(maxRate))]")
        }
        if weights == nil && BundledModel.speediness.url == nil {
            throw ValidationError("--weights is required: this build has no bundled SpeedNet weights (\(BundledModel.speediness.rawValue))")
        }
    }

    private func parsedFactors(_ text: String) throws -> [Double] {
        let values = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ (1...SamplingLimits.factor).contains($0 ?? 0) }) else {
            throw ValidationError("--factors must be comma-separated numbers from 1 to \(Int(SamplingLimits.factor)), got \"\(text)\"")
        }
        return Array(Set(values.compactMap { $0 })).sorted()
    }

    func run() throws {
        do {
            try analyse()
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.someInputsFailed)
        }
    }

    private func analyse() throws {
        guard let weightsURL = weights.map({ URL(fileURLWithPath: $0) }) ?? BundledModel.speediness.url else {
            throw ValidationError("--weights is required: this build has no bundled SpeedNet weights")
        }
        let model = try SpeedNetWeights.read(weightsURL)
        var config = model.config
        if let window { config.frames = window }
        if let size { config.inputSize = size }
        var estimator = try SpeedinessEstimator(model: model, factors: try factors.map(parsedFactors) ?? SpeedinessEstimator.defaultFactors,
                                                stride: stride)
        estimator.config = config
        let terminal = isatty(2) != 0
        let curve = try estimator.estimate(path: video) { done, total in
            if terminal { FileHandle.standardError.write(Data("\rwindows \(done)/\(total)".utf8)) }
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        let segments = curve.segments(frames: max(1, Int((segment * curve.fps).rounded())))

        var speedupPlan: SpeedupPlan?
        if let target {
            let planned = try AdaptiveSpeedup(target: target, maxRate: maxRate).plan(speediness: curve.speediness, fps: curve.fps)
            speedupPlan = planned
            if let plan { try write(planned, to: plan) }
            if let render {
                try planned.render(source: video, to: render) { done, total in
                    if terminal { FileHandle.standardError.write(Data("\rrendering \(done)/\(total)".utf8)) }
                }
                if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
            }
        }
        if let plot {
            try CommandFailure.reporting("cannot write", plot) {
                try Data(chart(curve).utf8).write(to: URL(fileURLWithPath: plot), options: .atomic)
            }
        }

        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let record = SpeedRecord(path: video, fps: curve.fps, frames: curve.frameCount, window: config.frames, stride: stride,
                                     factors: curve.factors, segments: segments.map(SpeedRecord.Row.init),
                                     plan: speedupPlan.map(SpeedRecord.PlanSummary.init))
            print(String(decoding: try encoder.encode(record), as: UTF8.self))
        } else if csv {
            print((["start", "end"] + curve.factors.map { "p_\(Self.format($0))" } + ["speediness"]).joined(separator: ","))
            for s in segments {
                print(([s.startTime, s.endTime].map { String(format: "%.3f", $0) } + s.probabilities.map { String(format: "%.4f", $0) }
                       + [Self.format(s.speediness)]).joined(separator: ","))
            }
        } else {
            print(table(curve, segments, plan: speedupPlan, window: config.frames))
        }
    }

    private func write(_ plan: SpeedupPlan, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(plan)
        try CommandFailure.reporting("cannot write", path) { try data.write(to: URL(fileURLWithPath: path), options: .atomic) }
    }

    private func table(_ curve: SpeedinessCurve, _ segments: [SpeedinessCurve.Segment], plan: SpeedupPlan?, window: Int) -> String {
        var lines = ["\(video): \(curve.frameCount) frames at \(String(format: "%.3f", curve.fps)) fps, "
                     + "windows of \(window) frames every \(stride)"]
        let pad = { (text: String) in String(repeating: " ", count: max(0, 6 - text.count)) + text }
        lines.append("   start     end " + curve.factors.map { pad("P@" + Self.format($0)) }.joined(separator: " ") + "  speediness")
        for s in segments {
            lines.append(String(format: "%8.2f%8.2f ", s.startTime, s.endTime)
                         + s.probabilities.map { pad(String(format: "%.2f", $0)) }.joined(separator: " ")
                         + "  " + Self.format(s.speediness))
        }
        if let plan {
            lines.append(String(format: "plan: target %.2fx, achieved %.3fx, %d -> %d frames, rates %.2f-%.2f",
                                plan.target, plan.achieved, plan.sourceFrameCount, plan.outputFrameCount, plan.minRate, plan.maxRate))
        }
        return lines.joined(separator: "\n")
    }

    /// Two charts stacked in one SVG: the speediness over time, then P(sped up) at factors 1, 2, 4.
    private func chart(_ curve: SpeedinessCurve) -> String {
        let times = (0..<curve.frameCount).map { Double($0) / curve.fps }
        let name = URL(fileURLWithPath: video).lastPathComponent
        let speediness = LineChart(title: "Speediness of \(name)", xLabel: "time (s)", yLabel: "speediness (x)",
                                   series: [.init(name: "speediness", points: Array(zip(times, curve.speediness)).map { ($0.0, $0.1) })],
                                   yRange: 0.75...((curve.factors.last ?? 4) + 0.25))
        let shown = [1.0, 2, 4].compactMap { wanted in curve.factors.indices.min { abs(curve.factors[$0] - wanted) < abs(curve.factors[$1] - wanted) } }
        let probabilities = LineChart(title: "P(sped up) after re-timing", xLabel: "time (s)", yLabel: "probability",
                                      series: Array(Set(shown)).sorted().map { f in
                                          .init(name: "\(Self.format(curve.factors[f]))x",
                                                points: Array(zip(times, curve.probabilities[f])).map { ($0.0, $0.1) })
                                      }, yRange: 0...1, guides: [0.5])
        let top = speediness.svg(), bottom = probabilities.svg().replacingOccurrences(of: "<svg ", with: "<svg y=\"\(Int(speediness.height))\" ")
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(speediness.width))" height="\(Int(speediness.height + probabilities.height))">
        \(top)
        \(bottom)
        </svg>

        """
    }

    static func format(_ factor: Double) -> String {
        factor == factor.rounded() ? String(format: "%.0f", factor) : String(format: "%g", factor)
    }
}

/// The JSON object `cadence speed --json` prints.
struct SpeedRecord: Encodable {
    struct Row: Encodable {
        var start: Double, end: Double
        var first_frame: Int, last_frame: Int
        var probabilities: [Double]
        var speediness: Double

        init(_ s: SpeedinessCurve.Segment) {
            (start, end, first_frame, last_frame) = (s.startTime, s.endTime, s.firstFrame, s.lastFrame)
            probabilities = s.probabilities
            speediness = s.speediness
        }
    }

    struct PlanSummary: Encodable {
        var target: Double, achieved: Double
        var min_rate: Double, max_rate: Double
        var source_frames: Int, output_frames: Int

        init(_ p: SpeedupPlan) {
            (target, achieved, min_rate, max_rate) = (p.target, p.achieved, p.minRate, p.maxRate)
            (source_frames, output_frames) = (p.sourceFrameCount, p.outputFrameCount)
        }
    }

    var path: String
    var fps: Double
    var frames: Int
    var window: Int
    var stride: Int
    var factors: [Double]
    var segments: [Row]
    var plan: PlanSummary?
}
