import CadenceNN
import CadenceTensor
import Foundation
import Testing
@testable import CadenceModels

/// SpeedNet: shapes in training and evaluation, the head's pooling and its gradient, weight files.
@Suite struct SpeedNetTests {
    /// A backbone small enough for debug builds: widths 4-8-16-32, one block per stage but res4's two.
    static var tiny: SpeedNetConfig {
        var config = SpeedNetConfig()
        config.dimC1 = 4
        config.widthFactor = 1
        config.depthFactor = 0.3
        config.bottleneckFactor = 1
        config.frames = 4
        config.inputSize = 32
        return config
    }

    private func randomClip(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = TensorRandom(seed: seed)
        return Tensor.randomUniform(shape, low: -1, high: 1, using: &generator)
    }

    @Test func forwardGivesOneLogitPerClipAtAnySize() throws {
        let model = try SpeedNet(Self.tiny, seed: 1)
        model.eval()
        for shape in [[2, 4, 32, 32, 3], [1, 7, 40, 56, 3]] {
            let logits = try model(randomClip(shape, seed: 2))
            #expect(logits.shape == [shape[0]])
            #expect(logits.toArray().allSatisfy { $0.isFinite })
        }
        #expect(throws: ModelError.self) { try model(randomClip([1, 4, 16, 32, 3], seed: 3)) }
        #expect(throws: ModelError.self) { try model(randomClip([1, 4, 32, 32, 1], seed: 3)) }
    }

    @Test func foldedInferenceMatchesTheModule() throws {
        let model = try SpeedNet(Self.tiny, seed: 4)
        // Non-trivial running statistics, so folding has something to fold.
        _ = try model(randomClip([2, 4, 32, 32, 3], seed: 5))
        model.eval()
        let clip = randomClip([2, 4, 32, 32, 3], seed: 6)
        let reference = try model(clip).toArray()
        let folded = try model.folded().forward(clip: clip).toArray()
        for (a, b) in zip(reference, folded) { #expect(abs(a - b) < 1e-4 * max(1, abs(a))) }
    }

    @Test func trainingStepReachesEveryParameter() throws {
        let model = try SpeedNet(Self.tiny, seed: 7)
        model.train()
        let logits = try model(randomClip([2, 4, 32, 32, 3], seed: 8))
        let loss = try binaryCrossEntropyWithLogits(logits, targets: Tensor(shape: [2], values: [0, 1]))
        try loss.backward()
        for (name, parameter) in model.namedParameters() {
            let grad = try #require(parameter.grad, "\(name) has no gradient")
            #expect(grad.shape == parameter.shape)
            #expect(grad.toArray().allSatisfy { $0.isFinite }, "\(name)")
        }
        #expect(model.namedParameters().map(\.name).contains("head.projection.weight"))
        #expect(model.stateDict()["s2.pathway0_res0.branch2.a.weight"] != nil)
    }

    @Test func headTakesTheSpatialMaximumThenTheTemporalMean() throws {
        var generator = TensorRandom(seed: 9)
        let head = SpeedNetHead(channels: 3, generator: &generator)
        let (n, t, h, w, c) = (2, 3, 2, 4, 3)
        let features = randomClip([n, t, h, w, c], seed: 10)
        let x = features.toArray(), weight = head.projection.weight.toArray()
        let bias = try #require(head.projection.bias).toArray()[0]
        let out = try head(features).toArray()
        for b in 0..<n {
            var expected = bias
            for k in 0..<c {
                var mean: Float = 0
                for f in 0..<t {
                    var best = -Float.infinity
                    for p in 0..<(h * w) { best = max(best, x[((b * t + f) * h * w + p) * c + k]) }
                    mean += best / Float(t)
                }
                expected += weight[k] * mean
            }
            #expect(abs(out[b] - expected) < 1e-5)
        }
    }

    @Test func headGradientMatchesFiniteDifferences() throws {
        var generator = TensorRandom(seed: 11)
        let head = SpeedNetHead(channels: 2, generator: &generator)
        let shape = [1, 2, 2, 3, 2]
        let values = randomClip(shape, seed: 12).toArray()
        let input = try Tensor(shape: shape, values: values)
        input.requiresGrad = true
        try head(input).sum().backward()
        let analytic = try #require(input.grad).toArray()
        let step: Float = 1e-3
        for i in values.indices {
            var plus = values, minus = values
            plus[i] += step
            minus[i] -= step
            let difference = try (head(Tensor(shape: shape, values: plus)).sum().item()
                - head(Tensor(shape: shape, values: minus)).sum().item()) / (2 * step)
            #expect(abs(difference - analytic[i]) < 2e-3, "element \(i)")
        }
        // Only the spatial maxima receive gradient: one position per frame and channel.
        #expect(analytic.filter { $0 != 0 }.count == 2 * 2)
    }

    @Test func weightsFileRoundTripsTheConfigAndOutputs() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("speednet-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let model = try SpeedNet(Self.tiny, seed: 13)
        model.eval()
        try SpeedNetWeights.write(model, to: url)
        let loaded = try SpeedNetWeights.read(url)
        loaded.eval()
        #expect(loaded.config == Self.tiny)
        let clip = randomClip([1, 4, 32, 32, 3], seed: 14)
        #expect(try model(clip).toArray() == loaded(clip).toArray())

        try SafetensorsFile.write(model.stateDict(), to: url)
        #expect(throws: ModelError.self) { try SpeedNetWeights.read(url) }
    }
}
