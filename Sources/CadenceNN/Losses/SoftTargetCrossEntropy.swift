import CadenceTensor

/// Cross-entropy against a target distribution per sample (PySlowFast's `SoftTargetCrossEntropy`,
/// used with mixup): `mean_n Σ_c -targets[n, c] * log_softmax(logits)[n, c]`. Gradients flow to
/// `logits` (and to `targets` if it requires them).
public func softTargetCrossEntropy(_ logits: Tensor, targets: Tensor) throws -> Tensor {
    guard logits.rank == 2, targets.shape == logits.shape, logits.shape[0] > 0 else {
        throw NNError("softTargetCrossEntropy", "logits of shape \(logits.shape) and targets of shape \(targets.shape)")
    }
    let logProbabilities = try logits.logSoftmax(axis: 1)
    return try (targets * logProbabilities).sum(axis: 1).mean().neg()
}
