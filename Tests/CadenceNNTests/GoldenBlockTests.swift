import CadenceTensor
import Foundation
import Testing
@testable import CadenceNN

/// conv (no bias) → BN → ReLU → X3D squeeze-excitation → global mean → Linear, the same tree as
/// `Block` in scripts/fixtures/nn.py, so its state dict loads by name.
private final class GoldenBlock: Module {
    let conv: Conv3dLayer
    let bn: BatchNorm3d
    let se: SqueezeExcitation
    let head: Linear

    init(seed: UInt64 = 3) throws {
        var generator = TensorRandom(seed: seed)
        conv = try Conv3dLayer(inputChannels: 3, outputChannels: 4, kernel: Dims3(all: 3), padding: Dims3(all: 1),
                               bias: false, generator: &generator)
        bn = BatchNorm3d(channels: 4)
        se = try SqueezeExcitation(channels: 4, reducedChannels: 2, generator: &generator)
        head = Linear(inputFeatures: 4, outputFeatures: 5, generator: &generator)
        super.init()
        registerModule("conv", conv)
        registerModule("bn", bn)
        registerModule("se", se)
        registerModule("head", head)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let features = try se(bn(conv(x)).relu())
        return try head(features.mean(axes: [1, 2, 3]))
    }
}

/// A conv + BN + ReLU + SE + Linear block against PyTorch: a `torch.save`d state dict loads through
/// PyTorchCheckpoint, and forward, backward and running statistics match.
@Suite struct GoldenBlockTests {
    @Test func blockMatchesPyTorchForwardBackwardAndStatistics() throws {
        let block = try GoldenBlock()
        try block.load(PyTorchCheckpoint.readStateDict(NNFixtures.url("block.pth")), source: "block.pth")
        let x = try NNFixtures.tensor("block_x")
        x.requiresGrad = true
        let y = try block(x)
        NNFixtures.expectClose(y, try NNFixtures.tensor("block_y_train"), atol: 1e-5, "train output")
        try (y * NNFixtures.tensor("block_proj")).sum().backward()
        NNFixtures.expectClose(x.grad, try NNFixtures.tensor("block_dx"), atol: 1e-5, "dx")
        for (name, p) in block.namedParameters() {
            let expected = try NNFixtures.tensor("block_d" + name.replacingOccurrences(of: ".", with: "_"))
            guard let grad = p.grad else {
                Issue.record("\(name) has no gradient")
                continue
            }
            let layout: StoredLayout = p.rank == 5 ? .convWeight : .same
            let stored = layout.toPyTorch(grad)
            NNFixtures.expectClose(try Tensor(shape: stored.shape, values: stored.floats()), expected, atol: 1e-5, name)
        }
        NNFixtures.expectClose(block.bn.runningMean, try NNFixtures.tensor("block_running_mean"), "running mean")
        NNFixtures.expectClose(block.bn.runningVar, try NNFixtures.tensor("block_running_var"), "running var")
        #expect(try block.bn.numBatchesTracked.item() == 1)
        block.eval()
        NNFixtures.expectClose(try block(x), try NNFixtures.tensor("block_y_eval"), atol: 1e-5, "eval output")
    }

    @Test func savedStateDictReloadsToTheSameOutput() throws {
        let block = try GoldenBlock()
        let original = try PyTorchCheckpoint.readStateDict(NNFixtures.url("block.pth"))
        try block.load(original)
        let saved = block.stateDict()
        #expect(saved.keys.sorted() == original.keys.sorted())
        for (key, array) in original {
            #expect(saved[key]?.shape == array.shape, "\(key)")
            #expect(saved[key]?.floats() == array.floats(), "\(key)")
        }
        let copy = try GoldenBlock()
        try copy.load(saved)
        block.eval()
        copy.eval()
        let x = try NNFixtures.tensor("block_x")
        #expect(try copy(x).toArray() == block(x).toArray())
    }
}
