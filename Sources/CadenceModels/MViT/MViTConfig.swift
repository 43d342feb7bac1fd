import CadenceTensor

/// The PySlowFast `MVIT` config keys of MViT v1 and v2 (convolutional pooling mode, class token).
public struct MViTConfig: Sendable {
    public var classes: Int = 400
    /// `DATA.NUM_FRAMES` and `DATA.TRAIN_CROP_SIZE`: the input must be exactly this size.
    public var frames: Int
    public var crop: Int
    public var depth: Int
    public var heads: Int = 1
    public var embedDim: Int = 96
    public var mlpRatio: Double = 4
    public var qkvBias = true
    public var patchKernel = Dims3(3, 7, 7)
    public var patchStride = Dims3(2, 4, 4)
    public var patchPadding = Dims3(1, 3, 3)
    /// v1: separate spatial/temporal/class absolute position embeddings; v2 has none.
    public var absolutePositions = true
    /// `DIM_MUL` and `HEAD_MUL`: `(block, multiplier)`.
    public var dimMul: [(Int, Double)] = []
    public var headMul: [(Int, Double)] = []
    /// `POOL_Q_STRIDE`: `(block, stride)`.
    public var poolQStride: [(Int, Dims3)] = []
    /// `POOL_KVQ_KERNEL` (nil derives kernels from the strides).
    public var poolKernel: Dims3? = Dims3(all: 3)
    /// `POOL_KV_STRIDE_ADAPTIVE`: the first block's KV stride, divided by every Q stride after it.
    public var poolKVStrideAdaptive = Dims3(1, 8, 8)
    public var relativePositionsSpatial = false
    public var relativePositionsTemporal = false
    public var residualPooling = false
    /// `DIM_MUL_IN_ATT` (v2): attention changes the width instead of the MLP.
    public var dimMulInAttention = false
    public var dropoutRate: Float = 0.5

    public init(frames: Int, crop: Int, depth: Int) {
        self.frames = frames
        self.crop = crop
        self.depth = depth
    }

    /// MViT-B 16x4 (`MVIT_B_16x4_CONV.yaml`).
    public static let b16x4: MViTConfig = {
        var c = MViTConfig(frames: 16, crop: 224, depth: 16)
        c.dimMul = [(1, 2), (3, 2), (14, 2)]
        c.headMul = c.dimMul
        c.poolQStride = [(1, Dims3(1, 2, 2)), (3, Dims3(1, 2, 2)), (14, Dims3(1, 2, 2))]
        return c
    }()

    /// MViTv2-S 16x4 (`MVITv2_S_16x4.yaml`): Q pooling in every block, relative positions,
    /// residual pooling, width changes inside attention, no absolute positions.
    public static let v2s16x4: MViTConfig = {
        var c = MViTConfig(frames: 16, crop: 224, depth: 16)
        c.dimMul = [(1, 2), (3, 2), (14, 2)]
        c.headMul = c.dimMul
        c.poolQStride = (0..<16).map { ($0, [1, 3, 14].contains($0) ? Dims3(1, 2, 2) : Dims3(all: 1)) }
        c.absolutePositions = false
        c.relativePositionsSpatial = true
        c.relativePositionsTemporal = true
        c.residualPooling = true
        c.dimMulInAttention = true
        return c
    }()

    /// One block's shape (PySlowFast's per-block schedule).
    public struct Block: Sendable, Equatable {
        public var dim: Int
        public var dimOut: Int
        public var heads: Int
        /// Empty when that pooling is absent.
        public var kernelQ: [Int]
        public var strideQ: [Int]
        public var kernelKV: [Int]
        public var strideKV: [Int]
        /// Token grid entering the block.
        public var inputSize: [Int]
    }

    /// Token grid after the patch embedding.
    public var patchDims: [Int] { [frames / patchStride.t, crop / patchStride.h, crop / patchStride.w] }

    public var blocks: [Block] {
        var dimMul = Array(repeating: 1.0, count: depth + 1), headMul = dimMul
        for (i, m) in self.dimMul where i <= depth { dimMul[i] = m }
        for (i, m) in self.headMul where i <= depth { headMul[i] = m }
        var strideQ = Array(repeating: [Int](), count: depth), kernelQ = strideQ, strideKV = strideQ, kernelKV = strideQ
        let derivedKernel = { (stride: [Int]) -> [Int] in
            self.poolKernel.map { [$0.t, $0.h, $0.w] } ?? stride.map { $0 > 1 ? $0 + 1 : $0 }
        }
        for (i, s) in poolQStride where i < depth {
            strideQ[i] = [s.t, s.h, s.w]
            kernelQ[i] = derivedKernel(strideQ[i])
        }
        var kv = [poolKVStrideAdaptive.t, poolKVStrideAdaptive.h, poolKVStrideAdaptive.w]
        for i in 0..<depth {
            if !strideQ[i].isEmpty { kv = zip(kv, strideQ[i]).map { max($0 / $1, 1) } }
            strideKV[i] = kv
            kernelKV[i] = derivedKernel(kv)
        }
        var heads = self.heads, dim = embedDim, input = patchDims
        var result: [Block] = []
        for i in 0..<depth {
            heads = roundWidth(heads, headMul[i])
            let dimOut = dimMulInAttention
                ? roundWidth(dim, dimMul[i], divisor: roundWidth(heads, headMul[i]))
                : roundWidth(dim, dimMul[i + 1], divisor: roundWidth(heads, headMul[i + 1]))
            // A 1x1x1 kernel with stride 1 is no pooling at all (PySlowFast drops it).
            let dropped = { (k: [Int], s: [Int]) -> Bool in k.reduce(1, *) == 1 && s.reduce(1, *) == 1 }
            let qAbsent = dropped(kernelQ[i], strideQ[i]), kvAbsent = dropped(kernelKV[i], strideKV[i])
            result.append(Block(dim: dim, dimOut: dimOut, heads: heads,
                                kernelQ: qAbsent ? [] : kernelQ[i], strideQ: strideQ[i],
                                kernelKV: kvAbsent ? [] : kernelKV[i], strideKV: strideKV[i], inputSize: input))
            if !strideQ[i].isEmpty { input = zip(input, strideQ[i]).map { $0 / $1 } }
            dim = dimOut
        }
        return result
    }
}
