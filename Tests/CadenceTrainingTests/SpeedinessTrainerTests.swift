import CadenceModels
import CadenceNN
import CadenceTensor
import CadenceTestSupport
import CadenceVideo
import Foundation
import Testing
@testable import CadenceTraining

@Suite struct SpeedinessTrainerTests {
    /// The tiny backbone at 8 frames and 32-40 pixels, 2 pairs per batch.
    func configuration(epochs: Int) throws -> SpeedinessConfiguration {
        var network = try SpeedinessConfiguration.backbone(named: "tiny")
        network.frames = 8
        network.inputSize = 32
        var c = try SpeedinessConfiguration(speedNet: network, sizes: 32...40, epochs: epochs, batchPairs: 2)
        c.training.learningRate = 0.02
        c.training.warmupEpochs = 0
        c.training.seed = 5
        c.training.validationTemporalViews = 2
        return c
    }

    func trainer(_ c: SpeedinessConfiguration, folder: String, train: Int = 8) throws -> SpeedinessTrainer {
        try SpeedinessTrainer(configuration: c, train: (0..<train).map { "t\($0)" }, validation: ["v0", "v1"],
                              folder: RunFolder(folder), makeSource: SyntheticSpeedSource.factory)
    }

    @Test func batchesHoldBothMembersOfEachPairAtOneSize() throws {
        let t = try trainer(configuration(epochs: 1), folder: temporaryFolder("plan"), train: 5)
        let batches = t.trainingBatches(epoch: 0)
        #expect(batches.map(\.count) == [4, 4, 2])
        #expect(Set(batches.flatMap { $0.map(\.video) }) == Set(0..<5))
        for batch in batches {
            #expect(Set(batch.map(\.crop)).count == 1 && (32...40).contains(batch[0].crop))
            for pair in stride(from: 0, to: batch.count, by: 2) {
                #expect(batch[pair].timing == .speedPair(spedUp: false) && batch[pair + 1].timing == .speedPair(spedUp: true))
                #expect(batch[pair].seed == batch[pair + 1].seed && batch[pair].video == batch[pair + 1].video)
            }
        }
        #expect(t.trainingBatches(epoch: 0) == batches && t.trainingBatches(epoch: 1) != batches)
        // Three pairs per video: every video three times, each with its own seed.
        var c = try configuration(epochs: 1)
        c.pairsPerVideo = 3
        let three = try trainer(c, folder: temporaryFolder("plan3"), train: 5).trainingBatches(epoch: 0).flatMap { $0 }
        #expect(three.count == 30 && (0..<5).allSatisfy { v in three.filter { $0.video == v }.count == 6 })
        #expect(Set(three.map(\.seed)).count == 15)
        // Validation: 2 windows at 1x, then 2 at 2x, per video.
        let validation = t.evaluation.batches(videos: t.validation.count).flatMap { $0 }
        #expect(validation.map(\.timing) == Array(repeating: [.retimed(index: 0, count: 2, factor: 1), .retimed(index: 1, count: 2, factor: 1),
                                                              .retimed(index: 0, count: 2, factor: 2), .retimed(index: 1, count: 2, factor: 2)],
                                                   count: 2).flatMap { $0 })
    }

    @Test func aucCountsTiesAsHalf() {
        // Pairs (positive, negative): 0.9 beats both, 0.5 ties 0.5 and beats 0.1, 0.4 beats only 0.1.
        #expect(ROCAUC.area(positives: [0.9, 0.5, 0.4], negatives: [0.5, 0.1]) == 4.5 / 6)
        #expect(ROCAUC.area(positives: [1, 2], negatives: [0]) == 1)
        #expect(ROCAUC.area(positives: [0.3], negatives: [0.3]) == 0.5)
        #expect(ROCAUC.area(positives: [], negatives: [0.3]) == nil)
    }

    @Test func frameDifferenceReferenceScoresEachClip() throws {
        // Two clips of three 1x1x2 frames: steps of 1 then 2 (mean 1.5), and a still clip (0).
        let clips = try Tensor(shape: [2, 3, 1, 1, 2], values: [0, 0, 1, -1, 3, 1, 5, 5, 5, 5, 5, 5])
        #expect(SpeedinessEvaluation.meanFrameDifference(clips) == [1.5, 0])
    }

    @Test func lossFallsAndTheModelIsASpeedNetWeightsFile() throws {
        let folder = temporaryFolder("speed-learn")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try trainer(configuration(epochs: 4), folder: folder).run()
        #expect(outcome.finished && outcome.records.count == 4)
        let records = outcome.records
        #expect(records[3].trainLoss < records[0].trainLoss, "\(records.map(\.trainLoss))")
        #expect(records.allSatisfy { $0.valAUC != nil && $0.valAccuracy != nil && $0.valTop1 == nil })
        let run = RunFolder(folder)
        #expect(try run.records() == records)
        #expect(try String(contentsOf: run.curves, encoding: .utf8).contains("val AUC"))
        let model = try SpeedNetWeights.read(run.model)
        #expect(model.config.frames == 8 && model.config.inputSize == 32 && model.config.dimC1 == 4)
    }

    @Test func resumedRunEndsWithTheSameWeightsAsAStraightOne() throws {
        try ThreadSettingsLock.on(threads: 1) { try resumeOnOneThread() }
    }

    private func resumeOnOneThread() throws {
        let straight = temporaryFolder("speed-straight"), resumed = temporaryFolder("speed-resumed")
        defer {
            try? FileManager.default.removeItem(atPath: straight)
            try? FileManager.default.removeItem(atPath: resumed)
        }
        let c = try configuration(epochs: 3)
        #expect(try trainer(c, folder: straight, train: 4).run().finished)
        let first = try trainer(c, folder: resumed, train: 4)
        first.stopAfterEpochs = 1
        #expect(try !first.run().finished)
        let second = try trainer(c, folder: resumed, train: 4).run()
        #expect(second.startEpoch == 1 && second.finished)
        let a = try SafetensorsFile.readTensors(RunFolder(straight).model)
        let b = try SafetensorsFile.readTensors(RunFolder(resumed).model)
        #expect(a.keys.sorted() == b.keys.sorted())
        let differing = a.keys.filter { a[$0] != b[$0] }.sorted()
        #expect(differing.isEmpty, "\(differing.count) tensors differ, e.g. \(differing.prefix(3))")
        // Other options do not resume the folder.
        var other = c
        other.sizes = [32, 48]
        #expect(throws: TrainingError.self) { try trainer(other, folder: resumed, train: 4).run() }
    }
}
