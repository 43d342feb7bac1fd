import CadenceNN
import CadenceTensor

/// The initialisation PySlowFast gives its conv nets before training from scratch
/// (`init_helper.init_weights` with X3D's `ZERO_INIT_FINAL_BN: True`):
/// - every conv: normal with std `sqrt(2 / fan_out)`, `fan_out = out_channels * kT * kH * kW`
///   (Caffe2's MSRA fill, groups not counted), bias 0;
/// - every batch norm: weight 1, bias 0, except the last norm of each residual transform
///   (`branch2.c_bn`), whose weight is 0 so every block starts as its shortcut;
/// - every linear layer (the classifier): normal with std 0.01, bias 0.
///
/// PyTorch's layer defaults, which the models keep when built for loading a checkpoint, train the
/// deep X3D stack from scratch much more slowly: identity blocks and a small classifier let the
/// first iterations move the loss.
public enum TrainingInitialization {
    /// PySlowFast's `MODEL.FC_INIT_STD`.
    public static let classifierStd: Float = 0.01

    /// Re-initialises `network` in place (deterministic for `seed`). Meant for the classification
    /// conv nets, X3D and ResNet/SlowFast.
    public static func apply(to network: Module, seed: UInt64) throws {
        var generator = TensorRandom(seed: seed)
        for (name, module) in network.namedModules() {
            switch module {
            case let conv as Conv3dLayer:
                let shape = conv.weight.shape
                let fanOut = shape[0] * shape[1] * shape[2] * shape[3]
                try conv.weight.assign(Tensor.randomNormal(shape, std: (2 / Float(fanOut)).squareRoot(), using: &generator))
                try conv.bias?.fill(0)
            case let norm as BatchNorm3d:
                try norm.weight.fill(isLastNormOfTransform(name) ? 0 : 1)
                try norm.bias.fill(0)
            case let linear as Linear:
                try linear.weight.assign(Tensor.randomNormal(linear.weight.shape, std: classifierStd, using: &generator))
                try linear.bias?.fill(0)
            default:
                break
            }
        }
    }

    /// PySlowFast marks `c_bn`, the norm after a bottleneck's last conv, with `transform_final_bn`.
    static func isLastNormOfTransform(_ name: String) -> Bool {
        name == "c_bn" || name.hasSuffix(".c_bn")
    }
}
