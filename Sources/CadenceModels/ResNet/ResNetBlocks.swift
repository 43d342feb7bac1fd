import CadenceNN
import CadenceTensor

/// A ResNet stem (`s1.pathway{p}_stem`): `k(kt,7,7)` stride-2 conv → BN → ReLU → 1x3x3 max-pool.
final class ResNetStem: Module {
    let conv: Conv3dLayer
    let bn: BatchNorm3d

    init(output: Int, temporalKernel: Int, generator: inout TensorRandom) throws {
        conv = try Conv3dLayer(inputChannels: 3, outputChannels: output, kernel: Dims3(temporalKernel, 7, 7),
                               stride: Dims3(1, 2, 2), padding: Dims3(temporalKernel / 2, 3, 3), bias: false,
                               generator: &generator)
        bn = BatchNorm3d(channels: output)
        super.init()
        registerModule("conv", conv)
        registerModule("bn", bn)
    }

    static func pool(_ x: Tensor) throws -> Tensor {
        try maxPool3d(x, kernel: Dims3(1, 3, 3), stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1))
    }

    override func forward(_ x: Tensor) throws -> Tensor { try Self.pool(bn(conv(x)).relu()) }

    func folded() throws -> (Tensor) throws -> Tensor {
        let f = try FoldedConv3d(conv, bn, activation: .relu)
        return { try Self.pool(f($0)) }
    }

    func count(_ macs: inout MACCount, _ shape: [Int]) -> [Int] {
        MACCount.pool(macs.conv(conv, shape, normalized: true), kernel: Dims3(1, 3, 3), stride: Dims3(1, 2, 2), padding: Dims3(0, 1, 1))
    }
}

/// The bottleneck residual block (`ResBlock` + `BottleneckTransform`, `STRIDE_1X1` off):
/// `ReLU(shortcut(x) + c_bn(c(ReLU(b_bn(b(ReLU(a_bn(a(x)))))))))`, conv `a` `kt x 1 x 1`, conv `b`
/// `1 x 3 x 3` carrying the spatial stride; `branch1` + `branch1_bn` project the shortcut when the
/// shape changes.
final class Bottleneck: Module {
    let branch1: Conv3dLayer?, branch1BN: BatchNorm3d?
    let a: Conv3dLayer, aBN: BatchNorm3d
    let b: Conv3dLayer, bBN: BatchNorm3d
    let c: Conv3dLayer, cBN: BatchNorm3d
    let branch2 = Module()

    init(input: Int, inner: Int, output: Int, temporalKernel: Int, stride: Int, groups: Int,
         generator: inout TensorRandom) throws {
        if input != output || stride != 1 {
            branch1 = try Conv3dLayer(inputChannels: input, outputChannels: output, kernel: Dims3(all: 1),
                                      stride: Dims3(1, stride, stride), bias: false, generator: &generator)
            branch1BN = BatchNorm3d(channels: output)
        } else {
            branch1 = nil
            branch1BN = nil
        }
        a = try Conv3dLayer(inputChannels: input, outputChannels: inner, kernel: Dims3(temporalKernel, 1, 1),
                            padding: Dims3(temporalKernel / 2, 0, 0), bias: false, generator: &generator)
        aBN = BatchNorm3d(channels: inner)
        b = try Conv3dLayer(inputChannels: inner, outputChannels: inner, kernel: Dims3(1, 3, 3),
                            stride: Dims3(1, stride, stride), padding: Dims3(0, 1, 1), groups: groups, bias: false,
                            generator: &generator)
        bBN = BatchNorm3d(channels: inner)
        c = try Conv3dLayer(inputChannels: inner, outputChannels: output, kernel: Dims3(all: 1), bias: false,
                            generator: &generator)
        cBN = BatchNorm3d(channels: output)
        super.init()
        if let branch1, let branch1BN {
            registerModule("branch1", branch1)
            registerModule("branch1_bn", branch1BN)
        }
        // `branch2` only groups the names; this block runs its layers directly.
        branch2.registerModule("a", a)
        branch2.registerModule("a_bn", aBN)
        branch2.registerModule("b", b)
        branch2.registerModule("b_bn", bBN)
        branch2.registerModule("c", c)
        branch2.registerModule("c_bn", cBN)
        registerModule("branch2", branch2)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let y = try cBN(c(bBN(b(aBN(a(x)).relu())).relu()))
        var shortcut = x
        if let branch1, let branch1BN { shortcut = try branch1BN(branch1(x)) }
        return try residualReLU(shortcut, y)
    }

    func folded() throws -> (Tensor) throws -> Tensor {
        let fa = try FoldedConv3d(a, aBN, activation: .relu)
        let fb = try FoldedConv3d(b, bBN, activation: .relu)
        // The block's closing add and ReLU run in the last conv's epilogue.
        let fc = try FoldedConv3d(c, cBN, activation: .relu)
        let f1 = try branch1.flatMap { conv in try branch1BN.map { try FoldedConv3d(conv, $0) } }
        return { x in try fc(fb(fa(x)), adding: f1?(x) ?? x) }
    }

    func count(_ macs: inout MACCount, _ shape: [Int]) -> [Int] {
        if let branch1 { _ = macs.conv(branch1, shape, normalized: true) }
        return macs.conv(c, macs.conv(b, macs.conv(a, shape, normalized: true), normalized: true), normalized: true)
    }
}

/// SlowFast's lateral connection (`s{k}_fuse`): a strided temporal conv `conv_f2s` → BN → ReLU on the
/// fast pathway, concatenated after the slow pathway's channels.
final class FastToSlowFusion: Module {
    let conv: Conv3dLayer
    let bn: BatchNorm3d

    init(fastChannels: Int, ratio: Int, kernel: Int, alpha: Int, generator: inout TensorRandom) throws {
        conv = try Conv3dLayer(inputChannels: fastChannels, outputChannels: fastChannels * ratio,
                               kernel: Dims3(kernel, 1, 1), stride: Dims3(alpha, 1, 1),
                               padding: Dims3(kernel / 2, 0, 0), bias: false, generator: &generator)
        bn = BatchNorm3d(channels: fastChannels * ratio)
        super.init()
        registerModule("conv_f2s", conv)
        registerModule("bn", bn)
    }

    func fuse(_ x: [Tensor]) throws -> [Tensor] {
        [try Tensor.concat([x[0], bn(conv(x[1])).relu()], axis: 4), x[1]]
    }

    func folded() throws -> ([Tensor]) throws -> [Tensor] {
        let f = try FoldedConv3d(conv, bn, activation: .relu)
        return { x in [try Tensor.concat([x[0], f(x[1])], axis: 4), x[1]] }
    }

    func count(_ macs: inout MACCount, _ shapes: [[Int]]) -> [[Int]] {
        let fused = macs.conv(conv, shapes[1], normalized: true)
        var slow = shapes[0]
        slow[4] += fused[4]
        return [slow, shapes[1]]
    }
}
