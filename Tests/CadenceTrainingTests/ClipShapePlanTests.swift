import CadenceVideo
import Testing
@testable import CadenceTraining

/// Pins the multigrid shapes, batch sizes, sampling rates and learning-rate multipliers per epoch
/// and iteration, for X3D-S's clip (13 frames would not quarter evenly; 16 x 160 does).
@Suite struct ClipShapePlanTests {
    func configuration(_ mode: MultigridMode?, epochs: Int = 20) throws -> TrainingConfiguration {
        var c = TrainingConfiguration(preset: try ModelPreset.named("x3d_s"), epochs: epochs, batchSize: 8)
        c.frames = 16
        c.samplingRate = 5
        c.crop = 160
        c.jitter = [182, 228]
        c.multigrid = mode
        return c
    }

    func shape(_ plan: ClipShapePlan, _ epoch: Int, _ iteration: Int) -> [Int] {
        let s = plan.iteration(epoch: epoch, iteration: iteration)
        return [s.frames, s.crop, s.batchSize, Int(s.learningRateMultiplier), s.batchNormSplits,
                s.samplingRates.upperBound, s.jitter.lowerBound]
    }

    @Test func plainRunKeepsOneShape() throws {
        let plan = ClipShapePlan(try configuration(nil))
        #expect(plan.epochs == 20)
        #expect(shape(plan, 0, 0) == [16, 160, 8, 1, 1, 5, 182])
        #expect(shape(plan, 19, 5) == [16, 160, 8, 1, 1, 5, 182])
    }

    @Test func longCycleWalksTheFourShapesThenTheFullOne() throws {
        let plan = ClipShapePlan(try configuration(.long))
        let schedule = try #require(plan.schedule)
        // 1.5x the 20 baseline epochs, split over the four long-cycle shapes in proportion to their batch.
        #expect(plan.epochs == 30)
        #expect(schedule.stages.map(\.endEpoch) == [16, 24, 28, 30, 30])
        // [frames, crop, batch, LR multiplier, BN splits, longest sampling rate, jitter low]
        #expect(shape(plan, 0, 0) == [4, 113, 64, 8, 8, 20, 129])
        #expect(shape(plan, 0, 1) == [4, 113, 64, 8, 8, 20, 129])
        #expect(shape(plan, 16, 0) == [8, 113, 32, 4, 4, 10, 129])
        #expect(shape(plan, 24, 0) == [8, 160, 16, 2, 2, 10, 182])
        #expect(shape(plan, 29, 0) == [16, 160, 8, 1, 1, 5, 182])
        #expect(plan.smallestShape == (4, 113))
    }

    @Test func shortCycleAloneCyclesThreeCropsPerIteration() throws {
        let plan = ClipShapePlan(try configuration(.short))
        #expect(plan.epochs == 20)
        // Crops 80, 113, 160 with batches 4x, 2x, 1x; the LR and BN splits stay at the base.
        #expect(shape(plan, 0, 0) == [16, 80, 32, 1, 1, 5, 91])
        #expect(shape(plan, 0, 1) == [16, 113, 16, 1, 1, 5, 129])
        #expect(shape(plan, 0, 2) == [16, 160, 8, 1, 1, 5, 182])
        #expect(shape(plan, 7, 3) == shape(plan, 0, 0))
    }

    @Test func longAndShortCyclesTogether() throws {
        let plan = ClipShapePlan(try configuration(.longShort))
        let first = plan.schedule?.stages.first?.shortCycle.map { [$0.batchMultiplier, $0.frames, $0.crop] }
        #expect(first == [[16, 4, 80], [8, 4, 113], [8, 4, 113]])
        #expect(shape(plan, 0, 0) == [4, 80, 128, 8, 8, 20, 91])
        #expect(shape(plan, 0, 2) == [4, 113, 64, 8, 8, 20, 129])
        let last = plan.epochs - 1
        #expect(shape(plan, last, 2) == [16, 160, 8, 1, 1, 5, 182])
        #expect(shape(plan, last, 0) == [16, 80, 32, 1, 1, 5, 91])
    }

    @Test func learningRateScalesWithTheLongCycleBatchUnderCosine() throws {
        // The trainer multiplies the cosine rate by the long-cycle batch multiplier every iteration.
        let plan = ClipShapePlan(try configuration(.long))
        let multipliers = (0..<plan.epochs).map { plan.iteration(epoch: $0, iteration: 0).learningRateMultiplier }
        #expect(multipliers == Array(repeating: 8.0, count: 16) + Array(repeating: 4.0, count: 8)
            + Array(repeating: 2.0, count: 4) + [1, 1])
    }

    @Test func stepwiseBaselineDropsTheRateTenfoldAtEachStep() throws {
        var c = try configuration(nil)
        c.learningRate = 0.2
        c.learningRateSteps = [8, 13, 16]
        let schedule = ClipShapePlan(c).learningRateSchedule
        let rates = [0, 7.9, 8, 12.5, 13, 16, 19.9].map { schedule.rate(atEpoch: $0) }
        let expected = [0.2, 0.2, 0.02, 0.02, 0.002, 0.0002, 0.0002]
        for (rate, want) in zip(rates, expected) { #expect(abs(rate - want) < 1e-12) }
    }

    @Test func stepwiseMultigridRunsALongCyclePerStageWithScaledRates() throws {
        var c = try configuration(.long)
        c.learningRate = 0.1
        c.learningRateSteps = [8, 13, 16]
        let plan = ClipShapePlan(c)
        let schedule = try #require(plan.schedule)
        // Three stages of four shapes each, then the full-shape fine-tuning stage.
        #expect(schedule.stages.map(\.lrStage) == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3])
        #expect(schedule.stages.map(\.shape.batchMultiplier) == [8, 4, 2, 1, 8, 4, 2, 1, 8, 4, 2, 1, 1])
        // The schedule carries the multipliers (PySlowFast's rewritten LRS); iterations add none.
        let rateSchedule = plan.learningRateSchedule
        for stage in schedule.stages.dropLast() {
            let start = schedule.stages.firstIndex(of: stage).map { $0 == 0 ? 0 : schedule.stages[$0 - 1].endEpoch } ?? 0
            guard start < stage.endEpoch else { continue }
            let want = 0.1 * [1, 0.1, 0.01][stage.lrStage] * Double(stage.shape.batchMultiplier)
            #expect(abs(rateSchedule.rate(atEpoch: Double(start)) - want) < 1e-12)
            #expect(plan.iteration(epoch: start, iteration: 0).learningRateMultiplier == 1)
            #expect(plan.iteration(epoch: start, iteration: 0).batchSize == 8 * stage.shape.batchMultiplier)
        }
        // The full shape at the base rate closes the first stage, before the first drop.
        let firstFull = try #require(schedule.stages.first { $0.shape.batchMultiplier == 1 })
        #expect(firstFull.lrStage == 0 && firstFull.endEpoch < plan.epochs / 2)
    }

    @Test("Sizes, counts and epochs past their limits are refused, each naming its option")
    func valuesPastTheLimitsAreRefused() throws {
        let fits = try configuration(nil)
        try fits.validate()
        let cases: [(String, (inout TrainingConfiguration) -> Void)] = [
            ("--frames", { $0.frames = SamplingLimits.frames + 1 }),
            ("--sampling-rate", { $0.samplingRate = 9_223_372_036_854_775_807 }),
            ("--crop", { $0.crop = SamplingLimits.side + 1; $0.jitter = [$0.crop, $0.crop] }),
            ("--test-crop", { $0.testCrop = 999_999 }),
            ("--jitter", { $0.jitter = [182, SamplingLimits.side + 1] }),
            ("--epochs", { $0.epochs = TrainingConfiguration.maximumEpochs + 1 }),
            ("--warmup-epochs", { $0.warmupEpochs = Double($0.epochs) + 1 }),
        ]
        for (option, change) in cases {
            var c = fits
            change(&c)
            let error = try #require(throws: TrainingError.self) { try c.validate() }
            #expect(error.subject == option, "\(error)")
        }
    }

    @Test("A batch whose input alone passes the machine's memory is refused, naming the options")
    func inputLargerThanMemoryIsRefused() throws {
        for change in [{ (c: inout TrainingConfiguration) in c.batchSize = 99_999_999_999 },
                       { c in c.frames = SamplingLimits.frames; c.crop = SamplingLimits.side; c.jitter = [c.crop, c.crop] }] {
            var c = try configuration(nil)
            change(&c)
            let error = try #require(throws: TrainingError.self) { try c.validate() }
            #expect(error.subject == "--batch, --frames and --crop")
            #expect(error.reason.contains("GB of input per batch, more than this machine's"))
        }
    }

    @Test func learningRateStepsAreValidated() throws {
        var c = try configuration(nil)
        for bad in [[], [0, 5], [5, 5], [12, 8], [20]] {
            c.learningRateSteps = bad
            #expect(throws: TrainingError.self) { try c.validate() }
        }
        c.learningRateSteps = [8, 13, 16]
        try c.validate()
    }
}

@Suite struct BatchPlannerTests {
    @Test func batchesAreAFunctionOfSeedAndEpoch() throws {
        let c = try tinyConfiguration()
        let planner = BatchPlanner(shapes: ClipShapePlan(c), trainCount: 10)
        let epoch0 = planner.trainingBatches(epoch: 0)
        #expect(epoch0 == planner.trainingBatches(epoch: 0))
        #expect(epoch0.map(\.count) == [4, 4, 2])
        #expect(Set(epoch0.flatMap { $0.map(\.video) }) == Set(0..<10))
        #expect(epoch0 != planner.trainingBatches(epoch: 1))
        #expect(Set(epoch0.flatMap { $0.map(\.seed) }).count == 10)
        let request = try #require(epoch0.first?.first)
        #expect(request.framing == .training(jitter: 32...40, crop: 32, flip: true) && request.timing == .random)
    }

    @Test func longCycleClipsDrawTheirSamplingRate() throws {
        var c = try tinyConfiguration(epochs: 8)
        c.frames = 8
        c.samplingRate = 2
        c.multigrid = .long
        let planner = BatchPlanner(shapes: ClipShapePlan(c), trainCount: 200)
        let rates = planner.trainingBatches(epoch: 0).flatMap { $0.map(\.samplingRate) }
        #expect(rates.allSatisfy { (2...8).contains($0) } && Set(rates).count == 7)
    }

    @Test func validationTakesEveryViewOfEveryVideo() throws {
        var c = try tinyConfiguration()
        c.validationTemporalViews = 2
        c.validationSpatialViews = 3
        let batches = BatchPlanner.validationBatches(videos: 3, configuration: c)
        #expect(batches.map(\.count) == [4, 4, 4, 4, 2])
        let all = batches.flatMap { $0 }
        #expect(all.map(\.video) == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2])
        #expect(all[4].timing == .view(index: 1, count: 2))
        #expect(all[4].framing == .testing(shortSide: 32, crop: 32, index: 1, count: 3))
    }
}

@Suite struct ValidationResultTests {
    @Test func topKAndConfusion() {
        let result = ValidationResult(scores: [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.5, 0.1, 0.4]], labels: [0, 2, 2], classes: 3)
        #expect(abs(result.top1 - 100.0 / 3) < 1e-9)
        #expect(result.top5 == 100)
        #expect(result.confusion == [[1, 0, 0], [0, 0, 0], [1, 1, 0]])
    }
}

@Suite struct SubBatchTests {
    @Test func subBatchesAreNearEqualAndNeverSingleClips() {
        #expect(Trainer.subBatchSizes(clips: 16, splits: 8) == [2, 2, 2, 2, 2, 2, 2, 2])
        #expect(Trainer.subBatchSizes(clips: 13, splits: 4) == [4, 3, 3, 3])
        #expect(Trainer.subBatchSizes(clips: 3, splits: 8) == [3])
        #expect(Trainer.subBatchSizes(clips: 8, splits: 1) == [8])
    }

    @Test func aLastSingleClipJoinsThePreviousBatch() throws {
        let planner = BatchPlanner(shapes: ClipShapePlan(try tinyConfiguration()), trainCount: 9)
        #expect(planner.trainingBatches(epoch: 0).map(\.count) == [4, 5])
    }
}

@Suite struct ShortMultigridRunTests {
    @Test func theLastEpochIsAtTheFullShapeEvenWhenRoundingEmptiesTheFinalStage() throws {
        var c = try tinyConfiguration(epochs: 2)
        c.crop = 64
        c.multigrid = .long
        let plan = ClipShapePlan(c)
        #expect(plan.schedule?.stages.map(\.endEpoch) == [2, 2, 3, 3, 3])
        #expect(plan.epochs == 3)
        let last = plan.iteration(epoch: 2, iteration: 0)
        #expect([last.frames, last.crop, last.batchSize, last.batchNormSplits] == [4, 64, 4, 1])
        #expect(plan.iteration(epoch: 0, iteration: 0).frames == 1)
    }
}
