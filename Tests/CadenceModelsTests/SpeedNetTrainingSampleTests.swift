import CadenceNN
import CadenceTensor
import Foundation
import Testing
@testable import CadenceModels

/// Self-supervised samples from real clips, and one training step on a batch of them.
@Suite struct SpeedNetTrainingSampleTests {
    private static func clip(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("clips").appendingPathComponent(name).path
    }

    @Test func samplesPairANormalAndASpedUpClipOfOnePlace() throws {
        let config = SpeedNetTests.tiny
        var generator = TensorRandom(seed: 21)
        let sample = try #require(try SpeedinessTrainingSample.draw(path: Self.clip("real/hand-box.mp4"), config: config,
                                                                    side: 40, using: &generator))
        #expect(sample.clips.shape == [2, 4, 40, 40, 3])
        #expect(sample.pair.normal.first == sample.pair.spedUp.first)
        #expect(sample.pair.spedUp.last! - sample.pair.spedUp.first! > sample.pair.normal.last! - sample.pair.normal.first!)
        let values = sample.clips.toArray()
        // (pixel / 255 - 0.45) / 0.225 lies in [-2, 2.45].
        #expect(values.allSatisfy { $0 >= -2.001 && $0 <= 2.445 })
        #expect(Set(values).count > 100)

        var again = TensorRandom(seed: 21)
        let same = try #require(try SpeedinessTrainingSample.draw(path: Self.clip("real/hand-box.mp4"), config: config,
                                                                  side: 40, using: &again))
        #expect(same.pair == sample.pair && same.clips.toArray() == values)

        // three-frames.mp4 is too short for a sped-up clip of 4 frames.
        #expect(try SpeedinessTrainingSample.draw(path: Self.clip("three-frames.mp4"), config: config, side: 32,
                                                  using: &generator) == nil)
    }

    @Test func aBatchTrainsWithBinaryCrossEntropy() throws {
        let config = SpeedNetTests.tiny
        var generator = TensorRandom(seed: 22)
        let samples = try (0..<2).map { _ in
            try #require(try SpeedinessTrainingSample.draw(path: Self.clip("real/hand-cup.mp4"), config: config,
                                                           side: 32, using: &generator))
        }
        let (clips, targets) = try SpeedinessTrainingSample.batch(samples)
        #expect(clips.shape == [4, 4, 32, 32, 3])
        #expect(targets.toArray() == [0, 1, 0, 1])
        let model = try SpeedNet(config, seed: 23)
        let loss = try binaryCrossEntropyWithLogits(model(clips), targets: targets)
        try loss.backward()
        #expect(try loss.item().isFinite)
        #expect(model.head.projection.weight.grad != nil)
    }
}
