import CadenceTensor
import Testing
@testable import CadenceNN

/// Sub-batch BN against PySlowFast's SubBatchNorm3d (restated in scripts/fixtures/nn.py).
@Suite struct SubBatchNorm3dTests {
    @Test func matchesPySlowFastInTrainingAggregationAndEval() throws {
        let bn = try SubBatchNorm3d(channels: 3, splits: 2)
        try bn.weight.assign(NNFixtures.tensor("subbn_weight"))
        try bn.bias.assign(NNFixtures.tensor("subbn_bias"))
        let x = try NNFixtures.tensor("subbn_x")
        x.requiresGrad = true
        let y = try bn(x)
        NNFixtures.expectClose(y, try NNFixtures.tensor("subbn_y_train"), "train output")
        try (y * NNFixtures.tensor("subbn_proj")).sum().backward()
        NNFixtures.expectClose(x.grad, try NNFixtures.tensor("subbn_dx"), atol: 1e-5, "dx")
        NNFixtures.expectClose(bn.splitRunningMean, try NNFixtures.tensor("subbn_split_mean"), "split means")
        NNFixtures.expectClose(bn.splitRunningVar, try NNFixtures.tensor("subbn_split_var"), "split vars")
        try bn.aggregateStatistics()
        NNFixtures.expectClose(bn.runningMean, try NNFixtures.tensor("subbn_mean"), "aggregated mean")
        NNFixtures.expectClose(bn.runningVar, try NNFixtures.tensor("subbn_var"), "aggregated var")
        bn.eval()
        NNFixtures.expectClose(try bn(x), try NNFixtures.tensor("subbn_y_eval"), "eval output")
    }

    @Test func storesPlainBatchNormKeysAndTilesLoadedStatistics() throws {
        let sub = try SubBatchNorm3d(channels: 2, splits: 3)
        #expect(sub.stateDict().keys.sorted() == BatchNorm3d(channels: 2).stateDict().keys.sorted())
        try sub.load([
            "weight": ArrayData(shape: [2], floats: [1, 2]), "bias": ArrayData(shape: [2], floats: [0, 1]),
            "running_mean": ArrayData(shape: [2], floats: [0.5, -0.5]),
            "running_var": ArrayData(shape: [2], floats: [2, 3]),
        ])
        #expect(sub.splitRunningMean.toArray() == [0.5, -0.5, 0.5, -0.5, 0.5, -0.5])
        #expect(sub.splitRunningVar.toArray() == [2, 3, 2, 3, 2, 3])
        #expect(throws: NNError.self) { try sub(Tensor.zeros([4, 1, 1, 1, 2])) }
    }
}
