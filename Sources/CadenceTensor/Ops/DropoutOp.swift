/// Inverted dropout: in training each element is zeroed with probability `p` and the survivors are
/// scaled by `1 / (1 - p)`, so evaluation (which returns `x` unchanged) needs no rescaling. The mask
/// is drawn from `generator` (one 64-bit draw per call), so a seeded generator repeats it exactly.
public func dropout(_ x: Tensor, p: Float, training: Bool, using generator: inout TensorRandom) throws -> Tensor {
    guard p >= 0, p <= 1 else { throw TensorError("dropout", "probability must be in [0, 1], got \(p)") }
    guard training, p > 0 else { return x }
    if p == 1 { return try x * Tensor.zeros(x.shape) }
    let mask = Tensor.uninitialized(x.shape)
    DropoutMask.fill(mask.elements, count: mask.count, probability: p, seed: generator.next())
    return try x * mask
}
