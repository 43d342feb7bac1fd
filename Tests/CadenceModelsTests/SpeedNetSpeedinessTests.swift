import CadenceTensor
import CadenceVideo
import Foundation
import Testing
@testable import CadenceModels

/// The speediness rule and the aggregation of window probabilities into a per-frame curve.
@Suite struct SpeedNetSpeedinessTests {
    private let grid: [Double] = [1, 1.5, 2, 3, 4]

    @Test func speedinessIsTheLargestFactorThatStillLooksNatural() {
        #expect(SpeedinessCurve.speediness(factors: grid, probabilities: [0.1, 0.2, 0.4, 0.7, 0.9]) == 2)
        #expect(SpeedinessCurve.speediness(factors: grid, probabilities: [0.1, 0.1, 0.1, 0.1, 0.49]) == 4)
        // Already sped up at 1x: nothing looks natural.
        #expect(SpeedinessCurve.speediness(factors: grid, probabilities: [0.6, 0.7, 0.8, 0.9, 0.95]) == 1)
        // Exactly 0.5 counts as sped up.
        #expect(SpeedinessCurve.speediness(factors: grid, probabilities: [0.2, 0.5, 0.9, 0.9, 0.9]) == 1)
        // The largest natural factor wins even after a noisy sped-up verdict in between.
        #expect(SpeedinessCurve.speediness(factors: grid, probabilities: [0.1, 0.6, 0.3, 0.8, 0.9]) == 2)
    }

    @Test func overlappingWindowsAverageOnTheFramesTheySpan() throws {
        let windows: [SpeedinessCurve.Window] = [
            .init(factor: 1, firstFrame: 0, lastFrame: 5, probability: 0.2),
            .init(factor: 1, firstFrame: 4, lastFrame: 9, probability: 0.6),
            .init(factor: 2, firstFrame: 0, lastFrame: 9, probability: 0.3),
        ]
        let curve = try SpeedinessCurve(windows: windows, frameCount: 10, fps: 5)
        #expect(curve.factors == [1, 2])
        #expect(curve.probabilities[0][0] == 0.2)
        #expect(abs(curve.probabilities[0][4] - 0.4) < 1e-12)
        #expect(curve.probabilities[0][9] == 0.6)
        #expect(curve.probabilities[1].allSatisfy { $0 == 0.3 })
        // Frames 0-3 look natural at 2x; frames 6-9 look sped up at 1x but natural at 2x (the rule's maximum).
        #expect(curve.speediness == Array(repeating: 2, count: 10))

        let segments = curve.segments(frames: 4)
        #expect(segments.map(\.firstFrame) == [0, 4, 8])
        #expect(segments.map(\.lastFrame) == [3, 7, 9])
        #expect(segments[0].startTime == 0 && abs(segments[0].endTime - 0.8) < 1e-12 && abs(segments[2].endTime - 2) < 1e-12)
        #expect(abs(segments[1].probabilities[0] - (0.4 + 0.4 + 0.6 + 0.6) / 4) < 1e-12)
    }

    @Test func uncoveredFramesTakeTheNearestWindowAndEmptyInputFails() throws {
        let windows: [SpeedinessCurve.Window] = [
            .init(factor: 1, firstFrame: 0, lastFrame: 1, probability: 0.1),
            .init(factor: 1, firstFrame: 7, lastFrame: 9, probability: 0.9),
        ]
        let curve = try SpeedinessCurve(windows: windows, frameCount: 10, fps: 30)
        #expect(curve.probabilities[0] == [0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
        #expect(throws: ModelError.self) { try SpeedinessCurve(windows: [], frameCount: 10, fps: 30) }
    }

    @Test func estimatorScoresEveryWindowOfEveryFactor() throws {
        var config = SpeedNetSpeedinessTests.tinyConfig
        config.frames = 3
        let model = try SpeedNet(config, seed: 1)
        let estimator = try SpeedinessEstimator(model: model, factors: [2, 1], stride: 5, batchSize: 3)
        var generator = TensorRandom(seed: 2)
        let frames = (0..<20).map { i in
            VideoFrame(index: i, timestamp: Double(i) / 10, width: 32, height: 32,
                       rgb: (0..<(32 * 32 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        var calls: [(Int, Int)] = []
        let curve = try estimator.estimate(frames: frames, fps: 10) { calls.append(($0, $1)) }
        // 1x: starts 0, 5, 10, 15, 17; 2x (span 5): 0, 5, 10, 15.
        #expect(calls.last.map { [$0.0, $0.1] } == [9, 9])
        #expect(calls.count == 3)
        #expect(curve.factors == [1, 2])
        #expect(curve.frameCount == 20)
        #expect(curve.probabilities.joined().allSatisfy { $0 > 0 && $0 < 1 })
        #expect(throws: ModelError.self) { try estimator.estimate(frames: Array(frames.prefix(2)), fps: 10) }
    }

    static var tinyConfig: SpeedNetConfig { SpeedNetTests.tiny }
}
