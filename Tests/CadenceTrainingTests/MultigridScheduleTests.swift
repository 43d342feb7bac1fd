import Testing
@testable import CadenceTraining

/// Pins the schedule against the worked example in shared/reference/training-data.md §1
/// (SlowFast 8x8 R50 stepwise multigrid: T=32, S=224, steps [0,94,154,196], 239 epochs).
@Suite struct MultigridScheduleTests {
    let slowFast = MultigridSchedule(
        frames: 32, crop: 224, steps: [0, 94, 154, 196], maxEpoch: 239, longCycle: true, shortCycle: true)

    @Test func longCycleStagesMatchTheWorkedExample() {
        let ends = slowFast.stages.map(\.endEpoch)
        #expect(ends == [73, 110, 142, 158, 205, 228, 248, 259, 291, 308, 322, 329, 358])
        let shapes = slowFast.stages.prefix(4).map { [$0.shape.batchMultiplier, $0.shape.frames, $0.shape.crop] }
        #expect(shapes == [[8, 8, 158], [4, 16, 158], [2, 16, 224], [1, 32, 224]])
        #expect(slowFast.stages.map(\.lrStage) == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3])
        #expect(slowFast.stages.last?.shape == MultigridSchedule.Shape(batchMultiplier: 1, frames: 32, crop: 224))
        #expect(slowFast.maxEpoch == 358)
        #expect(abs(slowFast.iterationSaving - 5.75) < 0.01)
    }

    @Test func learningRatesScaleWithTheBatch() {
        #expect(slowFast.lrSteps == [0, 73, 110, 142, 158, 205, 228, 248, 259, 291, 308, 322, 329, 343])
        let expected = [8, 4, 2, 1, 0.8, 0.4, 0.2, 0.1, 0.08, 0.04, 0.02, 0.01, 0.01, 0.001]
        #expect(slowFast.relativeRates.count == expected.count)
        for (rate, want) in zip(slowFast.relativeRates, expected) { #expect(abs(rate - want) < 1e-9) }
    }

    @Test func shortCycleShapesInsideTheFirstLongCycleShape() {
        let shorts = slowFast.stages[0].shortCycle.map { [$0.batchMultiplier, $0.crop] }
        #expect(shorts == [[16, 112], [8, 158], [8, 158]])
        let full = slowFast.stages[3].shortCycle.map { [$0.batchMultiplier, $0.crop] }
        #expect(full == [[4, 112], [2, 158], [1, 224]])
    }

    @Test func longCycleAloneWorks() {
        // PySlowFast raises IndexError here; the schedule must still end at the full shape.
        let long = MultigridSchedule(frames: 32, crop: 224, steps: [0, 94, 154, 196], maxEpoch: 239,
                                     longCycle: true, shortCycle: false)
        #expect(long.stages.count == 13)
        #expect(long.stages.allSatisfy { $0.shortCycle.count == 1 })
        #expect(long.stages.last?.shape == MultigridSchedule.Shape(batchMultiplier: 1, frames: 32, crop: 224))
        #expect(long.stages.map(\.endEpoch) == long.stages.map(\.endEpoch).sorted())
    }

    @Test func shortCycleAloneKeepsTheBaselineEpochs() {
        let short = MultigridSchedule(frames: 16, crop: 224, steps: [0, 100], maxEpoch: 100,
                                      longCycle: false, shortCycle: true)
        #expect(short.maxEpoch == 100)
        #expect(short.stages.count == 1)
        #expect(short.stages[0].shortCycle.map(\.crop) == [112, 158, 224])
        #expect(short.stages[0].shortCycle.map(\.batchMultiplier) == [4, 2, 1])
    }

    @Test func subBatchNormSplitsKeepEightClipsPerSplit() {
        #expect(MultigridSchedule.batchNormSplits(batchSize: 64) == 8)
        #expect(MultigridSchedule.batchNormSplits(batchSize: 8) == 1)
        #expect(MultigridSchedule.batchNormSplits(batchSize: 4) == 1)
    }
}
