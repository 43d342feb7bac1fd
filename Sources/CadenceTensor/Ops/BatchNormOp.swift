/// Differentiable batch normalisation over the last (channel) dimension of `x`, with PyTorch's
/// semantics (`F.batch_norm`).
///
/// Training (or when no running statistics are given) normalises with the batch mean and biased
/// variance over every other dimension and, when `runningMean`/`runningVar` are given, updates them
/// in place: `running = (1 - momentum) * running + momentum * batch`, using the unbiased variance.
/// Evaluation normalises with the running statistics. `weight` and `bias` (the affine transform) may
/// be nil. Gradients flow to `x`, `weight` and `bias`; the running statistics are not differentiated.
public func batchNorm(
    _ x: Tensor, runningMean: Tensor?, runningVar: Tensor?, weight: Tensor?, bias: Tensor?,
    training: Bool, momentum: Float = 0.1, eps: Float = 1e-5
) throws -> Tensor {
    let name = "batch_norm"
    guard x.rank >= 1, let channels = x.shape.last, channels > 0 else {
        throw TensorError(name, "needs a channels-last tensor with at least one channel, got shape \(x.shape)")
    }
    for (role, t) in [("running mean", runningMean), ("running var", runningVar), ("weight", weight), ("bias", bias)] {
        guard let t else { continue }
        guard t.shape == [channels] else {
            throw TensorError(name, "\(role) of shape \(t.shape) for \(channels) channels")
        }
    }
    guard (runningMean == nil) == (runningVar == nil) else {
        throw TensorError(name, "running mean and running var must be given together")
    }
    for (role, t) in [("running mean", runningMean), ("running var", runningVar)] where t?.isContiguous == false {
        throw TensorError(name, "\(role) must be contiguous, to be updated in place")
    }
    let rows = x.count / channels
    let useBatchStatistics = training || runningMean == nil
    if useBatchStatistics && rows < 2 {
        throw TensorError(name, "needs more than one value per channel for batch statistics, got shape \(x.shape)")
    }
    let input = x.contiguous(), gamma = weight?.contiguous(), beta = bias?.contiguous()
    let output = Tensor.uninitialized(x.shape)
    let inputs = [input] + [gamma, beta].compactMap { $0 }
    let gammaPointer = { gamma.map { UnsafePointer($0.elements) } }

    if useBatchStatistics {
        let saved = Tensor.uninitialized([2, channels])
        let scratch = runningMean == nil ? Tensor.zeros([2, channels]) : nil
        let meanTarget = runningMean?.elements ?? (scratch?.elements ?? saved.elements)
        let varTarget = runningVar?.elements ?? ((scratch?.elements ?? saved.elements) + channels)
        withExtendedLifetime((input, gamma, beta, runningMean, runningVar, scratch)) {
            BatchNorm.trainingForward(
                input: input.elements, rows: rows, channels: channels, gamma: gammaPointer(),
                beta: beta.map { UnsafePointer($0.elements) }, eps: eps, momentum: momentum,
                runningMean: meanTarget, runningVar: varTarget, output: output.elements,
                savedMean: saved.elements, savedInvStd: saved.elements + channels)
        }
        return output.recording(name, inputs: inputs) { gradOutput in
            let dy = gradOutput.contiguous()
            let dx = Tensor.uninitialized(input.shape)
            let dGamma = gamma.map { _ in Tensor.uninitialized([channels]) }
            let dBeta = beta.map { _ in Tensor.uninitialized([channels]) }
            withExtendedLifetime((dy, input, gamma, saved)) {
                BatchNorm.backward(
                    input: input.elements, gradOutput: dy.elements, rows: rows, channels: channels,
                    gamma: gammaPointer(), savedMean: saved.elements, savedInvStd: saved.elements + channels,
                    gradInput: dx.elements, gradGamma: dGamma?.elements, gradBeta: dBeta?.elements)
            }
            return affineGradients(dx, dGamma, dBeta)
        }
    }

    // Evaluation: the statistics are constants of this call, copied so later updates cannot change them.
    guard let mean = runningMean?.clone().detach(), let variance = runningVar?.clone().detach() else { return output }
    withExtendedLifetime((input, gamma, beta, mean, variance)) {
        BatchNorm.inferenceForward(
            input: input.elements, rows: rows, channels: channels, gamma: gammaPointer(),
            beta: beta.map { UnsafePointer($0.elements) }, eps: eps, runningMean: mean.elements,
            runningVar: variance.elements, output: output.elements)
    }
    return output.recording(name, inputs: inputs) { gradOutput in
        let dy = gradOutput.contiguous()
        let dx = Tensor.uninitialized(input.shape)
        let dGamma = gamma.map { _ in Tensor.uninitialized([channels]) }
        let dBeta = beta.map { _ in Tensor.uninitialized([channels]) }
        withExtendedLifetime((dy, input, gamma, mean, variance)) {
            BatchNorm.inferenceBackward(
                input: input.elements, gradOutput: dy.elements, rows: rows, channels: channels,
                gamma: gammaPointer(), eps: eps, runningMean: mean.elements, runningVar: variance.elements,
                gradInput: dx.elements, gradGamma: dGamma?.elements, gradBeta: dBeta?.elements)
        }
        return affineGradients(dx, dGamma, dBeta)
    }
}
