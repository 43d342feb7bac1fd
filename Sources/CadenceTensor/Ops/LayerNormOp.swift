/// Differentiable layer normalisation over the last dimension of `x` (PyTorch's `LayerNorm(dim)`):
/// each row is normalised with its own mean and biased variance, then scaled by `weight` and shifted
/// by `bias` (either may be nil). Gradients flow to all three.
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) throws -> Tensor {
    let name = "layer_norm"
    guard x.rank >= 1, let dim = x.shape.last, dim > 0 else {
        throw TensorError(name, "needs a tensor with a non-empty last dimension, got shape \(x.shape)")
    }
    for (role, t) in [("weight", weight), ("bias", bias)] {
        if let t, t.shape != [dim] { throw TensorError(name, "\(role) of shape \(t.shape) for dimension \(dim)") }
    }
    let rows = x.count / dim
    let input = x.contiguous(), gamma = weight?.contiguous(), beta = bias?.contiguous()
    let output = Tensor.uninitialized(x.shape)
    let saved = Tensor.uninitialized([2, Swift.max(rows, 1)])
    let gammaPointer = { gamma.map { UnsafePointer($0.elements) } }
    withExtendedLifetime((input, gamma, beta)) {
        LayerNorm.forward(input: input.elements, rows: rows, dim: dim, gamma: gammaPointer(),
                          beta: beta.map { UnsafePointer($0.elements) }, eps: eps, output: output.elements,
                          savedMean: saved.elements, savedInvStd: saved.elements + saved.shape[1])
    }
    return output.recording(name, inputs: [input] + [gamma, beta].compactMap { $0 }) { gradOutput in
        let dy = gradOutput.contiguous()
        let dx = Tensor.uninitialized(input.shape)
        let dGamma = gamma.map { _ in Tensor.uninitialized([dim]) }
        let dBeta = beta.map { _ in Tensor.uninitialized([dim]) }
        withExtendedLifetime((dy, input, gamma, saved)) {
            LayerNorm.backward(input: input.elements, gradOutput: dy.elements, rows: rows, dim: dim,
                               gamma: gammaPointer(), savedMean: saved.elements,
                               savedInvStd: saved.elements + saved.shape[1], gradInput: dx.elements,
                               gradGamma: dGamma?.elements, gradBeta: dBeta?.elements)
        }
        return affineGradients(dx, dGamma, dBeta)
    }
}
