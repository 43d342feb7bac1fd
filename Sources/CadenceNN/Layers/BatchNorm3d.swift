import CadenceTensor

/// Batch normalisation over the channel (last) dimension of channels-last activations
/// (PyTorch's `nn.BatchNorm3d`): batch statistics and running-average updates in training,
/// running statistics in evaluation. State dict keys: `weight`, `bias`, `running_mean`,
/// `running_var`, `num_batches_tracked`.
public class BatchNorm3d: Module, NormalizationModule {
    public let weight: Tensor
    public let bias: Tensor
    public let runningMean: Tensor
    public let runningVar: Tensor
    /// Training batches seen (a float scalar here, int64 in state dicts).
    public let numBatchesTracked: Tensor
    public let eps: Float
    /// Weight of the newest batch in the running averages; precise-BN recomputation sets it to 1.
    public var momentum: Float

    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        weight = Tensor.ones([channels])
        bias = Tensor.zeros([channels])
        runningMean = Tensor.zeros([channels])
        runningVar = Tensor.ones([channels])
        numBatchesTracked = Tensor.zeros([])
        self.eps = eps
        self.momentum = momentum
        super.init()
        registerParameter("weight", weight)
        registerParameter("bias", bias)
        registerBuffer("running_mean", runningMean)
        registerBuffer("running_var", runningVar)
        registerBuffer("num_batches_tracked", numBatchesTracked, layout: .int64Scalar)
    }

    public var channels: Int { weight.count }

    public override func forward(_ x: Tensor) throws -> Tensor {
        if isTraining { try numBatchesTracked.addInPlace(Tensor(1)) }
        return try batchNorm(x, runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                             training: isTraining, momentum: momentum, eps: eps)
    }
}
