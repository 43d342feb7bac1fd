import CadenceNN
import CadenceTensor
import CadenceTestSupport
import CadenceVideo
import Foundation
import Testing
@testable import CadenceTraining

@Suite struct TrainerTests {
    func trainer(_ configuration: TrainingConfiguration, folder: String, train: Int = 8, validation: Int = 4) throws -> Trainer {
        try Trainer(configuration: configuration, classNames: ["a", "b"], train: syntheticVideos(train, prefix: "t"),
                    validation: syntheticVideos(validation, prefix: "v"), folder: RunFolder(folder),
                    makeSource: SyntheticClipSource.factory)
    }

    @Test func lossFallsAndAccuracyBeatsChance() throws {
        let folder = temporaryFolder("learn")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let learner = try trainer(tinyConfiguration(epochs: 4), folder: folder, train: 16)
        learner.keepCheckpoints = 3
        let outcome = try learner.run()
        // Only the newest checkpoints are kept, and nothing half-written is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: RunFolder(folder).checkpoints.path).sorted()
                == (2...4).map { String(format: "checkpoint_epoch_%05d.safetensors", $0) })
        #expect(outcome.finished)
        let records = outcome.records
        #expect(records.count == 4)
        #expect(records[records.count - 1].trainLoss < records[0].trainLoss)
        #expect(records[records.count - 1].trainTop1 > 50)
        #expect(records[records.count - 1].valTop1 != nil)
        // metrics.jsonl parses back into the same records; the curves and confusion matrix exist.
        let run = RunFolder(folder)
        #expect(try run.records() == records)
        let svg = try String(contentsOf: run.curves, encoding: .utf8)
        #expect(svg.contains("Training loss") && svg.contains("val top-1"))
        let confusion = try JSONSerialization.jsonObject(with: Data(contentsOf: run.confusion)) as? [String: Any]
        #expect((confusion?["matrix"] as? [[Int]])?.flatMap { $0 }.reduce(0, +) == 4)
        #expect(try run.description()?.classNames == ["a", "b"])
        // The final model carries its run description and loads on its own.
        let trained = try #require(try TrainedModel.read(run.model))
        #expect(trained.classNames == ["a", "b"] && trained.preset.frames == 4 && trained.preset.testCrop == 32)
    }

    @Test func resumedRunEndsWithTheSameWeightsAsAStraightOne() throws {
        try ThreadSettingsLock.on(threads: 1) { try resumeOnOneThread() }
    }

    private func resumeOnOneThread() throws {
        var configuration = try tinyConfiguration(epochs: 3)
        configuration.clipGradientNorm = 5
        configuration.labelSmoothing = 0.1
        configuration.warmupEpochs = 1
        // Tests run concurrently in this process and share the kernel and BLAS thread settings, which
        // decide how sums are split: the tests that set them go through ThreadSettingsLock, and this one
        // runs on one thread. (A process of its own repeats bit for bit on 2 threads too: see
        // TrainCommandTests.resume.)
        let straight = temporaryFolder("straight"), resumed = temporaryFolder("resumed")
        defer {
            try? FileManager.default.removeItem(atPath: straight)
            try? FileManager.default.removeItem(atPath: resumed)
        }
        #expect(try trainer(configuration, folder: straight).run().finished)

        let first = try trainer(configuration, folder: resumed)
        first.stopAfterEpochs = 1
        let interrupted = try first.run()
        #expect(!interrupted.finished && interrupted.records.count == 1)
        // Nothing half-written is left beside the checkpoint.
        let names = try FileManager.default.contentsOfDirectory(atPath: RunFolder(resumed).checkpoints.path)
        #expect(names == ["checkpoint_epoch_00001.safetensors"])
        // A new process with the same options resumes on its own.
        let second = try trainer(configuration, folder: resumed).run()
        #expect(second.startEpoch == 1 && second.finished)

        let a = try SafetensorsFile.readTensors(RunFolder(straight).model)
        let b = try SafetensorsFile.readTensors(RunFolder(resumed).model)
        #expect(a.keys.sorted() == b.keys.sorted())
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "\(differing.count) tensors differ, e.g. \(differing.prefix(3))")
        #expect(try RunFolder(resumed).records().map(\.epoch) == [1, 2, 3])
        let losses = (try RunFolder(resumed).records().map(\.trainLoss), try RunFolder(straight).records().map(\.trainLoss))
        #expect(losses.0 == losses.1)
    }

    @Test func aFolderWithAnotherRunIsRefused() throws {
        let folder = temporaryFolder("other")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try trainer(tinyConfiguration(epochs: 2), folder: folder)
        first.stopAfterEpochs = 1
        _ = try first.run()
        var other = try tinyConfiguration(epochs: 2)
        other.seed = 8
        #expect(throws: TrainingError.self) { try trainer(other, folder: folder).run() }
        #expect(throws: TrainingError.self) { try trainer(tinyConfiguration(), folder: temporaryFolder("none")).run(resume: true) }
    }

    @Test func badVideosAreSkippedAndReported() throws {
        let folder = temporaryFolder("bad")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var train = syntheticVideos(6, prefix: "t")
        train.append(LabeledVideo(path: "t-bad-class1", label: 1))
        let trainer = try Trainer(configuration: tinyConfiguration(epochs: 1), classNames: ["a", "b"], train: train,
                                  validation: syntheticVideos(2, prefix: "v") + [LabeledVideo(path: "v-bad-class0", label: 0)],
                                  folder: RunFolder(folder), makeSource: SyntheticClipSource.factory)
        let outcome = try trainer.run()
        #expect(outcome.skipped.map(\.path).sorted() == ["t-bad-class1", "v-bad-class0"])
        #expect(try RunFolder(folder).records().first?.skipped.count == 2)
    }

    @Test func preciseBatchNormRunsExtraStatisticsBatches() throws {
        var configuration = try tinyConfiguration(epochs: 1)
        configuration.preciseBatchNormBatches = 2
        let folder = temporaryFolder("precise")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try trainer(configuration, folder: folder, validation: 0).run()
        let weights = try SafetensorsFile.readTensors(RunFolder(folder).model)
        let counter = try #require(weights["s1.pathway0_stem.bn.num_batches_tracked"])
        // Two training steps of 4 clips, then two statistics batches.
        #expect(counter.bytes.withUnsafeBytes { $0.load(as: Int64.self) } == 4)
        let variance = try #require(weights["s1.pathway0_stem.bn.running_var"]?.floats())
        #expect(variance.allSatisfy { $0.isFinite && $0 >= 0 })
    }

    @Test func fineTuningLoadsTheBackboneAndReplacesTheHead() throws {
        let source = temporaryFolder("source"), target = temporaryFolder("target")
        defer {
            try? FileManager.default.removeItem(atPath: source)
            try? FileManager.default.removeItem(atPath: target)
        }
        _ = try trainer(tinyConfiguration(epochs: 1), folder: source, train: 4, validation: 0).run()
        let trained = try SafetensorsFile.readTensors(RunFolder(source).model)

        var configuration = try tinyConfiguration(epochs: 1)
        configuration.fineTuneFrom = RunFolder(source).model.path
        configuration.learningRate = 1e-9
        let three = try Trainer(configuration: configuration, classNames: ["a", "b", "c"],
                                train: (0..<3).map { LabeledVideo(path: "t\($0)-class\($0)", label: $0) }, validation: [],
                                folder: RunFolder(target), makeSource: SyntheticClipSource.factory)
        _ = try three.run()
        let tuned = try SafetensorsFile.readTensors(RunFolder(target).model)
        #expect(tuned["head.projection.weight"]?.shape == [3, 2048])
        // With a negligible learning rate the backbone is the source's (BN statistics move in training).
        let stem = try #require(trained.keys.first { $0.hasSuffix("conv_xy.weight") })
        let before = try #require(trained[stem]?.floats()), after = try #require(tuned[stem]?.floats())
        #expect(zip(before, after).allSatisfy { abs($0 - $1) < 1e-5 })
    }
}

@Suite struct MultigridTrainingTests {
    @Test func multigridRunTrainsEveryShapeWithSubBatchNorm() throws {
        var configuration = try tinyConfiguration(epochs: 2)
        configuration.crop = 64
        configuration.testCrop = 64
        configuration.jitter = [64, 72]
        configuration.multigrid = .longShort
        configuration.batchSize = 2
        configuration.batchNormBaseSize = 2
        configuration.learningRate = 0.01
        let folder = temporaryFolder("multigrid")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let trainer = try Trainer(configuration: configuration, classNames: ["a", "b"], train: syntheticVideos(12, prefix: "t"),
                                  validation: syntheticVideos(2, prefix: "v"), folder: RunFolder(folder),
                                  makeSource: SyntheticClipSource.factory)
        let outcome = try trainer.run()
        let plan = ClipShapePlan(configuration)
        #expect(outcome.finished && outcome.records.count == plan.epochs)
        #expect(outcome.records.map { [$0.frames, $0.crop, $0.batchSize] } == [[1, 45, 16], [2, 45, 8], [4, 64, 2]])

        // Batch norm ran once per sub-batch: its counter grew by the split count of every iteration.
        let planner = BatchPlanner(shapes: plan, trainCount: 12)
        var expected = 0, steps = 0
        for epoch in 0..<plan.epochs {
            for (step, batch) in planner.trainingBatches(epoch: epoch).enumerated() {
                steps += 1
                expected += Trainer.subBatchSizes(clips: batch.count, splits: plan.iteration(epoch: epoch, iteration: step).batchNormSplits).count
            }
        }
        #expect(expected > steps)
        let weights = try SafetensorsFile.readTensors(RunFolder(folder).model)
        let counter = try #require(weights["s1.pathway0_stem.bn.num_batches_tracked"])
        #expect(counter.bytes.withUnsafeBytes { $0.load(as: Int64.self) } == Int64(expected))
    }
}
