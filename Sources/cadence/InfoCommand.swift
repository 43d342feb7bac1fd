import ArgumentParser
import CadenceVideo
import Foundation

/// `cadence info VIDEO...`: what the decoder sees in each file.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show container, codec, size, rotation, frame rate, exact frame count and duration of videos.",
        discussion: """
        Frame counts are exact: every packet of the video stream is read (no decoding) and counted in \
        presentation order. A file that cannot be decoded is reported with its reason on stderr (and, with \
        --json, as an object with an "error" field); the others are still shown and the exit code is 1.
        """
    )

    @Argument(help: ArgumentHelp("Video files.", valueName: "video"))
    var videos: [String]

    @Flag(help: "Print one JSON object per line per video instead of a table.")
    var json = false

    func run() throws {
        var rows: [VideoInfo] = []
        var failed = false
        for path in videos {
            do {
                let reader = try VideoReader(path: path)
                _ = try reader.frameIndex()
                rows.append(reader.info)
                if json { try printJSONLine(InfoRecord(reader.info)) }
            } catch {
                failed = true
                printError("\(error)")
                if json { try printJSONLine(InfoRecord(path: path, error: error)) }
            }
        }
        if !json && !rows.isEmpty { print(InfoTable.render(rows)) }
        if failed { throw ExitCode(ExitStatus.someInputsFailed) }
    }

    private func printJSONLine(_ record: InfoRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(record), as: UTF8.self))
    }
}

/// The JSON form of `VideoInfo` (or of the reason a file failed) printed by `cadence info --json`.
struct InfoRecord: Encodable {
    var path: String
    var error: String?
    var container: String?
    var codec: String?
    var pixel_format: String?
    var width: Int?
    var height: Int?
    var display_width: Int?
    var display_height: Int?
    var rotation: Int?
    var avg_frame_rate: String?
    var fps: Double?
    var real_frame_rate: String?
    var duration: Double?
    var start_time: Double?
    var frames: Int?
    var frames_exact: Bool?
    var time_base: String?
    var has_audio: Bool?

    init(_ info: VideoInfo) {
        path = info.path
        container = info.container
        codec = info.codec
        pixel_format = info.pixelFormat
        width = info.width
        height = info.height
        display_width = info.displayWidth
        display_height = info.displayHeight
        rotation = info.rotation.rawValue
        avg_frame_rate = info.averageFrameRate.description
        fps = info.averageFrameRate.value
        real_frame_rate = info.realFrameRate.description
        duration = info.duration
        start_time = info.startTime
        frames = info.frameCount.value
        frames_exact = info.frameCount.isExact
        time_base = info.timeBase.description
        has_audio = info.hasAudio
    }

    init(path: String, error: Error) {
        self.path = path
        self.error = "\(error)"
    }
}

/// The human-readable table of `cadence info`.
enum InfoTable {
    static func render(_ infos: [VideoInfo]) -> String {
        let header = ["FILE", "CONTAINER", "CODEC", "SIZE", "ROTATION", "FPS", "FRAMES", "DURATION", "AUDIO"]
        let rows = infos.map { info -> [String] in
            let size = "\(info.displayWidth)x\(info.displayHeight)"
            let fps = (info.averageFrameRate.value ?? info.realFrameRate.value).map { String(format: "%.3g", $0) } ?? "?"
            return [info.path, info.container.split(separator: ",").first.map(String.init) ?? info.container,
                    info.codec, size, info.rotation == .none ? "-" : "\(info.rotation.rawValue)°", fps,
                    info.frameCount.description, String(format: "%.3fs", info.duration), info.hasAudio ? "yes" : "no"]
        }
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
