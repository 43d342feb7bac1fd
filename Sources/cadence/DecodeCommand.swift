import ArgumentParser
import CadenceNN
import CadenceVideo
import Foundation

/// `cadence decode VIDEO ... --out F.npy`: frames as a uint8 [T,H,W,3] array for NumPy.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode frames of a video to a uint8 [T,H,W,3] RGB .npy file.",
        discussion: """
        Choose the frames with exactly one of --frames, --uniform or --all. Frame i is the i-th picture in \
        presentation order (B-frames and variable frame rate included). Frames come out upright (rotation \
        metadata applied) and, with --short-side or --size, scaled in the decoder (bicubic, as ffmpeg scales).

        Memory: the whole array is held before it is written, T x H x W x 3 bytes; --all on a 10-minute \
        1080p video at 30 fps is 18000 x 1080 x 1920 x 3 = 112 GB, so pair --all with --short-side or use \
        --uniform for long videos. An array over a third of the machine's memory is refused with an error \
        (before decoding, or with --all once the frames reach it).

        Examples:
          cadence decode clips/h264.mp4 --frames 0,5,10 --out frames.npy
          cadence decode clips/h264.mp4 --uniform 16 --short-side 256 --out clip.npy
        """
    )

    @Argument(help: ArgumentHelp("The video file.", valueName: "video"))
    var video: String

    @Option(help: ArgumentHelp("Comma-separated frame indices, in the order to write them (e.g. 0,5,10).", valueName: "list"))
    var frames: String?

    @Option(help: ArgumentHelp("N frames spaced evenly from the first to the last.", valueName: "N"))
    var uniform: Int?

    @Flag(help: "Every frame (see the memory note above).")
    var all = false

    @Option(name: .customLong("short-side"), help: ArgumentHelp("Scale so the shorter side is S pixels, keeping the aspect ratio.", valueName: "S"))
    var shortSide: Int?

    @Option(help: ArgumentHelp("Scale to exactly W by H pixels.", valueName: "WxH"))
    var size: String?

    @Option(help: "FFmpeg decoding threads (0 lets FFmpeg choose).")
    var threads = 0

    @Option(name: .shortAndLong, help: ArgumentHelp("The .npy file to write.", valueName: "file"))
    var out: String

    func validate() throws {
        let selections = [frames != nil, uniform != nil, all].filter { $0 }.count
        guard selections == 1 else { throw ValidationError("Choose exactly one of --frames, --uniform or --all.") }
        if frames != nil { _ = try frameList() }
        if let uniform, uniform <= 0 { throw ValidationError("--uniform must be a positive number of frames.") }
        if shortSide != nil && size != nil { throw ValidationError("Use either --short-side or --size, not both.") }
        if let shortSide, !(1...SamplingLimits.side).contains(shortSide) {
            throw ValidationError("--short-side must be from 1 to \(SamplingLimits.side).")
        }
        if size != nil { _ = try parsedSize() }
        if !(0...64).contains(threads) { throw ValidationError("--threads must be 0 (automatic) to 64.") }
    }

    private func frameList() throws -> [Int] {
        let parts = (frames ?? "").split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? -1) >= 0 }) else {
            throw ValidationError("--frames takes non-negative integers separated by commas, e.g. 0,5,10.")
        }
        return values.compactMap { $0 }
    }

    private func parsedSize() throws -> (Int, Int)? {
        guard let size else { return nil }
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]),
              (1...SamplingLimits.side).contains(w), (1...SamplingLimits.side).contains(h) else {
            throw ValidationError("--size takes WIDTHxHEIGHT, each from 1 to \(SamplingLimits.side), e.g. 320x240.")
        }
        return (w, h)
    }

    func run() throws {
        var resize: Resize?
        if let shortSide { resize = .shortSide(shortSide) }
        if let (w, h) = try parsedSize() { resize = .exact(width: w, height: h) }
        do {
            let reader = try VideoReader(path: video, threads: threads, resize: resize)
            let (shape, bytes) = try all ? decodeAll(reader) : decodeSelected(reader)
            try NpyFile.write(ArrayData(shape: shape, uint8: bytes), to: URL(fileURLWithPath: out))
            let shapeText = shape.map(String.init).joined(separator: ",")
            FileHandle.standardError.write(Data("wrote \(out): uint8 [\(shapeText)]\n".utf8))
            let damage = reader.damage
            if !damage.isEmpty {
                printError("warning: \(video): \(damage.corruptPackets) corrupt packets, \(damage.corruptFrames) damaged frames, "
                    + "\(damage.decoderErrors) decoder errors, \(damage.readErrors) read errors" + (damage.lastMessage.map { " (last: \($0))" } ?? ""))
            }
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.someInputsFailed)
        }
    }

    /// The most bytes of frames a decode takes on. The array is held up to three times while it is
    /// written (the frames, the array's bytes and the file's encoding), so a third of the memory.
    static let frameBytesLimit = Int(ProcessInfo.processInfo.physicalMemory / 3)

    /// Fails, before any frame is kept, when `frames` pictures of `width`×`height` pass the limit.
    private func checkFits(frames: Int, width: Int, height: Int, whenDecodingAll: Bool = false) throws {
        let frameBytes = width * height * 3
        guard frameBytes > 0, frames > Self.frameBytesLimit / frameBytes else { return }
        func gigabytes(_ bytes: Double) -> String { String(format: "%.1f GB", bytes / 1e9) }
        let memory = gigabytes(Double(ProcessInfo.processInfo.physicalMemory))
        let advice = "ask for fewer frames (--uniform) or smaller ones (--short-side, --size)"
        if whenDecodingAll {
            throw CommandFailure("\(video): the frames at \(width)x\(height) pass a third of this machine's \(memory) "
                + "of memory after frame \(frames - 1), and the whole array is held before it is written; \(advice)")
        }
        throw CommandFailure("\(video): \(frames) frames at \(width)x\(height) take "
            + "\(gigabytes(Double(frames) * Double(frameBytes))), more than a third of this machine's \(memory) "
            + "of memory, and the whole array is held before it is written; \(advice)")
    }

    private func decodeSelected(_ reader: VideoReader) throws -> ([Int], [UInt8]) {
        let info = reader.info
        let picture = reader.resize?.outputSize(width: info.displayWidth, height: info.displayHeight)
            ?? (info.displayWidth, info.displayHeight)
        let indices: [Int]
        if let uniform {
            try checkFits(frames: uniform, width: picture.width, height: picture.height)
            indices = UniformSampling.indices(count: uniform, frameCount: try reader.frameIndex().count)
        } else {
            indices = try frameList()
            try checkFits(frames: indices.count, width: picture.width, height: picture.height)
        }
        let decoded = try reader.frames(at: indices)
        guard let first = decoded.first else { return ([0, 0, 0, 3], []) }
        if let changed = decoded.first(where: { ($0.width, $0.height) != (first.width, first.height) }) {
            throw sizeChange(from: first, to: changed)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(decoded.count * first.rgb.count)
        for frame in decoded { bytes += frame.rgb }
        return ([decoded.count, first.height, first.width, 3], bytes)
    }

    private func decodeAll(_ reader: VideoReader) throws -> ([Int], [UInt8]) {
        var bytes: [UInt8] = []
        var count = 0
        var first: VideoFrame?
        while let frame = try reader.nextFrame() {
            if let first, (first.width, first.height) != (frame.width, frame.height) {
                throw sizeChange(from: first, to: frame)
            }
            if first == nil {
                first = frame
                // The count is the container's estimate, which a damaged header can put in the
                // billions: reserve no more than the limit, and let the array grow if the frames come.
                let fitting = Self.frameBytesLimit / max(frame.rgb.count, 1)
                bytes.reserveCapacity(frame.rgb.count * min(max(reader.info.frameCount.value, 1), fitting))
            }
            try checkFits(frames: count + 1, width: frame.width, height: frame.height, whenDecodingAll: true)
            bytes += frame.rgb
            count += 1
        }
        return ([count, first?.height ?? 0, first?.width ?? 0, 3], bytes)
    }

    /// One array cannot hold pictures of two sizes; `--size` makes them all one.
    private func sizeChange(from first: VideoFrame, to changed: VideoFrame) -> CommandFailure {
        CommandFailure("\(video): the picture size changes (\(first.width)x\(first.height) at frame \(first.index), "
            + "\(changed.width)x\(changed.height) at frame \(changed.index)); use --size")
    }
}
