@testable import CadenceVideo
import CadenceTestSupport
import Foundation
import Testing

/// Index-list and timestamp decoding against full streaming decode.
@Suite struct RandomAccessTests {
    /// Every frame of a clip, streamed.
    private func streamAll(_ name: String, resize: Resize? = nil) throws -> [VideoFrame] {
        let reader = try VideoReader(path: Clips.path(name), resize: resize)
        var frames: [VideoFrame] = []
        while let frame = try reader.nextFrame() { frames.append(frame) }
        return frames
    }

    @Test("index lists return the streamed frames, across backward and forward seeks",
          arguments: ["h264.mp4", "vfr.mp4", "hevc.mkv", "mpeg4.avi", "vp9.webm", "portrait.mp4"])
    func indexListsMatchStreaming(name: String) throws {
        let all = try streamAll(name, resize: .shortSide(64))
        let reader = try VideoReader(path: Clips.path(name), resize: .shortSide(64))
        let last = all.count - 1
        // Forward with gaps, then backward, then repeats and an unsorted request.
        let requests: [[Int]] = [[0, 1, 5, 11, 12, 13, last / 2, last], [3, last - 1], [last, 2, 2, 0], [last / 3]]
        for request in requests {
            let frames = try reader.frames(at: request)
            #expect(frames.map(\.index) == request)
            for (frame, index) in zip(frames, request) {
                #expect(frame.rgb == all[index].rgb, "\(name) frame \(index) differs from streaming")
                #expect(frame.timestamp == all[index].timestamp)
            }
        }
    }

    /// h264.mp4 has a keyframe every 12 frames, hevc.mkv and vp9.webm one near frame 24: reaching
    /// frame 47 should cost the frames from that keyframe on (plus reordering delay), not all 48.
    @Test("a late frame is reached by seeking, not by decoding everything before it",
          arguments: [("h264.mp4", 24), ("hevc.mkv", 36), ("vp9.webm", 36)])
    func seekingSkipsWork(name: String, budget: Int) throws {
        let reader = try VideoReader(path: Clips.path(name))
        let frame = try reader.frame(at: 47)
        #expect(frame.index == 47)
        #expect(reader.framesDecoded < budget)
        // Going back to the start and forward again also stays within one seek's work.
        let before = reader.framesDecoded
        _ = try reader.frames(at: [1])
        #expect(reader.framesDecoded - before < 12)
    }

    @Test("frame timestamps follow variable frame rate")
    func variableFrameRateTimestamps() throws {
        let frames = try streamAll("vfr.mp4", resize: .shortSide(32))
        let gaps = zip(frames.dropFirst(), frames).map { $0.timestamp - $1.timestamp }
        #expect(gaps.allSatisfy { $0 > 0 })
        let distinct = Set(gaps.map { ($0 * 1000).rounded() })
        #expect(distinct.count > 1, "a variable frame rate clip has unequal frame intervals")
    }

    @Test("decoding by time returns the frame on screen at that time", arguments: ["vfr.mp4", "h264.mp4"])
    func decodingByTime(name: String) throws {
        let all = try streamAll(name, resize: .shortSide(32))
        let reader = try VideoReader(path: Clips.path(name), resize: .shortSide(32))
        for k in [0, 7, all.count / 2, all.count - 1] {
            #expect(try reader.frame(atTime: all[k].timestamp).index == k)
            if k + 1 < all.count {
                let between = (all[k].timestamp + all[k + 1].timestamp) / 2
                let frame = try reader.frame(atTime: between)
                #expect(frame.index == k)
                #expect(frame.rgb == all[k].rgb)
            }
        }
        #expect(throws: VideoError.self) { try reader.frame(atTime: -0.5) }
        #expect(throws: VideoError.self) { try reader.frame(atTime: 1000) }
    }

    @Test("indices outside the video are a typed error")
    func outOfRange() throws {
        let reader = try VideoReader(path: Clips.path("three-frames.mp4"))
        #expect(throws: VideoError.frameOutOfRange(path: Clips.path("three-frames.mp4"), index: 3, frameCount: 3)) {
            try reader.frames(at: [0, 3])
        }
        #expect(try reader.frames(at: [2, 0]).map(\.index) == [2, 0])
    }

    @Test("streaming continues correctly after random access", arguments: ["h264.mp4", "hevc.mkv"])
    func streamingAfterRandomAccess(name: String) throws {
        let all = try streamAll(name, resize: .shortSide(32))
        let reader = try VideoReader(path: Clips.path(name), resize: .shortSide(32))
        _ = try reader.frames(at: [5, 30])
        var previous = 30
        while let frame = try reader.nextFrame() {
            #expect(frame.index > previous)
            #expect(frame.rgb == all[frame.index].rgb)
            previous = frame.index
        }
        #expect(previous == all.count - 1)
    }

    @Test("streaming again after rewind gives the same frames")
    func rewindRestartsStreaming() throws {
        let reader = try VideoReader(path: Clips.path("three-frames.mp4"))
        var first: [VideoFrame] = []
        while let frame = try reader.nextFrame() { first.append(frame) }
        try reader.rewind()
        var second: [VideoFrame] = []
        while let frame = try reader.nextFrame() { second.append(frame) }
        #expect(first.count == 3)
        #expect(first == second)
    }

    @Test("a transport stream whose timestamps start over is indexed whole and random access reaches its second part")
    func joinedTransportStreamRandomAccess() throws {
        let path = try joinedTransportStream([Clips.path("h264.mp4"), Clips.path("h264.mp4")])
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let original = try streamAll("h264.mp4", resize: .shortSide(64))
        let reader = try VideoReader(path: path, resize: .shortSide(64))
        // Rewinding by timestamp landed in the second part, whose start time is the same: the index
        // lost frames and every frame of the second part was out of reach.
        #expect(try reader.frameIndex().count == 96)
        let request = [0, 47, 48, 60, 95, 5]
        let frames = try reader.frames(at: request)
        for (frame, index) in zip(frames, request) {
            #expect(maxDifference(frame.rgb, original[index % 48].rgb) == 0, "frame \(index)")
        }
    }

    @Test("uniform sampling spans first to last frame")
    func uniformSampling() {
        #expect(UniformSampling.indices(count: 4, frameCount: 10) == [0, 3, 6, 9])
        #expect(UniformSampling.indices(count: 5, frameCount: 3) == [0, 0, 1, 1, 2])
        #expect(UniformSampling.indices(count: 1, frameCount: 10) == [0])
        #expect(UniformSampling.indices(count: 0, frameCount: 10).isEmpty)
    }
}
