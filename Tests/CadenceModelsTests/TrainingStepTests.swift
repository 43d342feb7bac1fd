import CadenceNN
import CadenceTensor
import Foundation
import Testing
@testable import CadenceModels

/// Two training steps of a small X3D against PyTorch (scripts/fixtures/training.py): forward in
/// train mode (batch statistics), cross-entropy, backward through every layer, SGD with Nesterov
/// momentum and weight decay off batch norm. Comparing the weights after the steps checks every
/// parameter's gradient and the running statistics at once.
@Suite struct TrainingStepTests {
    private static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/training")

    @Test func twoSGDStepsMatchPyTorch() throws {
        var config = X3DConfig(frames: 4, trainCrop: 32, depthFactor: 0.5)
        config.classes = 5
        config.widthFactor = 1.0
        config.dimC1 = 4
        config.dimC5 = 16
        config.dropoutRate = 0
        let model = try X3D(config, seed: 0)
        let before = try WeightFile.read(Self.folder.appendingPathComponent("before.safetensors"))
        let after = try WeightFile.read(Self.folder.appendingPathComponent("after.safetensors"))
        try model.load(before, strict: true, source: "before.safetensors")
        let input = try NpyFile.read(Self.folder.appendingPathComponent("input.npy"))
        let clip = try Tensor(shape: input.shape, values: input.floats()).permute([0, 2, 3, 4, 1]).contiguous()
        let targets = try NpyFile.read(Self.folder.appendingPathComponent("targets.npy")).floats().map { Int($0) }
        let expectedLosses = try NpyFile.read(Self.folder.appendingPathComponent("losses.npy")).floats()

        let optimizer = try SGD(groups: ParameterGroup.pySlowFast(model, weightDecay: 1e-2), learningRate: 0.5,
                                momentum: 0.9, nesterov: true)
        model.train()
        for step in 0..<2 {
            optimizer.zeroGrad()
            let loss = try crossEntropy(try model.forward([clip]), targets: targets)
            try loss.backward()
            try optimizer.step()
            let value = try loss.item()
            #expect(abs(value - expectedLosses[step]) < 1e-4 * max(1, abs(expectedLosses[step])),
                    "step \(step + 1) loss \(value) vs \(expectedLosses[step])")
        }
        // Every tensor's change over the two steps, relative to PyTorch's change.
        let state = model.stateDict()
        var worst = (key: "", error: 0.0)
        for (key, expected) in after where !key.hasSuffix("num_batches_tracked") {
            let start = try #require(before[key]).floats(), end = try #require(state[key]).floats()
            let reference = expected.floats()
            let change = zip(reference, start).map { Double($0 - $1) }
            let scale = max(change.map(abs).max() ?? 0, 1e-6)
            let error = zip(zip(end, start).map { Double($0 - $1) }, change).map { abs($0 - $1) }.max() ?? 0
            if error / scale > worst.error { worst = (key, error / scale) }
        }
        #expect(worst.error < 2e-3, "largest relative difference in a weight update: \(worst.key) \(worst.error)")
    }
}
