import CadenceNN
import CadenceTensor

/// fvcore-style operation counting by shape propagation, without running a model. fvcore (which
/// PySlowFast's model tables use) counts one multiply-add of a conv or linear layer as one "flop"
/// and an evaluation batch norm as two per element; these counts are what those tables call GFLOPs.
struct MACCount {
    private(set) var total = 0

    /// Output extent of a conv or pool along one axis.
    static func outputLength(_ input: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (input + 2 * padding - kernel) / stride + 1
    }

    static func outputShape(_ shape: [Int], kernel: Dims3, stride: Dims3, padding: Dims3, channels: Int) -> [Int] {
        [shape[0],
         outputLength(shape[1], kernel: kernel.t, stride: stride.t, padding: padding.t),
         outputLength(shape[2], kernel: kernel.h, stride: stride.h, padding: padding.h),
         outputLength(shape[3], kernel: kernel.w, stride: stride.w, padding: padding.w),
         channels]
    }

    /// Counts `conv` on a channels-last input shape and returns its output shape. `normalized` adds
    /// the batch norm that follows it, which fvcore counts as two flops per output element in evaluation
    /// (scale and shift).
    mutating func conv(_ conv: Conv3dLayer, _ shape: [Int], normalized: Bool = false) -> [Int] {
        let out = Self.outputShape(shape, kernel: conv.kernel, stride: conv.stride, padding: conv.padding,
                                   channels: conv.outputChannels)
        let elements = out.reduce(1, *)
        total += elements * (conv.inputChannels / conv.groups) * conv.kernel.volume + (normalized ? 2 * elements : 0)
        return out
    }

    /// Counts a linear layer applied to every position of `shape` (last axis = features).
    mutating func linear(_ linear: Linear, _ shape: [Int]) -> [Int] {
        let positions = shape.dropLast().reduce(1, *)
        total += positions * linear.inputFeatures * linear.outputFeatures
        return Array(shape.dropLast()) + [linear.outputFeatures]
    }

    /// Shape after a pool (no MACs counted).
    static func pool(_ shape: [Int], kernel: Dims3, stride: Dims3, padding: Dims3 = Dims3(all: 0)) -> [Int] {
        outputShape(shape, kernel: kernel, stride: stride, padding: padding, channels: shape[4])
    }
}
