import CadenceTensor

/// Stochastic depth per sample (PySlowFast's `DropPath`): in training, each sample of the batch
/// (first dimension) is zeroed with probability `probability` and the others are scaled by
/// `1 / (1 - probability)`; in evaluation the input passes unchanged.
public final class DropPath: Module {
    public let probability: Float
    public var generator: TensorRandom

    public init(probability: Float, seed: UInt64 = 0) throws {
        guard probability >= 0, probability < 1 else {
            throw NNError("DropPath", "probability must be in [0, 1), got \(probability)")
        }
        self.probability = probability
        generator = TensorRandom(seed: seed)
        super.init()
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, probability > 0, x.rank >= 1 else { return x }
        let keep = 1 - probability
        var scales: [Float] = []
        for _ in 0..<x.shape[0] { scales.append(generator.nextUniform() < keep ? 1 / keep : 0) }
        let mask = try Tensor(shape: [x.shape[0]] + Array(repeating: 1, count: x.rank - 1), values: scales)
        return try x * mask
    }
}
