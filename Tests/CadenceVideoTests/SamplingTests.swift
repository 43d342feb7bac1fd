import Testing
@testable import CadenceVideo

/// Pins sampling index math to PySlowFast's formulas (shared/reference/training-data.md §2).
@Suite struct SamplingTests {
    @Test func slowFastPacksTheReferenceSlowIndices() {
        // T=32, alpha=4 gives [0,4,8,13,17,22,26,31] in the reference.
        #expect(PathwayPacking.slowFast(alpha: 4).pathwayIndices(frames: 32)[0] == [0, 4, 8, 13, 17, 22, 26, 31])
        #expect(PathwayPacking.slowFast(alpha: 4).pathwayIndices(frames: 32)[1] == Array(0..<32))
        #expect(PathwayPacking.slowFast(alpha: 8).pathwayIndices(frames: 32)[0] == [0, 10, 20, 31])
    }

    @Test func clipSizeFollowsTargetFPS() {
        // 32 frames x rate 2 at 30 fps spans 64 source frames (2.13 s).
        let sampling = TemporalSampling(frames: 32, samplingRate: 2)
        #expect(sampling.clipSize(videoFPS: 30) == 64)
        #expect(sampling.clipSize(videoFPS: 15) == 32)
    }

    @Test func testViewsAreUniformAndLastStartsAtNinetyPercent() {
        // X3D-M: 16 x 5 at 30 fps spans 80 frames; a 300-frame video leaves delta = 220.
        let sampling = TemporalSampling(frames: 16, samplingRate: 5)
        let first = sampling.testClip(view: 0, of: 10, videoFrames: 300, videoFPS: 30)
        #expect(first == [0, 5, 10, 15, 21, 26, 31, 36, 42, 47, 52, 57, 63, 68, 73, 79])
        let last = sampling.testClip(view: 9, of: 10, videoFrames: 300, videoFPS: 30)
        // Start 0.9 * 220; values from torch.linspace(198, 277, 16).long().
        #expect(last == [198, 203, 208, 213, 219, 224, 229, 234, 240, 245, 250, 255, 261, 266, 271, 277])
    }

    @Test func shortVideosClampToTheLastFrame() {
        let sampling = TemporalSampling(frames: 8, samplingRate: 8)
        let clip = sampling.testClip(view: 0, of: 1, videoFrames: 10, videoFPS: 30)
        #expect(clip.count == 8)
        #expect(clip.allSatisfy { (0..<10).contains($0) })
        #expect(clip.last == 9)
    }

    @Test func offsetSamplingCentresASingleView() {
        let sampling = TemporalSampling(frames: 4, samplingRate: 1)
        // delta = 100 - 4 = 96; one view starts at 48.
        #expect(sampling.testClip(view: 0, of: 1, videoFrames: 100, videoFPS: 30, offsetSampling: true) == [48, 49, 50, 51])
        // Five views: start = view * floor(96 / 4) = view * 24.
        #expect(sampling.testClip(view: 4, of: 5, videoFrames: 100, videoFPS: 30, offsetSampling: true).first == 96)
    }

    @Test func randomClipsStayInsideTheVideo() {
        var generator = SystemRandomNumberGenerator()
        let sampling = TemporalSampling(frames: 16, samplingRate: 5)
        for _ in 0..<100 {
            let clip = sampling.randomClip(videoFrames: 120, videoFPS: 30, using: &generator)
            #expect(clip.count == 16 && clip.first! >= 0 && clip.last! < 120)
            #expect(clip.last! - clip.first! == 79 || clip.last! - clip.first! == 78)
        }
    }

    @Test func scaledSizeFloorsTheLongSide() {
        #expect(SpatialSampling.scaledSize(width: 340, height: 256, shortSide: 224) == (297, 224))
        #expect(SpatialSampling.scaledSize(width: 240, height: 320, shortSide: 182) == (182, 242))
        #expect(SpatialSampling.scaledSize(width: 320, height: 256, shortSide: 256) == (320, 256))
    }

    @Test func threeTestCropsAreLeftCentreRight() {
        let crops = (0..<3).map { SpatialSampling.testing(width: 455, height: 256, shortSide: 256, crop: 256, index: $0, of: 3) }
        #expect(crops.map(\.x) == [0, 100, 199])
        #expect(crops.allSatisfy { $0.y == 0 && $0.side == 256 })
        let portrait = (0..<3).map { SpatialSampling.testing(width: 256, height: 455, shortSide: 256, crop: 256, index: $0, of: 3) }
        #expect(portrait.map(\.y) == [0, 100, 199])
    }

    @Test func trainingCropsFitTheJitteredFrame() {
        var generator = SystemRandomNumberGenerator()
        var flips = 0
        for _ in 0..<200 {
            let plan = SpatialSampling.training(width: 320, height: 240, jitter: 256...320, crop: 224, using: &generator)
            #expect((256...320).contains(plan.resizedHeight))
            #expect(plan.x + plan.side <= plan.resizedWidth && plan.y + plan.side <= plan.resizedHeight)
            if plan.flip { flips += 1 }
        }
        #expect(flips > 50 && flips < 150)
    }
}
