import CadenceNN
import CadenceTensor

/// X3D's stem (`s1.pathway0_stem`): a 1x3x3 spatial conv with stride 2, a depthwise 5x1x1 temporal
/// conv, batch norm and ReLU; no max-pool.
final class X3DStem: Module {
    let convXY: Conv3dLayer
    let conv: Conv3dLayer
    let bn: BatchNorm3d

    init(width: Int, generator: inout TensorRandom) throws {
        convXY = try Conv3dLayer(inputChannels: 3, outputChannels: width, kernel: Dims3(1, 3, 3),
                                 stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1), bias: false, generator: &generator)
        conv = try Conv3dLayer(inputChannels: width, outputChannels: width, kernel: Dims3(5, 1, 1),
                               padding: Dims3(2, 0, 0), groups: width, bias: false, generator: &generator)
        bn = BatchNorm3d(channels: width)
        super.init()
        registerModule("conv_xy", convXY)
        registerModule("conv", conv)
        registerModule("bn", bn)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try bn(conv(convXY(x))).relu() }

    func folded() throws -> (Tensor) throws -> Tensor {
        let spatial = convXY.weight.detach().clone()
        let temporal = try FoldedConv3d(conv, bn, activation: .relu)
        return { x in try temporal(conv3d(x, weight: spatial, stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1))) }
    }
}
