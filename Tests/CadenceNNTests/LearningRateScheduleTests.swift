import Foundation
import Testing
@testable import CadenceNN

@Suite struct LearningRateScheduleTests {
    // SlowFast R50 recipe: base 0.1, cosine to 0 over 196 epochs, 34 warmup epochs from 0.01.
    let slowFast = LearningRateSchedule(
        baseRate: 0.1, policy: .cosine(end: 0, maxEpoch: 196, afterWarmup: false),
        warmupEpochs: 34, warmupStartRate: 0.01)

    @Test func warmupTargetsTheCosineValueAtWarmupEnd() {
        // The reference notes ~0.0928 for SlowFast (34/196).
        let target = 0.1 * (cos(Double.pi * 34 / 196) + 1) / 2
        #expect(abs(target - 0.0928) < 5e-4)
        #expect(abs(slowFast.rate(atEpoch: 0) - 0.01) < 1e-12)
        #expect(abs(slowFast.rate(atEpoch: 17) - (0.01 + 17 * (target - 0.01) / 34)) < 1e-12)
        #expect(abs(slowFast.rate(atEpoch: 34) - target) < 1e-12)
    }

    @Test func cosineDecaysToTheEndRate() {
        #expect(abs(slowFast.rate(atEpoch: 98) - 0.05) < 1e-12)
        #expect(abs(slowFast.rate(atEpoch: 196)) < 1e-12)
    }

    @Test func cosineAfterWarmupStartsAtTheBaseRate() {
        let mvit = LearningRateSchedule(
            baseRate: 1e-4, policy: .cosine(end: 1e-6, maxEpoch: 200, afterWarmup: true),
            warmupEpochs: 30, warmupStartRate: 1e-6)
        #expect(abs(mvit.rate(atEpoch: 30) - 1e-4) < 1e-15)
        #expect(abs(mvit.rate(atEpoch: 15) - (1e-6 + 15 * (1e-4 - 1e-6) / 30)) < 1e-15)
        #expect(abs(mvit.rate(atEpoch: 200) - 1e-6) < 1e-15)
    }

    @Test func stepsUseRelativeRates() {
        let steps = LearningRateSchedule(
            baseRate: 0.1, policy: .stepsWithRelativeRates(steps: [0, 94, 154, 196], relativeRates: [1, 0.1, 0.01, 0.001]))
        #expect(steps.rate(atEpoch: 0) == 0.1)
        #expect(abs(steps.rate(atEpoch: 93.9) - 0.1) < 1e-12)
        #expect(abs(steps.rate(atEpoch: 94) - 0.01) < 1e-12)
        #expect(abs(steps.rate(atEpoch: 200) - 0.0001) < 1e-12)
    }
}
