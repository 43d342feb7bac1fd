import CadenceTensor
import Testing
@testable import CadenceNN

@Suite struct InferenceAndClippingTests {
    @Test func foldedConvEqualsConvThenEvalBatchNormThenActivation() throws {
        var generator = TensorRandom(seed: 12)
        let conv = try Conv3dLayer(inputChannels: 3, outputChannels: 4, kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1),
                                   bias: false, generator: &generator)
        let bn = BatchNorm3d(channels: 4)
        try bn.load([
            "weight": ArrayData(shape: [4], floats: [1.5, 0.5, -1, 2]), "bias": ArrayData(shape: [4], floats: [0.1, 0, -0.2, 0.3]),
            "running_mean": ArrayData(shape: [4], floats: [0.2, -0.1, 0, 0.5]),
            "running_var": ArrayData(shape: [4], floats: [0.5, 2, 1, 1.5]),
        ])
        bn.eval()
        let x = Tensor.randomNormal([2, 2, 4, 4, 3], using: &generator)
        let expected = try bn(conv(x)).silu().toArray()
        let folded = try FoldedConv3d(conv, bn, activation: .silu)
        let y = try folded(x).toArray()
        #expect(zip(y, expected).allSatisfy { Swift.abs($0 - $1) < 1e-4 })
        #expect(throws: NNError.self) { try FoldedConv3d(conv, BatchNorm3d(channels: 3)) }
    }

    @Test func clippingScalesTheJointNormLikePyTorch() throws {
        let a = Tensor.zeros([2], requiresGrad: true), b = Tensor.zeros([1], requiresGrad: true)
        a.grad = try Tensor(shape: [2], values: [3, 0])
        b.grad = try Tensor(shape: [1], values: [4])
        let norm = try clipGradientNorm([a, b], maxNorm: 1)
        #expect(norm == 5)
        let scale: Float = 1 / (5 + 1e-6)
        #expect(a.grad?.toArray() == [3 * scale, 0])
        #expect(b.grad?.toArray() == [4 * scale])
        // Below the limit nothing changes.
        #expect(try clipGradientNorm([a, b], maxNorm: 2) < 2)
        #expect(b.grad?.toArray() == [4 * scale])
    }
}
