import Testing
@testable import CadenceTensor

/// Batch norm, layer norm and dropout ops: values against plain references, running-statistic
/// updates with PyTorch's rule, and finite-difference gradients.
@Suite struct NormDropoutOpTests {
    @Test func batchNormTrainingNormalisesAndUpdatesRunningStatistics() throws {
        let rows = 12, c = 3
        let x = Oracle.tensor([2, 2, 3, 1, c], seed: 11)
        let gamma = Oracle.tensor([c], seed: 12), beta = Oracle.tensor([c], seed: 13)
        let runningMean = try Tensor(shape: [c], values: [0.5, -1, 2])
        let runningVar = try Tensor(shape: [c], values: [1, 2, 0.5])
        let y = try batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: gamma, bias: beta,
                              training: true, momentum: 0.1, eps: 1e-5)
        let reference = Reference.batchNormTraining(x.toArray(), rows: rows, c: c, gamma: gamma.toArray(),
                                                    beta: beta.toArray(), eps: 1e-5)
        Oracle.expectClose(y, reference.y, shape: x.shape, atol: 1e-4, rtol: 1e-4)
        let expectedMean = (0..<c).map { Float(0.9 * [0.5, -1, 2][$0] + 0.1 * reference.mean[$0]) }
        let expectedVar = (0..<c).map {
            Float(0.9 * [1, 2, 0.5][$0] + 0.1 * reference.variance[$0] * Double(rows) / Double(rows - 1))
        }
        Oracle.expectClose(runningMean, expectedMean, shape: [c])
        Oracle.expectClose(runningVar, expectedVar, shape: [c])
    }

    @Test func batchNormEvalUsesRunningStatistics() throws {
        let x = Oracle.tensor([2, 1, 2, 2, 2], seed: 14)
        let mean = try Tensor(shape: [2], values: [0.25, -0.5]), variance = try Tensor(shape: [2], values: [2, 0.5])
        let gamma = try Tensor(shape: [2], values: [1.5, -1]), beta = try Tensor(shape: [2], values: [0.1, 0.2])
        let y = try batchNorm(x, runningMean: mean, runningVar: variance, weight: gamma, bias: beta, training: false)
        let expected = x.toArray().enumerated().map { i, v -> Float in
            let ch = i % 2
            return (v - mean.toArray()[ch]) / (variance.toArray()[ch] + 1e-5).squareRoot() * gamma.toArray()[ch] + beta.toArray()[ch]
        }
        Oracle.expectClose(y, expected, shape: x.shape)
        #expect(mean.toArray() == [0.25, -0.5])
    }

    @Test(arguments: [true, false])
    func batchNormGradients(training: Bool) throws {
        let x = Oracle.tensor([3, 1, 2, 2, 2], seed: 15)
        let gamma = Oracle.tensor([2], seed: 16), beta = Oracle.tensor([2], seed: 17)
        let mean = try Tensor(shape: [2], values: [0.1, -0.2]), variance = try Tensor(shape: [2], values: [1.5, 0.7])
        try Oracle.checkGradients([x, gamma, beta], epsilon: 1e-2, atol: 5e-3, rtol: 5e-3) { t in
            // Fresh copies so finite differences see the same running statistics every call.
            try batchNorm(t[0], runningMean: mean.clone(), runningVar: variance.clone(), weight: t[1], bias: t[2],
                          training: training)
        }
    }

    @Test func normalisationWithoutAffineOrRunningStatistics() throws {
        let x = Oracle.tensor([4, 3], seed: 22)
        try Oracle.checkGradients([x], atol: 5e-3, rtol: 5e-3) { t in
            try batchNorm(t[0], runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: false)
        }
        try Oracle.checkGradients([x], atol: 5e-3, rtol: 5e-3) { t in
            try layerNorm(t[0], weight: nil, bias: Oracle.tensor([3], seed: 23))
        }
    }

    @Test func batchNormRejectsMismatchedStatistics() throws {
        let x = Oracle.tensor([2, 3], seed: 18)
        #expect(throws: TensorError.self) {
            try batchNorm(x, runningMean: Tensor.zeros([2]), runningVar: Tensor.ones([2]), weight: nil, bias: nil, training: true)
        }
        #expect(throws: TensorError.self) {
            try batchNorm(Oracle.tensor([1, 3], seed: 1), runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
        }
    }

    @Test func layerNormMatchesReferenceAndGradients() throws {
        let x = Oracle.tensor([2, 3, 4], seed: 19)
        let gamma = Oracle.tensor([4], seed: 20), beta = Oracle.tensor([4], seed: 21)
        let y = try layerNorm(x, weight: gamma, bias: beta, eps: 1e-6)
        let expected = Reference.layerNorm(x.toArray(), rows: 6, dim: 4, gamma: gamma.toArray(), beta: beta.toArray(), eps: 1e-6)
        Oracle.expectClose(y, expected, shape: x.shape, atol: 1e-4, rtol: 1e-4)
        try Oracle.checkGradients([x, gamma, beta], atol: 5e-3, rtol: 5e-3) { t in
            try layerNorm(t[0], weight: t[1], bias: t[2], eps: 1e-6)
        }
    }

    @Test func dropoutIsSeededInvertedAndIdentityInEval() throws {
        let x = Tensor.ones([1000], requiresGrad: true)
        var a = TensorRandom(seed: 5), b = TensorRandom(seed: 5)
        let y1 = try dropout(x, p: 0.3, training: true, using: &a)
        let y2 = try dropout(x, p: 0.3, training: true, using: &b)
        #expect(y1.toArray() == y2.toArray())
        let values = y1.toArray()
        #expect(values.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.7) < 1e-6 })
        let dropped = values.filter { $0 == 0 }.count
        #expect(dropped > 230 && dropped < 370)
        try y1.sum().backward()
        #expect(x.grad?.toArray() == values)
        #expect(try dropout(x, p: 0.3, training: false, using: &a) === x)
        #expect(throws: TensorError.self) { try dropout(x, p: 1.5, training: true, using: &a) }
    }
}
