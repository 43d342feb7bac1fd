import CadenceTensor
import Testing
@testable import CadenceVideo

/// SpeedNet's index math: jittered training pairs and re-timed inference windows.
@Suite struct SpeedinessSamplingTests {
    @Test func retimedWindowsRoundPositionPlusKTimesFactor() {
        #expect(SpeedinessSampling.retimedWindow(position: 10, frames: 5, factor: 1) == [10, 11, 12, 13, 14])
        // 10 + k * 1.25 = 10, 11.25, 12.5, 13.75, 15 → halves round up.
        #expect(SpeedinessSampling.retimedWindow(position: 10, frames: 5, factor: 1.25) == [10, 11, 13, 14, 15])
        #expect(SpeedinessSampling.retimedWindow(position: 0, frames: 4, factor: 2.5) == [0, 3, 5, 8])
        #expect(SpeedinessSampling.windowSpan(frames: 4, factor: 2.5) == 9)
    }

    @Test func windowPositionsStrideAndCoverTheEnd() {
        // Span of 4 frames at 2x is 7; 20 frames leave starts 0...13.
        #expect(SpeedinessSampling.windowPositions(videoFrames: 20, frames: 4, factor: 2, stride: 5) == [0, 5, 10, 13])
        #expect(SpeedinessSampling.windowPositions(videoFrames: 20, frames: 4, factor: 2, stride: 13) == [0, 13])
        #expect(SpeedinessSampling.windowPositions(videoFrames: 6, frames: 4, factor: 2, stride: 1).isEmpty)
        for factor in [1.0, 1.25, 2.75, 4] {
            for p in SpeedinessSampling.windowPositions(videoFrames: 100, frames: 8, factor: factor, stride: 7) {
                let window = SpeedinessSampling.retimedWindow(position: p, frames: 8, factor: factor)
                #expect(window.allSatisfy { (0..<100).contains($0) })
            }
        }
    }

    @Test func trainingPairsShareTheStartAndSpeedUpAboutTwice() throws {
        var generator = TensorRandom(seed: 7)
        var normalSpan = 0.0, spedUpSpan = 0.0
        for _ in 0..<200 {
            let pair = try #require(SpeedinessSampling.trainingPair(videoFrames: 300, frames: 16, using: &generator))
            #expect(pair.normal.count == 16 && pair.spedUp.count == 16)
            #expect(pair.normal.first == pair.spedUp.first)
            #expect(zip(pair.normal, pair.normal.dropFirst()).allSatisfy { $0 < $1 })
            #expect(zip(pair.spedUp, pair.spedUp.dropFirst()).allSatisfy { $0 < $1 })
            #expect(pair.spedUp.last! < 300)
            #expect(SpeedinessSampling.normalFactors.contains(pair.normalFactor))
            #expect(SpeedinessSampling.spedUpFactors.contains(pair.spedUpFactor))
            normalSpan += Double(pair.normal.last! - pair.normal.first!)
            spedUpSpan += Double(pair.spedUp.last! - pair.spedUp.first!)
        }
        // Mean steps: f ~ U[1, 1.2] → 1.1; f ~ U[1.7, 2.2] → 1.95 source frames per kept frame.
        #expect(abs(normalSpan / 200 / 15 - 1.1) < 0.05)
        #expect(abs(spedUpSpan / 200 / 15 - 1.95) < 0.1)
    }

    @Test func trainingPairsAreReproducibleFromTheSeed() {
        var a = TensorRandom(seed: 3), b = TensorRandom(seed: 3)
        let first = SpeedinessSampling.trainingPair(videoFrames: 100, frames: 8, using: &a)
        #expect(first != nil)
        #expect(first == SpeedinessSampling.trainingPair(videoFrames: 100, frames: 8, using: &b))
    }

    @Test func factorOneKeepsEveryFrameAndShortVideosGiveNoPair() {
        var generator = TensorRandom(seed: 1)
        #expect(SpeedinessSampling.jitteredOffsets(frames: 6, factor: 1, using: &generator) == [0, 1, 2, 3, 4, 5])
        // A 16-frame sped-up clip spans at least 16 frames and usually about 30.
        #expect(SpeedinessSampling.trainingPair(videoFrames: 15, frames: 16, using: &generator) == nil)
    }
}
