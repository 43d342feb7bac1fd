import CadenceNN
import CadenceTensor

/// X3D's head: `conv_5` (1x1x1) → BN → ReLU → average pool → `lin_5` (1x1x1, no bias) [→ BN] → ReLU →
/// dropout → `projection`. In evaluation a larger input leaves a grid of positions: each is
/// softmaxed, then they are averaged (PySlowFast's multi-crop test path).
final class X3DHead: Module {
    let conv5: Conv3dLayer, conv5BN: BatchNorm3d
    let poolKernel: Dims3
    let lin5: Conv3dLayer
    let lin5BN: BatchNorm3d?
    let dropout: Dropout?
    private(set) var projection: Linear

    init(input: Int, inner: Int, features: Int, classes: Int, poolKernel: Dims3, bnLin5: Bool, dropoutRate: Float,
         generator: inout TensorRandom) throws {
        conv5 = try Conv3dLayer(inputChannels: input, outputChannels: inner, kernel: Dims3(all: 1), bias: false,
                                generator: &generator)
        conv5BN = BatchNorm3d(channels: inner)
        self.poolKernel = poolKernel
        lin5 = try Conv3dLayer(inputChannels: inner, outputChannels: features, kernel: Dims3(all: 1), bias: false,
                               generator: &generator)
        lin5BN = bnLin5 ? BatchNorm3d(channels: features) : nil
        dropout = dropoutRate > 0 ? try Dropout(probability: dropoutRate) : nil
        projection = Linear(inputFeatures: features, outputFeatures: classes, generator: &generator)
        super.init()
        registerModule("conv_5", conv5)
        registerModule("conv_5_bn", conv5BN)
        registerModule("lin_5", lin5)
        if let lin5BN { registerModule("lin_5_bn", lin5BN) }
        if let dropout { registerModule("dropout", dropout) }
        registerModule("projection", projection)
    }

    func replaceProjection(classes: Int, generator: inout TensorRandom) {
        projection = Linear(inputFeatures: projection.inputFeatures, outputFeatures: classes, generator: &generator)
        registerModule("projection", projection)
    }

    func forward(_ x: Tensor, observer: LayerObserver?) throws -> Tensor {
        var y = try conv5BN(conv5(x)).relu()
        y = try avgPool3d(y, kernel: poolKernel, stride: Dims3(all: 1))
        y = try lin5(y)
        if let lin5BN { y = try lin5BN(y) }
        y = y.relu()
        try observer?("head_features", [y])
        if let dropout { y = try dropout(y) }
        return try classify(projection(y), training: isTraining, observer: observer)
    }

    func folded() throws -> (Tensor, LayerObserver?) throws -> Tensor {
        let f5 = try FoldedConv3d(conv5, conv5BN, activation: .relu)
        let lin: (Tensor) throws -> Tensor
        if let lin5BN {
            let f = try FoldedConv3d(lin5, lin5BN, activation: .relu)
            lin = { try f($0) }
        } else {
            let w = lin5.weight.detach().clone()
            lin = { try conv3d($0, weight: w, activation: .relu) }
        }
        let kernel = poolKernel, projection = self.projection
        return { x, observer in
            let y = try lin(avgPool3d(f5(x), kernel: kernel, stride: Dims3(all: 1)))
            try observer?("head_features", [y])
            return try classify(projection(y), training: false, observer: observer)
        }
    }

    func count(_ macs: inout MACCount, _ shape: [Int]) -> [Int] {
        var s = macs.conv(conv5, shape, normalized: true)
        s = MACCount.pool(s, kernel: poolKernel, stride: Dims3(all: 1))
        s = macs.conv(lin5, s, normalized: lin5BN != nil)
        return macs.linear(projection, s)
    }
}

/// The end of every conv head: reports `logits` (`[N, T, H, W, K]`), then in evaluation softmaxes
/// each position and averages them; in training averages the logits (one position at train size).
func classify(_ logits: Tensor, training: Bool, observer: LayerObserver?) throws -> Tensor {
    try observer?("logits", [logits])
    let output = training ? try logits.mean(axes: [1, 2, 3]) : try logits.softmax(axis: 4).mean(axes: [1, 2, 3])
    try observer?("output", [output])
    return output
}
