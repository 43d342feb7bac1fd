import CadenceTensor

/// Sub-batch normalisation for multigrid training (PySlowFast's `SubBatchNorm3d`): in training the
/// batch is split into `splits` groups of consecutive samples, each normalised with its own
/// statistics (and its own running averages), followed by one shared affine transform. Evaluation
/// uses the aggregated running statistics that `aggregateStatistics()` computes from the splits.
///
/// State dicts hold plain BatchNorm3d keys (`weight`, `bias`, `running_mean`, `running_var`,
/// `num_batches_tracked`), like PySlowFast's checkpoints after `sub_to_normal_bn`; loading tiles the
/// running statistics into every split, like `normal_to_sub_bn`.
public final class SubBatchNorm3d: BatchNorm3d {
    /// Running statistics of each split, `[splits * channels]`, split-major.
    public let splitRunningMean: Tensor
    public let splitRunningVar: Tensor
    public let splits: Int

    public init(channels: Int, splits: Int, eps: Float = 1e-5, momentum: Float = 0.1) throws {
        guard channels > 0, splits > 0 else {
            throw NNError("SubBatchNorm3d", "needs positive channels and splits, got \(channels) and \(splits)")
        }
        splitRunningMean = Tensor.zeros([splits * channels])
        splitRunningVar = Tensor.ones([splits * channels])
        self.splits = splits
        super.init(channels: channels, eps: eps, momentum: momentum)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining else { return try super.forward(x) }
        guard x.rank >= 2, x.shape.last == channels, x.shape[0] % splits == 0 else {
            throw NNError("SubBatchNorm3d", "input of shape \(x.shape) does not split into \(splits) sub-batches of \(channels) channels")
        }
        try numBatchesTracked.addInPlace(Tensor(1))
        // Sample i * splits + j of the batch becomes channel block j of sample i, as PySlowFast's
        // reshape (N, C, ...) -> (N / k, C * k, ...) does.
        let n = x.shape[0], inner = Array(x.shape[1..<(x.rank - 1)])
        let grouped = try x.reshape([n / splits, splits] + inner + [channels])
        var order = [0] + Array(2..<(grouped.rank - 1)) + [1, grouped.rank - 1]
        let folded = try grouped.permute(order).reshape([n / splits] + inner + [splits * channels])
        let normalized = try batchNorm(folded, runningMean: splitRunningMean, runningVar: splitRunningVar,
                                       weight: nil, bias: nil, training: true, momentum: momentum, eps: eps)
        let unfolded = try normalized.reshape([n / splits] + inner + [splits, channels])
        order = [0, unfolded.rank - 2] + Array(1..<(unfolded.rank - 2)) + [unfolded.rank - 1]
        let restored = try unfolded.permute(order).reshape(x.shape)
        return try restored * weight + bias
    }

    /// Sets the evaluation statistics from the splits: the mean of the split means, and the mean of
    /// the split variances plus the (biased) variance of the split means (PySlowFast's
    /// `aggregate_sub_bn_stats`). Call it before evaluating or saving a checkpoint.
    public func aggregateStatistics() throws {
        let c = channels, k = Float(splits)
        let means = splitRunningMean.toArray(), variances = splitRunningVar.toArray()
        var mean = [Float](repeating: 0, count: c), variance = mean
        for ch in 0..<c {
            for j in 0..<splits { mean[ch] += means[j * c + ch] / k }
            for j in 0..<splits {
                let d = means[j * c + ch] - mean[ch]
                variance[ch] += variances[j * c + ch] / k + d * d / k
            }
        }
        try runningMean.assign(Tensor(shape: [c], values: mean))
        try runningVar.assign(Tensor(shape: [c], values: variance))
    }

    public override func didLoadState() throws {
        // Every split starts from the loaded statistics.
        let mean = runningMean.toArray(), variance = runningVar.toArray()
        let tiledMean = Array((0..<splits).map { _ in mean }.joined())
        let tiledVar = Array((0..<splits).map { _ in variance }.joined())
        try splitRunningMean.assign(Tensor(shape: splitRunningMean.shape, values: tiledMean))
        try splitRunningVar.assign(Tensor(shape: splitRunningVar.shape, values: tiledVar))
    }
}
