import Testing
@testable import CadenceTensor

@Suite struct NormalizationTests {
    let rows = 37, c = 5, eps: Float = 1e-5

    /// Channel counts below a vector (scalar path), with an overlapping last vector, and whole
    /// vectors; the larger shapes hold more rows than one summation block.
    static let trainingShapes: [(rows: Int, c: Int)] = [(37, 5), (300, 12), (263, 16)]

    func trainingForward(
        _ x: [Float], rows: Int, c: Int, gamma: [Float], beta: [Float], running: inout ([Float], [Float])
    ) -> (y: [Float], mean: [Float], invStd: [Float]) {
        var mean = [Float](repeating: 0, count: c), invStd = mean
        var (rm, rv) = running
        let y = makeOutput(x.count) { out in
            BatchNorm.trainingForward(input: x, rows: rows, channels: c, gamma: gamma, beta: beta, eps: eps,
                                      momentum: 0.1, runningMean: &rm, runningVar: &rv, output: out,
                                      savedMean: &mean, savedInvStd: &invStd)
        }
        running = (rm, rv)
        return (y, mean, invStd)
    }

    @Test(arguments: trainingShapes)
    func batchNormTrainingMatchesReferenceAndUpdatesRunningStats(_ shape: (rows: Int, c: Int)) {
        let (rows, c) = shape
        var rng = SeededRandom(seed: 1)
        let x = rng.array(rows * c).map { $0 * 3 + 2 }, gamma = rng.array(c), beta = rng.array(c)
        var running = ([Float](repeating: 0.5, count: c), [Float](repeating: 2, count: c))
        let (y, _, _) = trainingForward(x, rows: rows, c: c, gamma: gamma, beta: beta, running: &running)
        let ref = Reference.batchNormTraining(x, rows: rows, c: c, gamma: gamma, beta: beta, eps: eps)
        #expect(maxRelativeError(y, ref.y) < 1e-5)
        for ch in 0..<c {
            #expect(abs(running.0[ch] - Float(0.9 * 0.5 + 0.1 * ref.mean[ch])) < 1e-5)
            let unbiased = ref.variance[ch] * Double(rows) / Double(rows - 1)
            #expect(abs(running.1[ch] - Float(0.9 * 2 + 0.1 * unbiased)) < 1e-4)
        }
    }

    @Test(arguments: trainingShapes)
    func batchNormTrainingBackwardMatchesFiniteDifferences(_ shape: (rows: Int, c: Int)) {
        let (rows, c) = shape
        var rng = SeededRandom(seed: 2)
        let x = rng.array(rows * c), gamma = rng.array(c), beta = rng.array(c), r = rng.array(rows * c)
        var running = ([Float](repeating: 0, count: c), [Float](repeating: 1, count: c))
        let (_, mean, invStd) = trainingForward(x, rows: rows, c: c, gamma: gamma, beta: beta, running: &running)
        var dGamma = [Float](repeating: 0, count: c), dBeta = dGamma
        let dx = makeOutput(x.count) {
            BatchNorm.backward(input: x, gradOutput: r, rows: rows, channels: c, gamma: gamma, savedMean: mean,
                               savedInvStd: invStd, gradInput: $0, gradGamma: &dGamma, gradBeta: &dBeta)
        }
        func loss(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> Double {
            dot(Reference.batchNormTraining(x, rows: rows, c: c, gamma: gamma, beta: beta, eps: eps).y, r)
        }
        for i in probeIndices(x.count) {
            #expect(abs(finiteDifference(x, at: i) { loss($0, gamma, beta) } - Double(dx[i])) < 2e-2)
        }
        for ch in 0..<c {
            #expect(abs(finiteDifference(gamma, at: ch) { loss(x, $0, beta) } - Double(dGamma[ch])) < 2e-2)
            #expect(abs(finiteDifference(beta, at: ch) { loss(x, gamma, $0) } - Double(dBeta[ch])) < 2e-2)
        }
    }

    @Test func batchNormInferenceForwardAndBackward() {
        var rng = SeededRandom(seed: 3)
        let x = rng.array(rows * c), gamma = rng.array(c), beta = rng.array(c), r = rng.array(rows * c)
        let mean = rng.array(c), variance = rng.array(c).map { $0 * $0 + 0.5 }
        func forward(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> [Float] {
            makeOutput(x.count) {
                BatchNorm.inferenceForward(input: x, rows: rows, channels: c, gamma: gamma, beta: beta, eps: eps,
                                           runningMean: mean, runningVar: variance, output: $0)
            }
        }
        let y = forward(x, gamma, beta)
        for i in x.indices {
            let ch = i % c
            #expect(abs(y[i] - ((x[i] - mean[ch]) / (variance[ch] + eps).squareRoot() * gamma[ch] + beta[ch])) < 1e-5)
        }
        var dGamma = [Float](repeating: 0, count: c), dBeta = dGamma
        let dx = makeOutput(x.count) {
            BatchNorm.inferenceBackward(input: x, gradOutput: r, rows: rows, channels: c, gamma: gamma, eps: eps,
                                        runningMean: mean, runningVar: variance, gradInput: $0,
                                        gradGamma: &dGamma, gradBeta: &dBeta)
        }
        for i in probeIndices(x.count) {
            #expect(abs(finiteDifference(x, at: i) { dot(forward($0, gamma, beta), r) } - Double(dx[i])) < 1e-2)
        }
        for ch in 0..<c {
            #expect(abs(finiteDifference(gamma, at: ch) { dot(forward(x, $0, beta), r) } - Double(dGamma[ch])) < 1e-2)
            #expect(abs(finiteDifference(beta, at: ch) { dot(forward(x, gamma, $0), r) } - Double(dBeta[ch])) < 1e-2)
        }
    }

    @Test func foldedConvEqualsConvThenInferenceBatchNorm() throws {
        let g = try Conv3dGeometry(batch: 1, input: Dims3(2, 4, 4), inputChannels: 3, outputChannels: 4,
                                   kernel: Dims3(1, 3, 3), padding: Dims3(0, 1, 1))
        var rng = SeededRandom(seed: 4)
        let x = rng.array(g.inputCount), w = rng.array(g.weightCount), bias = rng.array(4)
        let gamma = rng.array(4), beta = rng.array(4), mean = rng.array(4), variance = rng.array(4).map { $0 * $0 + 0.1 }
        let conv = Reference.convForward(g, x, w, bias)
        let expected = makeOutput(conv.count) {
            BatchNorm.inferenceForward(input: conv, rows: g.outputPixels, channels: 4, gamma: gamma, beta: beta,
                                       eps: eps, runningMean: mean, runningVar: variance, output: $0)
        }
        var foldedW = w, foldedB = bias
        BatchNorm.fold(weights: &foldedW, outputChannels: 4, weightsPerChannel: g.weightCount / 4, bias: &foldedB,
                       mean: mean, variance: variance, gamma: gamma, beta: beta, eps: eps)
        let folded = makeOutput(g.outputCount) { Conv3d.forward(g, input: x, weights: foldedW, bias: foldedB, output: $0) }
        #expect(maxRelativeError(folded, expected) < 1e-5)
    }

    @Test func layerNormForwardAndBackward() {
        let rows = 6, dim = 10
        var rng = SeededRandom(seed: 5)
        let x = rng.array(rows * dim).map { $0 * 2 + 1 }, gamma = rng.array(dim), beta = rng.array(dim)
        let r = rng.array(rows * dim)
        var mean = [Float](repeating: 0, count: rows), invStd = mean
        let y = makeOutput(x.count) {
            LayerNorm.forward(input: x, rows: rows, dim: dim, gamma: gamma, beta: beta, eps: eps, output: $0,
                              savedMean: &mean, savedInvStd: &invStd)
        }
        #expect(maxRelativeError(y, Reference.layerNorm(x, rows: rows, dim: dim, gamma: gamma, beta: beta, eps: eps)) < 1e-5)
        var dGamma = [Float](repeating: 0, count: dim), dBeta = dGamma
        let dx = makeOutput(x.count) {
            LayerNorm.backward(input: x, gradOutput: r, rows: rows, dim: dim, gamma: gamma, savedMean: mean,
                               savedInvStd: invStd, gradInput: $0, gradGamma: &dGamma, gradBeta: &dBeta)
        }
        func loss(_ x: [Float], _ gamma: [Float], _ beta: [Float]) -> Double {
            dot(Reference.layerNorm(x, rows: rows, dim: dim, gamma: gamma, beta: beta, eps: eps), r)
        }
        for i in probeIndices(x.count) {
            #expect(abs(finiteDifference(x, at: i) { loss($0, gamma, beta) } - Double(dx[i])) < 2e-2)
        }
        for i in 0..<dim {
            #expect(abs(finiteDifference(gamma, at: i) { loss(x, $0, beta) } - Double(dGamma[i])) < 2e-2)
            #expect(abs(finiteDifference(beta, at: i) { loss(x, gamma, $0) } - Double(dBeta[i])) < 2e-2)
        }
    }
}
