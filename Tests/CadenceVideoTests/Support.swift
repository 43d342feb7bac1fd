import CadenceTestSupport
import Foundation

/// The repository's sample clips and the facts scripts/make-clips recorded about them.
enum Clips {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String) -> String {
        repository.appendingPathComponent("clips").appendingPathComponent(name).path
    }

    /// One entry of clips/clips.json.
    struct Facts: Decodable {
        var file: String
        var container: String
        var codec: String
        var width: Int
        var height: Int
        var rotation: Int
        var frames: Int
        var avg_fps_value: Double
        var duration: Double
        var has_b_frames: Bool
        var has_audio: Bool
    }

    /// One entry of the `bad` list in clips/clips.json (what the ffmpeg CLI made of each bad input).
    struct BadFacts: Decodable {
        var file: String
        var frames_decoded: Int?
    }

    private struct Manifest: Decodable {
        var clips: [Facts]
        var bad: [BadFacts]?
    }

    private static let manifest: Manifest? = {
        guard let data = try? Data(contentsOf: repository.appendingPathComponent("clips/clips.json")) else { return nil }
        return try? JSONDecoder().decode(Manifest.self, from: data)
    }()

    /// Facts for every good clip (an empty list when clips.json is missing, which the tests then report).
    static var facts: [Facts] { manifest?.clips ?? [] }

    /// Facts for the bad inputs.
    static var badFacts: [BadFacts] { manifest?.bad ?? [] }

    static var goodNames: [String] { facts.map(\.file) }
}

/// Every frame as the `ffmpeg` CLI decodes it to RGB24 (one frame per decoded picture: passthrough timing,
/// so variable frame rate clips are not resampled), optionally through a filter such as `scale=W:H`.
func ffmpegRGB(_ path: String, filter: String? = nil) throws -> [UInt8] {
    var arguments = ["-v", "error", "-i", path, "-fps_mode", "passthrough"]
    if let filter { arguments += ["-vf", filter] }
    arguments += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    let result = try runTool("/usr/bin/env", ["ffmpeg"] + arguments)
    guard result.status == 0 else { throw ToolFailure(message: "ffmpeg failed on \(path): \(result.stderr)") }
    return [UInt8](result.stdout)
}

struct ToolFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The largest absolute difference between two byte arrays of equal length.
func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
}
