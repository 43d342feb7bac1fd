import CadenceTensor
import Testing
@testable import CadenceNN

/// SGD (Nesterov) and AdamW trajectories against PyTorch over three steps with fixed gradients,
/// per-group weight decay and a learning-rate change; resuming from saved state continues exactly.
@Suite struct OptimizerTests {
    private struct Problem {
        let p0: Tensor, p1: Tensor
        let grads0: [Tensor], grads1: [Tensor]
        let groups: [ParameterGroup]

        init(weightDecay: Float) throws {
            p0 = try NNFixtures.tensor("opt_p0")
            p1 = try NNFixtures.tensor("opt_p1")
            let g0 = try NNFixtures.tensor("opt_g0"), g1 = try NNFixtures.tensor("opt_g1")
            grads0 = try (0..<3).map { try g0.slice(axis: 0, start: $0, end: $0 + 1).squeeze(0).contiguous() }
            grads1 = try (0..<3).map { try g1.slice(axis: 0, start: $0, end: $0 + 1).squeeze(0).contiguous() }
            groups = [ParameterGroup(parameters: [("p0", p0)], weightDecay: weightDecay),
                      ParameterGroup(parameters: [("p1", p1)], weightDecay: 0)]
        }

        func step(_ optimizer: Optimizer, _ i: Int) throws {
            optimizer.setLearningRate([0.1, 0.1, 0.05][i])
            p0.grad = grads0[i]
            p1.grad = grads1[i]
            try optimizer.step()
        }
    }

    private func expectTrajectory(_ stem: String, step i: Int, _ problem: Problem, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let e0 = try NNFixtures.tensor(stem + "_p0").slice(axis: 0, start: i, end: i + 1).squeeze(0)
        let e1 = try NNFixtures.tensor(stem + "_p1").slice(axis: 0, start: i, end: i + 1).squeeze(0)
        NNFixtures.expectClose(problem.p0, e0, atol: 1e-6, rtol: 1e-5, "\(stem) p0 step \(i)", sourceLocation: sourceLocation)
        NNFixtures.expectClose(problem.p1, e1, atol: 1e-6, rtol: 1e-5, "\(stem) p1 step \(i)", sourceLocation: sourceLocation)
    }

    @Test func sgdNesterovMatchesPyTorchAndResumes() throws {
        let problem = try Problem(weightDecay: 1e-2)
        var sgd = try SGD(groups: problem.groups, learningRate: 0.1, momentum: 0.9, nesterov: true)
        for i in 0..<2 {
            try problem.step(sgd, i)
            try expectTrajectory("sgd", step: i, problem)
        }
        let state = sgd.stateDict()
        #expect(state.keys.sorted() == ["p0.momentum_buffer", "p1.momentum_buffer"])
        sgd = try SGD(groups: problem.groups, learningRate: 0.1, momentum: 0.9, nesterov: true)
        try sgd.loadStateDict(state)
        try problem.step(sgd, 2)
        try expectTrajectory("sgd", step: 2, problem)
    }

    @Test func adamWMatchesPyTorchAndResumes() throws {
        let problem = try Problem(weightDecay: 0.05)
        var adam = try AdamW(groups: problem.groups, learningRate: 0.1)
        for i in 0..<2 {
            try problem.step(adam, i)
            try expectTrajectory("adamw", step: i, problem)
        }
        let state = adam.stateDict()
        #expect(state["p0.step"]?.type == .int64)
        adam = try AdamW(groups: problem.groups, learningRate: 0.1)
        try adam.loadStateDict(state)
        try problem.step(adam, 2)
        try expectTrajectory("adamw", step: 2, problem)
        #expect(throws: NNError.self) { try adam.loadStateDict(["nope.exp_avg": ArrayData(shape: [1], floats: [0])]) }
    }

    @Test func zeroGradAndMissingGradients() throws {
        let p = try Tensor(shape: [2], values: [1, 2])
        let sgd = try SGD(groups: [ParameterGroup(parameters: [("p", p)], weightDecay: 0.5)], learningRate: 1)
        try sgd.step()
        #expect(p.toArray() == [1, 2])
        p.grad = Tensor.ones([2])
        sgd.zeroGrad()
        #expect(p.grad == nil)
        #expect(throws: NNError.self) {
            try SGD(groups: [ParameterGroup(parameters: [("p", p), ("p", p)], weightDecay: 0)], learningRate: 1)
        }
    }

    @Test func pySlowFastGroupsExemptBatchNormAndOneDimensionalParameters() throws {
        var generator = TensorRandom(seed: 4)
        let net = Sequential(
            try Conv3dLayer(inputChannels: 2, outputChannels: 2, kernel: Dims3(all: 1), generator: &generator),
            BatchNorm3d(channels: 2),
            Linear(inputFeatures: 2, outputFeatures: 3, generator: &generator))
        let plain = ParameterGroup.pySlowFast(net, weightDecay: 1e-4)
        #expect(plain.map { $0.parameters.map(\.name) } == [["0.weight", "0.bias", "2.weight", "2.bias"], ["1.weight", "1.bias"]])
        #expect(plain.map(\.weightDecay) == [1e-4, 0])
        let zero1D = ParameterGroup.pySlowFast(net, weightDecay: 1e-4, zeroWeightDecay1D: true, noWeightDecay: ["2.weight"])
        #expect(zero1D.map { $0.parameters.map(\.name) } == [["0.weight"], ["1.weight", "1.bias"], ["0.bias", "2.weight", "2.bias"]])
    }
}
