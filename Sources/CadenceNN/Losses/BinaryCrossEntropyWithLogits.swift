import CadenceTensor
import Foundation

/// Binary cross-entropy on logits, averaged over every element (PyTorch's
/// `F.binary_cross_entropy_with_logits`), in the stable form
/// `max(x, 0) - x * y + log(1 + exp(-|x|))` that never overflows. Gradients: `(sigmoid(x) - y) / n`
/// to the logits and `-x / n` to the targets.
public func binaryCrossEntropyWithLogits(_ logits: Tensor, targets: Tensor) throws -> Tensor {
    guard logits.shape == targets.shape, logits.count > 0 else {
        throw NNError("binaryCrossEntropyWithLogits", "logits of shape \(logits.shape) and targets of shape \(targets.shape)")
    }
    let x = logits.toArray(), y = targets.toArray()
    let n = Double(x.count)
    var total = 0.0
    for i in x.indices {
        let v = Double(x[i])
        total += Swift.max(v, 0) - v * Double(y[i]) + Foundation.log1p(Foundation.exp(-Swift.abs(v)))
    }
    let loss = Tensor(Float(total / n))
    return loss.recording("binary_cross_entropy_with_logits", inputs: [logits, targets]) { gradOutput in
        let scale = try gradOutput.item() / Float(n)
        let dx = try Tensor(shape: logits.shape, values: x.indices.map { i in
            (1 / (1 + Foundation.exp(-x[i])) - y[i]) * scale
        })
        let dy = try Tensor(shape: targets.shape, values: x.map { -$0 * scale })
        return [dx, dy]
    }
}
