import CadenceNN
import CadenceTensor

/// X3D's bottleneck (`X3DTransform`, the `branch2` of a residual block): 1x1x1 conv → BN → ReLU →
/// depthwise 3x3x3 conv (spatial stride on block 0) → BN → [squeeze-excitation] → Swish →
/// 1x1x1 conv → BN. Children register in PySlowFast's order so keys match.
final class X3DTransform: Module {
    let a: Conv3dLayer, aBN: BatchNorm3d
    let b: Conv3dLayer, bBN: BatchNorm3d
    let se: SqueezeExcitation?
    let c: Conv3dLayer, cBN: BatchNorm3d
    let stride: Int

    init(input: Int, inner: Int, output: Int, stride: Int, squeeze: Int?, depthwise: Bool,
         generator: inout TensorRandom) throws {
        self.stride = stride
        a = try Conv3dLayer(inputChannels: input, outputChannels: inner, kernel: Dims3(all: 1), bias: false,
                            generator: &generator)
        aBN = BatchNorm3d(channels: inner)
        b = try Conv3dLayer(inputChannels: inner, outputChannels: inner, kernel: Dims3(all: 3),
                            stride: Dims3(1, stride, stride), padding: Dims3(all: 1),
                            groups: depthwise ? inner : 1, bias: false, generator: &generator)
        bBN = BatchNorm3d(channels: inner)
        se = try squeeze.map { try SqueezeExcitation(channels: inner, reducedChannels: $0, generator: &generator) }
        c = try Conv3dLayer(inputChannels: inner, outputChannels: output, kernel: Dims3(all: 1), bias: false,
                            generator: &generator)
        cBN = BatchNorm3d(channels: output)
        super.init()
        registerModule("a", a)
        registerModule("a_bn", aBN)
        registerModule("b", b)
        registerModule("b_bn", bBN)
        if let se { registerModule("se", se) }
        registerModule("c", c)
        registerModule("c_bn", cBN)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var y = try bBN(b(aBN(a(x)).relu()))
        if let se { y = try se(y) }
        return try cBN(c(y.silu()))
    }

    /// The folded transform as part of its residual block: `(x, shortcut) -> ReLU(shortcut + branch2(x))`,
    /// the add and ReLU running in the last conv's epilogue.
    func folded() throws -> (Tensor, Tensor) throws -> Tensor {
        let fa = try FoldedConv3d(a, aBN, activation: .relu)
        // Without SE the Swish follows the BN directly and fuses into the depthwise kernel.
        let fb = try FoldedConv3d(b, bBN, activation: se == nil ? .silu : .identity)
        let fc = try FoldedConv3d(c, cBN, activation: .relu)
        let se = self.se
        return { x, shortcut in
            var y = try fb(fa(x))
            if let se { y = try se.swish(y) }
            return try fc(y, adding: shortcut)
        }
    }
}

/// A residual block (`pathway0_res{i}`): `ReLU(shortcut(x) + branch2(x))`, the shortcut a strided
/// 1x1x1 conv + BN (`branch1`, `branch1_bn`) when the shape changes, else the identity.
final class X3DBlock: Module {
    let branch1: Conv3dLayer?
    let branch1BN: BatchNorm3d?
    let branch2: X3DTransform

    init(input: Int, inner: Int, output: Int, stride: Int, squeeze: Int?, depthwise: Bool, shortcutNorm: Bool,
         generator: inout TensorRandom) throws {
        if input != output || stride != 1 {
            branch1 = try Conv3dLayer(inputChannels: input, outputChannels: output, kernel: Dims3(all: 1),
                                      stride: Dims3(1, stride, stride), bias: false, generator: &generator)
            branch1BN = shortcutNorm ? BatchNorm3d(channels: output) : nil
        } else {
            branch1 = nil
            branch1BN = nil
        }
        branch2 = try X3DTransform(input: input, inner: inner, output: output, stride: stride, squeeze: squeeze,
                                   depthwise: depthwise, generator: &generator)
        super.init()
        if let branch1 { registerModule("branch1", branch1) }
        if let branch1BN { registerModule("branch1_bn", branch1BN) }
        registerModule("branch2", branch2)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var shortcut = x
        if let branch1 {
            shortcut = try branch1(x)
            if let branch1BN { shortcut = try branch1BN(shortcut) }
        }
        return try residualReLU(shortcut, branch2(x))
    }

    func folded() throws -> (Tensor) throws -> Tensor {
        let residual = try branch2.folded()
        var shortcut: (Tensor) throws -> Tensor = { $0 }
        if let branch1 {
            if let branch1BN {
                let f = try FoldedConv3d(branch1, branch1BN)
                shortcut = { try f($0) }
            } else {
                let w = branch1.weight.detach().clone(), s = branch1.stride
                shortcut = { try conv3d($0, weight: w, stride: s) }
            }
        }
        return { x in try residual(x, shortcut(x)) }
    }
}
