import CadenceTensor
import Foundation
import Testing
@testable import CadenceNN

@Suite struct LayerTests {
    @Test func convAndLinearUsePyTorchDefaultInitialisationBounds() throws {
        var generator = TensorRandom(seed: 5)
        let conv = try Conv3dLayer(inputChannels: 4, outputChannels: 6, kernel: Dims3(1, 3, 3), groups: 2, generator: &generator)
        let bound = 1 / Float(2 * 9).squareRoot()
        #expect(conv.weight.shape == [6, 1, 3, 3, 2])
        #expect(conv.weight.toArray().allSatisfy { Swift.abs($0) <= bound })
        #expect(conv.weight.toArray().contains { Swift.abs($0) > 0.8 * bound })
        #expect(conv.bias?.toArray().allSatisfy { Swift.abs($0) <= bound } == true)
        var again = TensorRandom(seed: 5)
        let same = try Conv3dLayer(inputChannels: 4, outputChannels: 6, kernel: Dims3(1, 3, 3), groups: 2, generator: &again)
        #expect(same.weight.toArray() == conv.weight.toArray())
        #expect(throws: NNError.self) {
            try Conv3dLayer(inputChannels: 3, outputChannels: 6, kernel: Dims3(all: 1), groups: 2, generator: &generator)
        }
        let linear = Linear(inputFeatures: 16, outputFeatures: 3, generator: &generator)
        #expect(linear.weight.toArray().allSatisfy { Swift.abs($0) <= 0.25 })
    }

    @Test func linearAppliesToTheLastDimension() throws {
        var generator = TensorRandom(seed: 6)
        let linear = Linear(inputFeatures: 3, outputFeatures: 2, generator: &generator)
        let x = Tensor.randomNormal([2, 2, 3], using: &generator)
        let y = try linear(x)
        #expect(y.shape == [2, 2, 2])
        let w = linear.weight.toArray(), b = linear.bias?.toArray() ?? [], xs = x.toArray()
        for row in 0..<4 {
            for o in 0..<2 {
                var expected = b[o]
                for i in 0..<3 { expected += xs[row * 3 + i] * w[o * 3 + i] }
                #expect(Swift.abs(y.toArray()[row * 2 + o] - expected) < 1e-5)
            }
        }
        #expect(throws: NNError.self) { try linear(Tensor.zeros([2, 4])) }
        #expect(try linear(Tensor.zeros([0, 3])).shape == [0, 2])
        // The fused activation equals applying it after, and gradients still reach the weights.
        let fused = try linear.forward(x, activation: .gelu).toArray()
        let after = try linear(x).gelu().toArray()
        for (a, b) in zip(fused, after) { #expect(Swift.abs(a - b) < 1e-6) }
        try linear.forward(x, activation: .gelu).sum().backward()
        #expect(linear.weight.grad != nil && linear.bias?.grad != nil)
    }

    @Test func batchNormWithMomentumOneKeepsTheLastBatchStatistics() throws {
        let bn = BatchNorm3d(channels: 1)
        bn.momentum = 1
        _ = try bn(Tensor(shape: [4, 1, 1, 1, 1], values: [1, 2, 3, 6]))
        #expect(bn.runningMean.toArray() == [3])
        #expect(bn.runningVar.toArray() == [14 / 3])
        bn.eval()
        #expect(try bn(Tensor(shape: [1, 1, 1, 1, 1], values: [3])).toArray() == [0])
    }

    @Test func dropPathDropsWholeSamplesOnlyInTraining() throws {
        let drop = try DropPath(probability: 0.5, seed: 9)
        let x = Tensor.ones([64, 2, 3])
        let values = try drop(x).toArray()
        var dropped = 0
        for n in 0..<64 {
            let sample = values[(n * 6)..<((n + 1) * 6)]
            #expect(Set(sample).count == 1)
            #expect(sample.first == 0 || sample.first == 2)
            if sample.first == 0 { dropped += 1 }
        }
        #expect(dropped > 16 && dropped < 48)
        drop.eval()
        #expect(try drop(x) === x)
    }

    @Test func dropoutModuleFollowsMode() throws {
        let layer = try Dropout(probability: 0.5, seed: 1)
        let x = Tensor.ones([200])
        #expect(try layer(x).toArray().contains(0))
        layer.eval()
        #expect(try layer(x).toArray() == x.toArray())
    }

    @Test func activationModulesMatchTensorFunctions() throws {
        let x = try Tensor(shape: [4], values: [-2, -0.5, 0.5, 3])
        #expect(try ReLU()(x).toArray() == x.relu().toArray())
        #expect(try Swish()(x).toArray() == x.silu().toArray())
        #expect(try Sigmoid()(x).toArray() == x.sigmoid().toArray())
        #expect(try GELU()(x).toArray() == x.gelu().toArray())
    }

    @Test func poolingLayersKeepChannelsLastShapes() throws {
        let x = Tensor.ones([1, 4, 6, 6, 3])
        #expect(try MaxPool3dLayer(kernel: Dims3(1, 3, 3), stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1))(x).shape == [1, 4, 3, 3, 3])
        #expect(try AvgPool3dLayer(kernel: Dims3(2, 2, 2))(x).shape == [1, 2, 3, 3, 3])
        #expect(try AdaptiveAvgPool3dLayer(outputSize: Dims3(all: 1))(x).toArray() == [1, 1, 1])
    }
}
