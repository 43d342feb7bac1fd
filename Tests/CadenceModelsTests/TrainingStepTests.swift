import CadenceNN
import CadenceTensor
import CadenceTestSupport
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
        let (losses, state) = try Self.trainTwoSteps()
        let expectedLosses = try NpyFile.read(Self.folder.appendingPathComponent("losses.npy")).floats()
        for (step, (value, expected)) in zip(losses, expectedLosses).enumerated() {
            #expect(abs(value - expected) < 1e-4 * max(1, abs(expected)), "step \(step + 1) loss \(value) vs \(expected)")
        }
        // Every tensor's change over the two steps, relative to PyTorch's change.
        let before = try WeightFile.read(Self.folder.appendingPathComponent("before.safetensors"))
        let after = try WeightFile.read(Self.folder.appendingPathComponent("after.safetensors"))
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

    /// Kernels that sum over threads do so in a fixed order, so two runs on two threads agree bit for
    /// bit (what lets a resumed training run repeat an uninterrupted one).
    @Test func twoThreadStepsRepeatBitForBit() throws {
        try ThreadSettingsLock.on(threads: 2) {
            let first = try Self.trainTwoSteps(), second = try Self.trainTwoSteps()
            #expect(first.losses == second.losses)
            for (key, value) in first.state { #expect(second.state[key]?.bytes == value.bytes, "\(key)") }
        }
    }

    /// Loads the fixture's initial weights and takes its two SGD steps; returns the losses and the
    /// final state dict.
    private static func trainTwoSteps() throws -> (losses: [Float], state: [String: ArrayData]) {
        var config = X3DConfig(frames: 4, trainCrop: 32, depthFactor: 0.5)
        config.classes = 5
        config.widthFactor = 1.0
        config.dimC1 = 4
        config.dimC5 = 16
        config.dropoutRate = 0
        let model = try X3D(config, seed: 0)
        let before = try WeightFile.read(Self.folder.appendingPathComponent("before.safetensors"))
        try model.load(before, strict: true, source: "before.safetensors")
        let input = try NpyFile.read(Self.folder.appendingPathComponent("input.npy"))
        let clip = try Tensor(shape: input.shape, values: input.floats()).permute([0, 2, 3, 4, 1]).contiguous()
        let targets = try NpyFile.read(Self.folder.appendingPathComponent("targets.npy")).floats().map { Int($0) }
        let optimizer = try SGD(groups: ParameterGroup.pySlowFast(model, weightDecay: 1e-2), learningRate: 0.5,
                                momentum: 0.9, nesterov: true)
        model.train()
        var losses: [Float] = []
        for _ in 0..<2 {
            optimizer.zeroGrad()
            let loss = try crossEntropy(try model.forward([clip]), targets: targets)
            try loss.backward()
            try optimizer.step()
            losses.append(try loss.item())
        }
        return (losses, model.stateDict())
    }
}
