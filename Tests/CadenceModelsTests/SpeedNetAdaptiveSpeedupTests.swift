import Foundation
import Testing
@testable import CadenceModels

/// The adaptive speed-up plan: overall speed-up, rate range, monotone source times.
@Suite struct SpeedNetAdaptiveSpeedupTests {
    /// Synthetic speediness curves at 30 fps: flat, a step, a sine, and one spike of slow motion.
    private static let curves: [(String, [Double])] = [
        ("flat", Array(repeating: 1.5, count: 600)),
        ("step", (0..<900).map { $0 < 450 ? 1 : 4 }),
        ("sine", (0..<1200).map { 2.5 + 1.5 * sin(Double($0) / 60) }),
        ("spike", (0..<600).map { (200..<260).contains($0) ? 4 : 1.25 }),
    ]

    @Test(arguments: [1.0, 1.5, 2.0, 3.0, 4.0])
    func planHitsTheTargetWithinTheRateRange(target: Double) throws {
        let speedup = try AdaptiveSpeedup(target: target, maxRate: 4)
        for (name, v) in Self.curves {
            let plan = try speedup.plan(speediness: v, fps: 30)
            #expect(abs(plan.achieved / target - 1) <= 0.02, "\(name): \(plan.achieved)")
            #expect(plan.outputFrameCount == plan.sourceFrames.count && plan.rates.count == plan.outputFrameCount)
            #expect(plan.rates.allSatisfy { $0 >= 1 && $0 <= 4 }, "\(name)")
            #expect(plan.minRate >= 1 && plan.maxRate <= 4)
            #expect(zip(plan.sourceTimes, plan.sourceTimes.dropFirst()).allSatisfy { $0 < $1 }, "\(name)")
            #expect(plan.sourceFrames.allSatisfy { (0..<v.count).contains($0) })
            #expect(plan.sourceFrames.first == 0)
        }
    }

    @Test func fasterWhereTheContentTolerates() throws {
        let v = (0..<900).map { $0 < 450 ? 1.0 : 4.0 }
        let plan = try AdaptiveSpeedup(target: 2, maxRate: 4).plan(speediness: v, fps: 30)
        let early = plan.rates[plan.sourceFrames.firstIndex { $0 > 100 }!]
        let late = plan.rates[plan.sourceFrames.firstIndex { $0 > 800 }!]
        #expect(late > 2 * early)
    }

    @Test func smoothingKeepsConstantsAndRemovesOutliers() {
        #expect(AdaptiveSpeedup.gaussian(Array(repeating: 2, count: 20), sigma: 3).allSatisfy { abs($0 - 2) < 1e-12 })
        #expect(AdaptiveSpeedup.median([1, 1, 9, 1, 1], width: 3) == [1, 1, 1, 1, 1])
    }

    @Test func targetsOutsideTheRateRangeAreRefused() {
        #expect(throws: ModelError.self) { try AdaptiveSpeedup(target: 5, maxRate: 4) }
        #expect(throws: ModelError.self) { try AdaptiveSpeedup(target: 0.5, maxRate: 4) }
    }
}
