import CadenceTensor

/// Cross-entropy of `logits` `[N, classes]` against integer class `targets`, averaged over the
/// batch, with PyTorch's `F.cross_entropy(label_smoothing:)` semantics: the target distribution is
/// `1 - ε` on the labelled class plus `ε / classes` on every class.
public func crossEntropy(_ logits: Tensor, targets: [Int], labelSmoothing: Float = 0) throws -> Tensor {
    guard logits.rank == 2, logits.shape[0] == targets.count, logits.shape[0] > 0 else {
        throw NNError("crossEntropy", "logits of shape \(logits.shape) for \(targets.count) targets")
    }
    guard labelSmoothing >= 0, labelSmoothing <= 1 else {
        throw NNError("crossEntropy", "label smoothing must be in [0, 1], got \(labelSmoothing)")
    }
    let classes = logits.shape[1]
    if let bad = targets.first(where: { $0 < 0 || $0 >= classes }) {
        throw NNError("crossEntropy", "target \(bad) is outside 0..<\(classes)")
    }
    var distribution = [Float](repeating: labelSmoothing / Float(classes), count: targets.count * classes)
    for (n, target) in targets.enumerated() { distribution[n * classes + target] += 1 - labelSmoothing }
    let soft = try Tensor(shape: logits.shape, values: distribution)
    return try softTargetCrossEntropy(logits, targets: soft)
}
