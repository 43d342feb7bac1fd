import CadenceTensor

/// Inverted dropout (PyTorch's `nn.Dropout`), active only in training. The module owns a seeded
/// generator whose `state` can be saved and restored, so a resumed run draws the same masks.
public final class Dropout: Module {
    public let probability: Float
    public var generator: TensorRandom

    public init(probability: Float, seed: UInt64 = 0) throws {
        guard probability >= 0, probability <= 1 else {
            throw NNError("Dropout", "probability must be in [0, 1], got \(probability)")
        }
        self.probability = probability
        generator = TensorRandom(seed: seed)
        super.init()
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try dropout(x, p: probability, training: isTraining, using: &generator)
    }
}
