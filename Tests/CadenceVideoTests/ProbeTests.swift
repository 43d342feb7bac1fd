import CadenceVideo
import Testing

/// Probe results against the facts ffprobe recorded in clips/clips.json.
@Suite struct ProbeTests {
    @Test("clips.json lists the sample clips")
    func manifestIsPresent() {
        #expect(Clips.facts.count >= 10)
    }

    @Test("probe agrees with ffprobe", arguments: Clips.goodNames)
    func probeMatchesFFprobe(name: String) throws {
        let facts = try #require(Clips.facts.first { $0.file == name })
        let reader = try VideoReader(path: Clips.path(name))
        let info = reader.info
        #expect(info.container == facts.container)
        #expect(info.codec == facts.codec)
        #expect(info.width == facts.width)
        #expect(info.height == facts.height)
        // ffprobe reports the display matrix's counterclockwise angle; Rotation is the clockwise turn.
        #expect(info.rotation.rawValue == ((-facts.rotation) % 360 + 360) % 360)
        #expect(info.hasAudio == facts.has_audio)
        #expect(abs((info.averageFrameRate.value ?? 0) - facts.avg_fps_value) < 0.01)
        #expect(abs(info.duration - facts.duration) < 0.05)
        #expect(abs(info.frameCount.value - facts.frames) <= 1)

        let index = try reader.frameIndex()
        #expect(index.count == facts.frames)
        #expect(reader.info.frameCount == .exact(facts.frames))
    }

    @Test("portrait video is reported and decoded upright")
    func portraitIsUpright() throws {
        let reader = try VideoReader(path: Clips.path("portrait.mp4"))
        #expect(reader.info.rotation != .none)
        #expect(reader.info.displayHeight > reader.info.displayWidth)
        let frame = try #require(try reader.nextFrame())
        #expect(frame.width == reader.info.displayWidth)
        #expect(frame.height == reader.info.displayHeight)
    }

    @Test("short-side resize keeps the aspect ratio of the upright picture")
    func shortSideSize() throws {
        let reader = try VideoReader(path: Clips.path("portrait.mp4"), resize: .shortSide(64))
        let frame = try #require(try reader.nextFrame())
        #expect(frame.width == 64)
        #expect(frame.height == reader.info.displayHeight * 64 / reader.info.displayWidth)
        #expect(Resize.shortSide(256).outputSize(width: 320, height: 240)! == (341, 256))
        #expect(Resize.exact(width: 0, height: 5).outputSize(width: 320, height: 240) == nil)
    }

    @Test("an impossible output size is refused when the reader opens")
    func impossibleSize() {
        #expect(throws: VideoError.self) { try VideoReader(path: Clips.path("h264.mp4"), resize: .shortSide(0)) }
    }
}
