import CadenceTensor
import Foundation

/// Scales the gradients of `parameters` in place so that their joint L2 norm is at most `maxNorm`
/// (PyTorch's `clip_grad_norm_`, used by PySlowFast's `SOLVER.CLIP_GRAD_L2NORM`), and returns the
/// norm before clipping. Parameters without a gradient are skipped.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) throws -> Float {
    guard maxNorm > 0 else { throw NNError("clipGradientNorm", "max norm must be positive, got \(maxNorm)") }
    var squares = 0.0
    for p in parameters {
        p.grad?.withUnsafeBufferPointer { g in for v in g { squares += Double(v) * Double(v) } }
    }
    let norm = Float(squares.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters {
            guard let grad = p.grad else { continue }
            // A scaled copy rather than an in-place scale: the gradient may be shared or a view.
            p.grad = Tensor.withNoGrad { grad.mul(coefficient) }
        }
    }
    return norm
}
