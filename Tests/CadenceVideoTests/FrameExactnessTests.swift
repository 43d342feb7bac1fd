import CadenceVideo
import Foundation
import Testing

/// Decoded pixels against the `ffmpeg` CLI on every sample clip.
@Suite struct FrameExactnessTests {
    /// All frames of a clip through streaming, concatenated.
    private func streamAll(_ name: String, resize: Resize? = nil) throws -> (frames: [VideoFrame], bytes: [UInt8]) {
        let reader = try VideoReader(path: Clips.path(name), resize: resize)
        var frames: [VideoFrame] = []
        var bytes: [UInt8] = []
        while let frame = try reader.nextFrame() {
            bytes += frame.rgb
            frames.append(frame)
        }
        return (frames, bytes)
    }

    @Test("native size RGB equals ffmpeg -pix_fmt rgb24 byte for byte", arguments: Clips.goodNames)
    func nativeSizeIsExact(name: String) throws {
        let expected = try ffmpegRGB(Clips.path(name))
        let (frames, bytes) = try streamAll(name)
        let facts = try #require(Clips.facts.first { $0.file == name })
        #expect(frames.count == facts.frames)
        #expect(bytes.count == expected.count)
        #expect(bytes == expected, "max difference \(maxDifference(bytes, expected))")
        #expect(frames.map(\.index) == Array(0..<frames.count))
    }

    @Test("short-side resize matches ffmpeg's scale filter", arguments: ["h264.mp4", "portrait.mp4", "odd-321x239.mp4", "mjpeg.mov"])
    func shortSideResizeMatchesScaleFilter(name: String) throws {
        let (frames, bytes) = try streamAll(name, resize: .shortSide(112))
        let first = try #require(frames.first)
        #expect(min(first.width, first.height) == 112)
        let expected = try ffmpegRGB(Clips.path(name), filter: "scale=\(first.width):\(first.height)")
        #expect(bytes.count == expected.count)
        #expect(maxDifference(bytes, expected) <= FrameExactnessTests.resizeTolerance)
    }

    @Test("exact-size resize matches ffmpeg's scale filter")
    func exactResizeMatchesScaleFilter() throws {
        let (_, bytes) = try streamAll("vp9.webm", resize: .exact(width: 200, height: 90))
        let expected = try ffmpegRGB(Clips.path("vp9.webm"), filter: "scale=200:90")
        #expect(bytes.count == expected.count)
        #expect(maxDifference(bytes, expected) <= FrameExactnessTests.resizeTolerance)
    }

    /// Resized frames are exact too: the same swscale flags (bicubic), colour details and plane rotation
    /// as the CLI's filter graph. The tolerance stays a named constant should an FFmpeg upgrade change rounding.
    static let resizeTolerance = 0
}
