import CadenceNN
import CadenceTensor

/// Multiply-accumulate counting by shape propagation, without running a model. fvcore (which
/// PySlowFast's model tables use) counts one multiply-add as one "flop", so these counts are what
/// those tables call GFLOPs.
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

    /// Counts `conv` on a channels-last input shape and returns its output shape.
    mutating func conv(_ conv: Conv3dLayer, _ shape: [Int]) -> [Int] {
        let out = Self.outputShape(shape, kernel: conv.kernel, stride: conv.stride, padding: conv.padding,
                                   channels: conv.outputChannels)
        total += out.reduce(1, *) * (conv.inputChannels / conv.groups) * conv.kernel.volume
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
