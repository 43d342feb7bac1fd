import CadenceTensor
import Foundation
import Testing
@testable import CadenceVideo

/// The loader's SpeedNet timings: training pairs and re-timed validation windows.
@Suite struct SpeedPairLoadingTests {
    static let video = Clips.path("real/hand-box.mp4")

    static func member(spedUp: Bool, seed: UInt64) -> ClipRequest {
        ClipRequest(video: 0, frames: 8, samplingRate: 1, timing: .speedPair(spedUp: spedUp),
                    framing: .training(jitter: 40...40, crop: 40, flip: true), seed: seed)
    }

    @Test func pairMembersShareStartCropAndFlipAndDifferInSpeed() throws {
        let reader = try VideoReader(path: Self.video)
        let count = try reader.frameIndex().count
        let info = reader.info
        var flips = Set<Bool>()
        for seed in UInt64(0)..<6 {
            let plans = try [false, true].map {
                try ClipDecoder.plan(Self.member(spedUp: $0, seed: seed), frameCount: count, fps: 30,
                                     width: info.displayWidth, height: info.displayHeight)
            }
            var generator = TensorRandom(seed: seed)
            let pair = try #require(SpeedinessSampling.trainingPair(videoFrames: count, frames: 8, using: &generator))
            #expect(plans[0].indices == pair.normal && plans[1].indices == pair.spedUp)
            #expect(plans[0].crop == plans[1].crop)
            #expect(pair.spedUp.last! - pair.spedUp[0] > pair.normal.last! - pair.normal[0])
            flips.insert(plans[0].crop.flip)
        }
        #expect(flips.count == 2)

        // The loader decodes exactly those frames, cropped and flipped as planned.
        let seed: UInt64 = 11
        let loader = ClipLoader(paths: [Self.video], batches: [[Self.member(spedUp: false, seed: seed), Self.member(spedUp: true, seed: seed)]],
                                mean: LoaderTests.mean, std: LoaderTests.std, threads: 2)
        let batch = try #require(try loader.next())
        #expect(batch.clips.shape == [2, 8, 40, 40, 3])
        let values = batch.clips.toArray(), clipFloats = 8 * 40 * 40 * 3
        for (row, spedUp) in [false, true].enumerated() {
            let plan = try ClipDecoder.plan(Self.member(spedUp: spedUp, seed: seed), frameCount: count, fps: 30,
                                            width: info.displayWidth, height: info.displayHeight)
            let frames = try VideoReader(path: Self.video, resize: .exact(width: plan.crop.resizedWidth, height: plan.crop.resizedHeight))
                .frames(at: plan.indices)
            let got = Array(values[row * clipFloats..<(row + 1) * clipFloats])
            #expect(LoaderTests.differences(got, LoaderTests.expected(frames, plan.crop)) == 0)
        }
    }

    @Test func retimedWindowsSpreadOverTheVideoAndRefuseShortOnes() throws {
        let request = ClipRequest(video: 0, frames: 8, samplingRate: 1, timing: .retimed(index: 1, count: 2, factor: 2),
                                  framing: .testing(shortSide: 32, crop: 32, index: 0, count: 1), seed: 0)
        let plan = try ClipDecoder.plan(request, frameCount: 100, fps: 30, width: 320, height: 240)
        // Span 15: start (100 - 15) * 3 / 4 = 63, then every second frame.
        #expect(plan.indices == [63, 65, 67, 69, 71, 73, 75, 77])
        #expect(throws: ClipFailure.self) { try ClipDecoder.plan(request, frameCount: 14, fps: 30, width: 320, height: 240) }
        var tooShort = Self.member(spedUp: true, seed: 1)
        tooShort.frames = 16
        #expect(throws: ClipFailure.self) { try ClipDecoder.plan(tooShort, frameCount: 20, fps: 30, width: 320, height: 240) }
    }
}
