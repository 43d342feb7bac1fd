import ArgumentParser
import CadenceVideo
import Foundation

/// `cadence-bench decode`: times VideoReader on one file and prints a JSON line that
/// bench/run-decode.sh tabulates beside the ffmpeg CLI, PyAV and decord.
struct DecodeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Time decoding a video: every frame at native size, every frame resized, or N sampled frames."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        /// Every frame to RGB at the stored size.
        case full
        /// Every frame to RGB scaled to a short side in the decoder.
        case resize
        /// N uniformly spaced frames by index (opening and indexing included), at the stored size.
        case sample
    }

    @Option(help: "The video file.")
    var video: String

    @Option(help: "full, resize or sample.")
    var mode: Mode

    @Option(help: "FFmpeg decoding threads (0 lets FFmpeg choose).")
    var threads = 0

    @Option(name: .customLong("short-side"), help: "Short side for --mode resize.")
    var shortSide = 256

    @Option(help: "Frames to sample for --mode sample.")
    var frames = 32

    @Option(help: "Timed runs; the fastest is reported.")
    var repeats = 3

    func run() throws {
        var best = Double.infinity
        var count = 0
        var checksum = 0
        for _ in 0..<max(1, repeats) {
            let start = Date()
            (count, checksum) = try decodeOnce()
            best = min(best, Date().timeIntervalSince(start))
        }
        let record: [String: Any] = [
            "bench": "decode", "impl": "cadence", "mode": mode.rawValue, "video": video, "threads": threads,
            "frames": count, "seconds": best, "fps": Double(count) / best, "checksum": checksum,
            "peak_rss_mb": peakResidentMegabytes(),
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Decodes once; returns the frame count and a checksum that keeps the work from being optimized away.
    private func decodeOnce() throws -> (Int, Int) {
        var count = 0
        var checksum = 0
        switch mode {
        case .full, .resize:
            let reader = try VideoReader(path: video, threads: threads, resize: mode == .resize ? .shortSide(shortSide) : nil)
            while let frame = try reader.nextFrame() {
                count += 1
                checksum &+= Int(frame.rgb[frame.rgb.count / 2])
            }
        case .sample:
            let reader = try VideoReader(path: video, threads: threads)
            let indices = UniformSampling.indices(count: frames, frameCount: try reader.frameIndex().count)
            for frame in try reader.frames(at: indices) {
                count += 1
                checksum &+= Int(frame.rgb[frame.rgb.count / 2])
            }
        }
        return (count, checksum)
    }
}

/// The process's peak resident memory so far, in MiB.
func peakResidentMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1024 / 1024  // bytes on macOS
    #endif
}
